"""The reports nameko service: entrypoints only; the work happens in handlers."""

from __future__ import annotations

from typing import Any

from nameko.events import event_handler
from nameko.rpc import rpc
from sqlalchemy.orm import Session

from chassis.nameko_runtime import Runtime, ServiceRuntime, idempotent, run_service
from contracts.envelope import Envelope
from reports import handlers
from reports.db.models import OutboxMessage, ProcessedEvent
from reports.settings import ReportsSettings


class ReportsService:
    name = "reports"

    runtime: Runtime = ServiceRuntime(ReportsSettings, OutboxMessage, ProcessedEvent)

    @rpc
    def health(self) -> dict[str, Any]:
        return {"status": "ok"}

    @rpc
    def open_cases_report(self) -> dict[str, Any]:
        with self.runtime.session_factory() as session:
            return handlers.open_cases_report(session=session).model_dump(mode="json")

    @event_handler("cases", "case_created", requeue_on_error=True)
    @idempotent
    def on_case_created(self, session: Session, envelope: Envelope) -> None:
        handlers.record_case_snapshot(session=session, envelope=envelope)

    @event_handler("cases", "case_updated", requeue_on_error=True)
    @idempotent
    def on_case_updated(self, session: Session, envelope: Envelope) -> None:
        handlers.record_case_snapshot(session=session, envelope=envelope)

    @event_handler("cases", "message_added", requeue_on_error=True)
    @idempotent
    def on_message_added(self, session: Session, envelope: Envelope) -> None:
        handlers.record_case_snapshot(session=session, envelope=envelope)


def main() -> None:
    run_service(ReportsService, ReportsSettings())
