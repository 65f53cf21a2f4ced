"""The notifications nameko service: entrypoints only; the work happens in handlers."""

from __future__ import annotations

from typing import Any, cast

from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy.orm import Session

from chassis.nameko_runtime import Runtime, ServiceRuntime, idempotent, run_service
from contracts.envelope import Envelope
from notifications import handlers
from notifications.db.models import OutboxMessage, ProcessedEvent
from notifications.mailer import Mailer, MailerProvider
from notifications.settings import NotificationsSettings

# how often the sender looks for due deliveries; a queued mail leaves within this much time
SEND_INTERVAL = 0.2


class NotificationsService:
    name = "notifications"

    runtime: Runtime = ServiceRuntime(NotificationsSettings, OutboxMessage, ProcessedEvent)
    mailer: Mailer = MailerProvider()

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
        handlers.confirm_new_case(session=session, settings=self.settings, envelope=envelope)

    @event_handler("cases", "message_added", requeue_on_error=True)
    @idempotent
    def on_message_added(self, session: Session, envelope: Envelope) -> None:
        handlers.mail_agent_reply(session=session, settings=self.settings, envelope=envelope)

    @event_handler("portal", "magic_link_requested", requeue_on_error=True)
    @idempotent
    def on_magic_link_requested(self, session: Session, envelope: Envelope) -> None:
        handlers.mail_magic_link(session=session, settings=self.settings, envelope=envelope)

    @timer(interval=SEND_INTERVAL)
    def send_due(self) -> None:
        handlers.send_due(runtime=self.runtime, settings=self.settings, mailer=self.mailer)


def main() -> None:
    run_service(NotificationsService, NotificationsSettings())
