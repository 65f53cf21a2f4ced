"""The numbers agents register for SMS alerts (E2).

cases' directory has no phone numbers; an agent gives theirs here (`PUT /api/v1/me/sms-number`). An
alert by SMS is a delivery like any other (channel `sms`, queued by `alerts.fan_out`), sent through
Twilio by the sender loop (decision 0099).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from chassis.db import dialect_insert, utcnow
from contracts.errors import NotFound, ValidationFailed
from notifications.db.models import AgentSmsNumber
from notifications.sms.rules import normalise_phone


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


def numbers_of(*, session: Session, agent_ids: list[int]) -> dict[int, str]:
    """The registered numbers of several agents in one query (agents without one: absent)."""
    if not agent_ids:
        return {}
    rows = session.execute(
        select(AgentSmsNumber.agent_id, AgentSmsNumber.phone).where(AgentSmsNumber.agent_id.in_(agent_ids))
    )
    return {agent_id: phone for agent_id, phone in rows}
