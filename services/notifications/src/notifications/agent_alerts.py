"""Use cases of agents' in-app notifications (E2): store them, announce them, list them, mark them read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import make_msgid

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from chassis.db import utcnow
from chassis.logging import get_logger
from chassis.nameko_runtime import Runtime
from contracts.cases import AgentRef, CaseCreated, CaseRead, CaseUpdated, MessageAdded
from contracts.envelope import Envelope
from contracts.notifications import AgentNotificationPage, AgentNotificationRead, AgentNotified
from notifications.db.models import AgentNotification, Delivery
from notifications.domain import agent_alerts as rules
from notifications.domain import compose
from notifications.domain import preferences as prefs
from notifications.domain.agent_alerts import Alert
from notifications.preferences import choices_of
from notifications.settings import NotificationsSettings

log = get_logger(__name__)


def case_created(
    *,
    session: Session,
    runtime: Runtime,
    settings: NotificationsSettings,
    envelope: Envelope,
    group_members: Callable[[int], list[AgentRef]],
) -> None:
    """On `case_created`: its assignee and the members of its group."""
    event = envelope.open(CaseCreated)
    members = group_members(event.case.group.id) if event.case.group is not None else []
    alerts = rules.on_case_created(case=event.case, actor=event.actor, group_members=members)
    notify_agents(
        session=session, runtime=runtime, settings=settings, envelope=envelope, case=event.case, alerts=alerts
    )


def case_updated(*, session: Session, runtime: Runtime, settings: NotificationsSettings, envelope: Envelope) -> None:
    """On `case_updated`: a new assignee."""
    event = envelope.open(CaseUpdated)
    alerts = rules.on_case_updated(case=event.case, changes=event.changes, actor=event.actor)
    notify_agents(
        session=session, runtime=runtime, settings=settings, envelope=envelope, case=event.case, alerts=alerts
    )


def message_added(*, session: Session, runtime: Runtime, settings: NotificationsSettings, envelope: Envelope) -> None:
    """On `message_added`: the assignee, when the customer wrote."""
    event = envelope.open(MessageAdded)
    alerts = rules.on_message_added(case=event.case, message=event.message)
    notify_agents(
        session=session, runtime=runtime, settings=settings, envelope=envelope, case=event.case, alerts=alerts
    )


def notify_agents(
    *,
    session: Session,
    runtime: Runtime,
    settings: NotificationsSettings,
    envelope: Envelope,
    case: CaseRead,
    alerts: list[Alert],
) -> None:
    """Per alert and as the agent prefers: a stored notification + `agent_notified`, and/or a queued mail."""
    now = utcnow()
    for alert in alerts:
        choices = choices_of(session=session, agent_id=alert.agent_id)
        if alert.email and prefs.wanted(alert.kind, prefs.EMAIL, choices):
            _queue_agent_mail(session=session, settings=settings, envelope=envelope, case=case, alert=alert, now=now)
        if not prefs.wanted(alert.kind, prefs.IN_APP, choices):
            continue
        row = AgentNotification(
            agent_id=alert.agent_id,
            kind=alert.kind,
            case_id=case.id,
            case_number=case.number,
            title=case.title,
            source_event_id=envelope.event_id,
            created_at=now,
        )
        session.add(row)
        session.flush()
        runtime.emit(
            session,
            AgentNotified(
                notification_id=row.id,
                agent_id=row.agent_id,
                kind=row.kind,
                case_id=row.case_id,
                case_number=row.case_number,
                title=row.title,
                created_at=now,
            ),
            correlation_id=envelope.correlation_id,
        )
    if alerts:
        log.info("agents_notified", case_id=case.id, count=len(alerts))


def _queue_agent_mail(
    *,
    session: Session,
    settings: NotificationsSettings,
    envelope: Envelope,
    case: CaseRead,
    alert: Alert,
    now: datetime,
) -> None:
    assert alert.email is not None
    # an alert is not case correspondence: a plain Message-ID, so an answer to it never threads onto the case
    message_id = make_msgid(idstring="alert", domain=settings.mail_domain).strip("<>")
    mail = compose.agent_alert(
        kind=alert.kind,
        case=case,
        case_url=f"{settings.agent_ui_url.rstrip('/')}/cases/{case.id}",
        to=compose.Mailbox(alert.email),
        sender=compose.Mailbox(settings.from_address, settings.from_name),
        message_id=message_id,
        date=now,
    )
    session.add(
        Delivery(
            kind=f"agent_{alert.kind}"[:30],
            channel="email",
            recipient=alert.email.strip().lower(),
            case_id=case.id,
            source_event_id=envelope.event_id,
            email_message_id=message_id,
            subject=mail.subject,
            raw_message=mail.raw,
            status="queued",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def list_for_agent(*, session: Session, agent_id: int, limit: int = 20) -> AgentNotificationPage:
    """An agent's newest notifications and their unread count."""
    rows = session.scalars(
        select(AgentNotification)
        .where(AgentNotification.agent_id == agent_id)
        .order_by(AgentNotification.id.desc())
        .limit(max(1, min(limit, 100)))
    )
    unread = session.scalar(
        select(func.count())
        .select_from(AgentNotification)
        .where(AgentNotification.agent_id == agent_id, AgentNotification.read_at.is_(None))
    )
    items = [AgentNotificationRead.model_validate(r, from_attributes=True) for r in rows]
    return AgentNotificationPage(items=items, unread=int(unread or 0))


def mark_read(*, session: Session, agent_id: int, up_to_id: int | None = None) -> int:
    """Mark an agent's notifications read (all, or those up to an id); returns how many changed."""
    stmt = update(AgentNotification).where(AgentNotification.agent_id == agent_id, AgentNotification.read_at.is_(None))
    if up_to_id is not None:
        stmt = stmt.where(AgentNotification.id <= up_to_id)
    result = session.execute(stmt.values(read_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
