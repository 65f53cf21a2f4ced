"""The notifications nameko service: entrypoints only; the work happens in handlers."""

from __future__ import annotations

from typing import Any, cast

from nameko.events import event_handler
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer
from sqlalchemy.orm import Session

from chassis.nameko_rpc import domain_rpc
from chassis.nameko_runtime import Runtime, ServiceRuntime, idempotent, run_service
from contracts.cases import AgentRef
from contracts.envelope import Envelope
from notifications import agent_alerts, handlers, preferences, suppressions
from notifications.db.models import OutboxMessage, ProcessedEvent
from notifications.mailer import Mailer, MailerProvider
from notifications.ratelimit import Counter, CounterProvider
from notifications.settings import NotificationsSettings
from notifications.sms import SmsProvider, SmsSender

# how often the sender looks for due deliveries; a queued mail leaves within this much time
SEND_INTERVAL = 0.2


class NotificationsService:
    name = "notifications"

    runtime: Runtime = ServiceRuntime(NotificationsSettings, OutboxMessage, ProcessedEvent)
    mailer: Mailer = MailerProvider()
    counter: Counter = CounterProvider()
    sms: SmsSender = SmsProvider()
    cases_rpc = RpcProxy("cases")

    @property
    def settings(self) -> NotificationsSettings:
        return cast(NotificationsSettings, self.runtime.settings)

    @rpc
    def health(self) -> dict[str, Any]:
        return {"status": "ok"}

    @rpc
    def list_deliveries(
        self, case_id: int | None = None, recipient: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        with self.runtime.session_factory() as session:
            rows = handlers.list_deliveries(session=session, case_id=case_id, recipient=recipient, limit=limit)
        return [row.model_dump(mode="json") for row in rows]

    @event_handler("cases", "case_created", requeue_on_error=True)
    @idempotent
    def on_case_created(self, session: Session, envelope: Envelope) -> None:
        handlers.confirm_new_case(session=session, settings=self.settings, envelope=envelope, counter=self.counter)

    @event_handler("cases", "message_added", requeue_on_error=True)
    @idempotent
    def on_message_added(self, session: Session, envelope: Envelope) -> None:
        handlers.mail_agent_reply(session=session, settings=self.settings, envelope=envelope, counter=self.counter)

    @event_handler("portal", "magic_link_requested", requeue_on_error=True)
    @idempotent
    def on_magic_link_requested(self, session: Session, envelope: Envelope) -> None:
        handlers.mail_magic_link(session=session, settings=self.settings, envelope=envelope, counter=self.counter)

    @event_handler("mail_gateway", "mail_bounced", requeue_on_error=True)
    @idempotent
    def on_mail_bounced(self, session: Session, envelope: Envelope) -> None:
        suppressions.record_bounce(session=session, envelope=envelope)

    @domain_rpc
    def list_suppressions(self, address: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        with self.runtime.session_factory() as session:
            rows = suppressions.list_suppressions(session=session, address=address, limit=limit)
        return [row.model_dump(mode="json") for row in rows]

    @domain_rpc
    def clear_suppression(self, address: str) -> dict[str, Any]:
        with self.runtime.transaction() as session:
            cleared = suppressions.clear_suppression(session=session, address=address)
        return cleared.model_dump(mode="json")

    # -- agents' in-app notifications (E2): own consumers, so mail and alerts are each exactly once

    @event_handler("cases", "case_created", requeue_on_error=True)
    @idempotent
    def alert_on_case_created(self, session: Session, envelope: Envelope) -> None:
        agent_alerts.case_created(
            session=session,
            runtime=self.runtime,
            settings=self.settings,
            envelope=envelope,
            group_members=self._group_members,
        )

    @event_handler("cases", "case_updated", requeue_on_error=True)
    @idempotent
    def alert_on_case_updated(self, session: Session, envelope: Envelope) -> None:
        agent_alerts.case_updated(session=session, runtime=self.runtime, settings=self.settings, envelope=envelope)

    @event_handler("cases", "message_added", requeue_on_error=True)
    @idempotent
    def alert_on_message_added(self, session: Session, envelope: Envelope) -> None:
        agent_alerts.message_added(session=session, runtime=self.runtime, settings=self.settings, envelope=envelope)

    def _group_members(self, group_id: int) -> list[AgentRef]:
        # cases owns the directory; a group's members are asked for when a case arrives in it
        agents = self.cases_rpc.list_agents()
        return [AgentRef.model_validate(a) for a in agents if group_id in a.get("group_ids", [])]

    @domain_rpc
    def get_agent_preferences(self, agent_id: int) -> dict[str, dict[str, bool]]:
        with self.runtime.session_factory() as session:
            return preferences.get_preferences(session=session, agent_id=int(agent_id))

    @domain_rpc
    def set_agent_preference(self, agent_id: int, kind: str, channel: str, enabled: bool) -> dict[str, dict[str, bool]]:
        with self.runtime.transaction() as session:
            return preferences.set_preference(
                session=session, agent_id=int(agent_id), kind=str(kind), channel=str(channel), enabled=bool(enabled)
            )

    @domain_rpc
    def list_agent_notifications(self, agent_id: int, limit: int = 20) -> dict[str, Any]:
        with self.runtime.session_factory() as session:
            page = agent_alerts.list_for_agent(session=session, agent_id=int(agent_id), limit=int(limit))
        return page.model_dump(mode="json")

    @domain_rpc
    def mark_agent_notifications_read(self, agent_id: int, up_to_id: int | None = None) -> dict[str, Any]:
        with self.runtime.transaction() as session:
            changed = agent_alerts.mark_read(session=session, agent_id=int(agent_id), up_to_id=up_to_id)
        return {"marked": changed}

    @timer(interval=SEND_INTERVAL)
    def send_due(self) -> None:
        handlers.send_due(runtime=self.runtime, settings=self.settings, mailer=self.mailer, sms=self.sms)


def main() -> None:
    settings = NotificationsSettings()
    run_service(NotificationsService, settings, max_workers=settings.max_workers)
