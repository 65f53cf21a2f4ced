"""SMS alerts to agents (E2): the number an agent registers, and a queued SMS per alert they want by SMS.

cases' directory has no phone numbers; an agent gives theirs here (`PUT /api/v1/me/sms-number`). An
SMS is a delivery like any other (channel `sms`), sent through Twilio by the sender loop (decision 0099).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from chassis.db import dialect_insert, utcnow
from contracts.cases import CaseRead
from contracts.envelope import Envelope
from contracts.errors import NotFound, ValidationFailed
from notifications.db.models import AgentSmsNumber, Delivery
from notifications.domain.agent_alerts import Alert
from notifications.domain.compose import AGENT_ALERT_LABELS
from notifications.domain.sms import normalise_phone

# one SMS segment of GSM-7 text is 160 characters; an alert stays within two
MAX_ALERT_SMS = 320


def get_number(*, session: Session, agent_id: int) -> str | None:
    row = session.get(AgentSmsNumber, agent_id)
    return row.phone if row is not None else None


def set_number(*, session: Session, agent_id: int, phone: str) -> str:
    """Register (or replace) the agent's number; ValidationFailed when it is not a dialable one."""
    normalised = normalise_phone(phone)
    if normalised is None:
        raise ValidationFailed(message="not a phone number", details=[{"field": "phone", "value": phone[:40]}])
    stmt = dialect_insert(session, AgentSmsNumber.__table__).values(
        agent_id=agent_id, phone=normalised, updated_at=utcnow()
    )
    session.execute(
        stmt.on_conflict_do_update(index_elements=["agent_id"], set_={"phone": normalised, "updated_at": utcnow()})
    )
    return normalised


def clear_number(*, session: Session, agent_id: int) -> None:
    result = session.execute(delete(AgentSmsNumber).where(AgentSmsNumber.agent_id == agent_id))
    if not getattr(result, "rowcount", 0):
        raise NotFound(message="no SMS number registered")


def alert_text(*, alert: Alert, case: CaseRead, case_url: str) -> str:
    """ "Assigned to you: #1001 Printer on fire. <link>", cut to two SMS segments (the link is kept whole)."""
    label = AGENT_ALERT_LABELS.get(alert.kind, alert.kind)
    about = " ".join(part for part in (case.title, alert.detail) if part)
    head = f"{label}: #{case.number} "
    room = MAX_ALERT_SMS - len(head) - len(case_url) - 2
    if len(about) > room:
        about = about[: max(room - 1, 0)].rstrip() + "…"
    return f"{head}{about}. {case_url}"


def numbers_of(*, session: Session, agent_ids: list[int]) -> dict[int, str]:
    """The registered numbers of several agents in one query (agents without one: absent)."""
    if not agent_ids:
        return {}
    rows = session.execute(
        select(AgentSmsNumber.agent_id, AgentSmsNumber.phone).where(AgentSmsNumber.agent_id.in_(agent_ids))
    )
    return {agent_id: phone for agent_id, phone in rows}


def queue_alert_sms(
    *,
    session: Session,
    envelope: Envelope,
    alert: Alert,
    case: CaseRead,
    case_url: str,
    now: datetime,
    phone: str | None,
) -> bool:
    """A queued SMS to the agent's number (looked up with `numbers_of`); False when they registered none."""
    if phone is None:
        return False
    session.add(
        Delivery(
            kind=f"agent_{alert.kind}"[:30],
            channel="sms",
            recipient=phone,
            case_id=case.id,
            source_event_id=envelope.event_id,
            subject="",
            raw_message=alert_text(alert=alert, case=case, case_url=case_url).encode(),
            status="queued",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    return True
