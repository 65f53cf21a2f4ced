"""Use cases of agents' in-app notifications (E2): store them, announce them, list them, mark them read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import make_msgid
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from chassis.db import utcnow
from chassis.logging import get_logger
from chassis.nameko_runtime import Runtime
from contracts.case_work import TaskChanged
from contracts.cases import AgentMentioned, AgentRef, CaseCreated, CaseRead, CaseUpdated, MessageAdded
from contracts.envelope import Envelope
from contracts.notifications import AgentNotificationPage, AgentNotificationRead, AgentNotified
from contracts.sla import SlaBreached, SlaWarning
from notifications import agent_sms, webpush
from notifications.db.models import AgentNotification, Delivery
from notifications.directory import CasesDirectory
from notifications.domain import agent_alerts as rules
from notifications.domain import compose
from notifications.domain import preferences as prefs
from notifications.domain.agent_alerts import Alert
from notifications.preferences import choices_of_many
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


def agent_mentioned(*, session: Session, runtime: Runtime, settings: NotificationsSettings, envelope: Envelope) -> None:
    """On `agent_mentioned`: the agent named in a note."""
    event = envelope.open(AgentMentioned)
    alerts = rules.on_agent_mentioned(agent=event.agent, actor=event.actor, excerpt=event.excerpt)
    notify_agents(
        session=session, runtime=runtime, settings=settings, envelope=envelope, case=event.case, alerts=alerts
    )


def task_changed(
    *,
    session: Session,
    runtime: Runtime,
    settings: NotificationsSettings,
    envelope: Envelope,
    directory: CasesDirectory,
) -> None:
    """On `task_changed`: the agent a task was given to (their address and the case come from cases)."""
    event = envelope.open(TaskChanged)
    agent_id = rules.task_assignee(task=event.task, change=event.change, changes=event.changes, actor=event.actor)
    if agent_id is None:
        return
    agent = directory.agent(agent_id)
    if agent is None:
        log.info("task_assignee_unknown", task_id=event.task.id, agent_id=agent_id)
        return
    case = directory.case(event.task.case_id)
    alerts = rules.on_task_assigned(task=event.task, agent=agent)
    notify_agents(session=session, runtime=runtime, settings=settings, envelope=envelope, case=case, alerts=alerts)


def sla_alert(
    *,
    session: Session,
    runtime: Runtime,
    settings: NotificationsSettings,
    envelope: Envelope,
    group_members: Callable[[int], list[AgentRef]],
) -> None:
    """On `sla_warning` / `sla_breached`: the case's assignee, else its group's members."""
    event = envelope.open(SlaBreached if envelope.event_type == rules.SLA_BREACHED else SlaWarning)
    case, kind = event.case, envelope.event_type
    detail = rules.sla_detail(kind=kind, metric=event.metric.value, due_at=event.due_at, policy_name=event.policy_name)
    members = group_members(case.group.id) if case.assignee is None and case.group is not None else []
    alerts = rules.on_sla(kind=kind, case=case, detail=detail, group_members=members)
    notify_agents(session=session, runtime=runtime, settings=settings, envelope=envelope, case=case, alerts=alerts)


def notify_agents(
    *,
    session: Session,
    runtime: Runtime,
    settings: NotificationsSettings,
    envelope: Envelope,
    case: CaseRead,
    alerts: list[Alert],
) -> None:
    """Per alert and as the agent prefers: a stored notification + `agent_notified`, a queued mail, SMS, push.

    Every lookup is one query for all the alerts (preferences, browsers, numbers) and the in-app rows are one
    INSERT (decision 0108): a busy group costs a handful of statements, not five per member.
    """
    if not alerts:
        return
    now = utcnow()
    group = session.info.get(ALERT_GROUP)
    group = group if isinstance(group, AlertGroup) else None
    agent_ids = sorted({a.agent_id for a in alerts})
    choices = _per_agent(session, "choices", agent_ids, lambda ids: choices_of_many(session=session, agent_ids=ids))

    def wants(alert: Alert, channel: str) -> bool:
        return prefs.wanted(alert.kind, channel, choices.get(alert.agent_id, {}))

    by_push = [a.agent_id for a in alerts if wants(a, prefs.PUSH)]
    browsers = _per_agent(
        session, "browsers", by_push, lambda ids: webpush.subscriptions_of(session=session, agent_ids=ids)
    )
    by_sms = [a.agent_id for a in alerts if wants(a, prefs.SMS)]
    numbers = agent_sms.numbers_of(session=session, agent_ids=by_sms) if by_sms else {}
    case_url = _case_url(settings, case)
    rows: list[dict[str, Any]] = []
    for alert in alerts:
        if alert.email and wants(alert, prefs.EMAIL):
            _queue_agent_mail(session=session, settings=settings, envelope=envelope, case=case, alert=alert, now=now)
        if alert.agent_id in numbers and wants(alert, prefs.SMS):
            agent_sms.queue_alert_sms(
                session=session,
                envelope=envelope,
                alert=alert,
                case=case,
                case_url=case_url,
                now=now,
                phone=numbers[alert.agent_id],
            )
        if alert.agent_id in browsers and wants(alert, prefs.PUSH):
            webpush.queue_push(
                session=session,
                envelope=envelope,
                alert=alert,
                case=case,
                case_url=case_url,
                now=now,
                subscriptions=browsers[alert.agent_id],
            )
        if wants(alert, prefs.IN_APP):
            rows.append(
                {
                    "agent_id": alert.agent_id,
                    "kind": alert.kind,
                    "case_id": case.id,
                    "case_number": case.number,
                    "title": case.title,
                    "detail": alert.detail,
                    "source_event_id": envelope.event_id,
                    "created_at": now,
                }
            )
    if group is not None:
        group.held.extend((row, envelope.correlation_id) for row in rows)  # the last step: a failure holds nothing
    else:
        _store_in_app(session=session, runtime=runtime, rows=[(row, envelope.correlation_id) for row in rows])
    log.info("agents_notified", case_id=case.id, count=len(alerts))


# a group of `case_created` alerts (chassis `idempotent_group`): each agent's preferences and browsers are asked
# for once per group, and its in-app rows are inserted in one statement before the group's commit (0158)
ALERT_GROUP = "notifications:alert_group"


@dataclass
class AlertGroup:
    per_agent: dict[str, dict[int, Any]] = field(default_factory=dict)  # lookup -> agent_id -> answer (or _NONE)
    held: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)  # in-app rows, correlation ids


_NONE = object()


def begin_group(*, session: Session) -> None:
    session.info[ALERT_GROUP] = AlertGroup()


def write_group(*, session: Session, runtime: Runtime) -> None:
    group = session.info.pop(ALERT_GROUP, None)
    if isinstance(group, AlertGroup):
        _store_in_app(session=session, runtime=runtime, rows=group.held)


def _per_agent(
    session: Session, lookup: str, agent_ids: list[int], load: Callable[[list[int]], dict[int, Any]]
) -> dict[int, Any]:
    """`load(agent_ids)` ({agent_id: answer}, absent: none), asked once per agent within an alert group."""
    group = session.info.get(ALERT_GROUP)
    if not isinstance(group, AlertGroup):
        return load(agent_ids) if agent_ids else {}
    known = group.per_agent.setdefault(lookup, {})
    missing = sorted({a for a in agent_ids if a not in known})
    if missing:
        found = load(missing)
        known.update({a: found.get(a, _NONE) for a in missing})
    return {a: known[a] for a in agent_ids if known[a] is not _NONE}


def _store_in_app(*, session: Session, runtime: Runtime, rows: list[tuple[dict[str, Any], str | None]]) -> None:
    """The in-app rows in one INSERT, and an `agent_notified` event for each (decision 0108)."""
    if not rows:
        return
    table = AgentNotification.__table__
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids = session.execute(stmt, [row for row, _ in rows]).scalars()
    for (row, correlation_id), notification_id in zip(rows, ids, strict=True):
        runtime.emit(
            session,
            AgentNotified(
                notification_id=notification_id,
                agent_id=row["agent_id"],
                kind=row["kind"],
                case_id=row["case_id"],
                case_number=row["case_number"],
                title=row["title"],
                detail=row["detail"],
                created_at=row["created_at"],
            ),
            correlation_id=correlation_id,
        )


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
        case_url=_case_url(settings, case),
        to=compose.Mailbox(alert.email),
        sender=compose.Mailbox(settings.from_address, settings.from_name),
        message_id=message_id,
        date=now,
        detail=alert.detail,
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


def _case_url(settings: NotificationsSettings, case: CaseRead) -> str:
    return f"{settings.agent_ui_url.rstrip('/')}/cases/{case.id}"


def list_for_agent(*, session: Session, agent_id: int, limit: int = 20) -> AgentNotificationPage:
    """An agent's newest notifications and their unread count, from one statement: two statements see two
    snapshots, so an alert committed in between was counted but not listed."""
    unread = (
        select(func.count())
        .select_from(AgentNotification)
        .where(AgentNotification.agent_id == agent_id, AgentNotification.read_at.is_(None))
        .scalar_subquery()
    )
    rows = session.execute(
        select(AgentNotification, unread)
        .where(AgentNotification.agent_id == agent_id)
        .order_by(AgentNotification.id.desc())
        .limit(max(1, min(limit, 100)))
    ).all()
    items = [AgentNotificationRead.model_validate(row[0], from_attributes=True) for row in rows]
    # no rows: the agent has no notification at all, so none is unread
    return AgentNotificationPage(items=items, unread=int(rows[0][1]) if rows else 0)


def mark_read(*, session: Session, agent_id: int, up_to_id: int | None = None) -> int:
    """Mark an agent's notifications read (all, or those up to an id); returns how many changed."""
    stmt = update(AgentNotification).where(AgentNotification.agent_id == agent_id, AgentNotification.read_at.is_(None))
    if up_to_id is not None:
        stmt = stmt.where(AgentNotification.id <= up_to_id)
    result = session.execute(stmt.values(read_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
