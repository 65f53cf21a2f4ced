"""An alert to each agent on the channels they want (E2): an in-app notification (stored and announced as
`agent_notified`), a mail, an SMS, a push to each of their browsers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import make_msgid
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from chassis.db import utcnow
from chassis.logging import get_logger
from chassis.nameko_runtime import Runtime
from contracts.cases import CaseRead
from contracts.envelope import Envelope
from contracts.notifications import AgentNotified
from notifications.alerts import rules
from notifications.alerts.preferences import choices_of_many
from notifications.alerts.rules import Alert
from notifications.db.models import AgentNotification
from notifications.deliveries import bookkeeping
from notifications.mail import compose
from notifications.push import rules as push_rules
from notifications.push import webpush
from notifications.settings import NotificationsSettings
from notifications.sms import numbers as sms_numbers

log = get_logger(__name__)


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
        return rules.wanted(alert.kind, channel, choices.get(alert.agent_id, {}))

    by_push = [a.agent_id for a in alerts if wants(a, rules.PUSH)]
    browsers = _per_agent(
        session, "browsers", by_push, lambda ids: webpush.subscriptions_of(session=session, agent_ids=ids)
    )
    by_sms = [a.agent_id for a in alerts if wants(a, rules.SMS)]
    numbers = sms_numbers.numbers_of(session=session, agent_ids=by_sms) if by_sms else {}
    case_url = _case_url(settings, case)
    rows: list[dict[str, Any]] = []
    for alert in alerts:
        if alert.email and wants(alert, rules.EMAIL):
            _queue_agent_mail(session=session, settings=settings, envelope=envelope, case=case, alert=alert, now=now)
        if alert.agent_id in numbers and wants(alert, rules.SMS):
            _queue_alert_sms(
                session=session,
                envelope=envelope,
                alert=alert,
                case=case,
                case_url=case_url,
                now=now,
                phone=numbers[alert.agent_id],
            )
        if alert.agent_id in browsers and wants(alert, rules.PUSH):
            _queue_push(
                session=session,
                envelope=envelope,
                alert=alert,
                case=case,
                case_url=case_url,
                now=now,
                subscriptions=browsers[alert.agent_id],
            )
        if wants(alert, rules.IN_APP):
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
        label=rules.label(alert.kind),
        case=case,
        case_url=_case_url(settings, case),
        to=compose.Mailbox(alert.email),
        sender=compose.Mailbox(settings.from_address, settings.from_name),
        message_id=message_id,
        date=now,
        detail=alert.detail,
    )
    bookkeeping.queue(
        session=session,
        kind=rules.delivery_kind(alert),
        channel="email",
        recipient=alert.email,
        case_id=case.id,
        source_event_id=envelope.event_id,
        email_message_id=message_id,
        subject=mail.subject,
        raw=mail.raw,
        now=now,
    )


def _queue_alert_sms(
    *, session: Session, envelope: Envelope, alert: Alert, case: CaseRead, case_url: str, now: datetime, phone: str
) -> None:
    """A queued SMS to the agent's number (looked up with `sms.numbers.numbers_of`)."""
    bookkeeping.queue(
        session=session,
        kind=rules.delivery_kind(alert),
        channel="sms",
        recipient=phone,
        case_id=case.id,
        source_event_id=envelope.event_id,
        raw=rules.sms_text(alert=alert, case=case, case_url=case_url).encode(),
        now=now,
    )


def _queue_push(
    *,
    session: Session,
    envelope: Envelope,
    alert: Alert,
    case: CaseRead,
    case_url: str,
    now: datetime,
    subscriptions: list[int],
) -> None:
    """A push delivery per browser of the agent (`subscriptions`, from `push.webpush.subscriptions_of`)."""
    push = rules.push_message(alert=alert, case=case, case_url=case_url)
    for subscription_id in subscriptions:
        bookkeeping.queue(
            session=session,
            kind=rules.delivery_kind(alert),
            channel=push_rules.CHANNEL,
            recipient=push_rules.recipient(subscription_id),
            case_id=case.id,
            source_event_id=envelope.event_id,
            subject=push.title,
            raw=push.raw,
            now=now,
        )


def _case_url(settings: NotificationsSettings, case: CaseRead) -> str:
    return f"{settings.agent_ui_url.rstrip('/')}/cases/{case.id}"
