"""The reports nameko service: entrypoints only; the work happens in handlers."""

from __future__ import annotations

from typing import Any, cast

from nameko.events import event_handler
from nameko.rpc import RpcProxy
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from chassis.db import make_worker_engine
from chassis.nameko_runtime import Runtime, ServiceRuntime, idempotent, idempotent_group, run_service
from chassis.timed_rpc import TimedRpc
from chassis.typed_rpc import typed_rpc
from contracts.cases_client import SyncCasesClient
from contracts.envelope import Envelope
from contracts.reports import OpenCasesReport
from reports import handlers
from reports.db.models import OutboxMessage, ProcessedEvent
from reports.settings import ReportsSettings


def _engine(url: str) -> Engine:
    """Pool every connection nameko's 10 workers and the relay use at once: no backend opened per event (0132)."""
    if url.startswith("sqlite"):
        return make_worker_engine(url)
    return make_worker_engine(url, pool_size=12, max_overflow=3)


def _begin_snapshots(service: Any, session: Session, envelopes: list[Envelope]) -> None:
    handlers.begin_snapshot_group(session=session)


def _write_snapshots(service: Any, session: Session) -> None:
    handlers.write_snapshot_group(session=session)


class ReportsService:
    name = "reports"

    runtime: Runtime = ServiceRuntime(ReportsSettings, OutboxMessage, ProcessedEvent, engine_factory=_engine)
    cases_rpc = RpcProxy("cases")

    # RPC entry points: replies dumped once (chassis.typed_rpc)

    @typed_rpc
    def health(self) -> dict[str, Any]:
        return {"status": "ok"}

    @typed_rpc
    def open_cases_report(
        self, *, hidden_group_ids: list[int] | None = None, agent_id: int | None = None
    ) -> OpenCasesReport:
        """The caller's scope comes from the gateway: cases of `hidden_group_ids` not assigned to `agent_id`
        are left out, so a restricted group's name and count reach only those who may see its cases."""
        with self.runtime.session_factory() as session:
            return handlers.open_cases_report(
                session=session, hidden_group_ids=hidden_group_ids or (), agent_id=agent_id
            )

    @event_handler("cases", "case_created", requeue_on_error=True)
    @idempotent_group(prepare=_begin_snapshots, complete=_write_snapshots)  # 0126, 0132; one upsert: 0158
    def on_case_created(self, session: Session, envelope: Envelope) -> None:
        handlers.record_case_snapshot(session=session, envelope=envelope)

    @event_handler("cases", "case_updated", requeue_on_error=True)
    @idempotent_group(prepare=_begin_snapshots, complete=_write_snapshots)  # 0126, 0132; one upsert: 0158
    def on_case_updated(self, session: Session, envelope: Envelope) -> None:
        handlers.record_case_snapshot(session=session, envelope=envelope)

    @event_handler("cases", "message_added", requeue_on_error=True)
    @idempotent_group(prepare=_begin_snapshots, complete=_write_snapshots)  # 0126, 0132; one upsert: 0158
    def on_message_added(self, session: Session, envelope: Envelope) -> None:
        handlers.record_case_snapshot(session=session, envelope=envelope)

    @event_handler("cases", "cases_imported", requeue_on_error=True)
    @idempotent
    def on_cases_imported(self, session: Session, envelope: Envelope) -> None:
        # decision 0143: the event names the cases; their facts come from cases, every call bounded by a time-out
        # (chassis.timed_rpc, decision 0153): while cases is down the event is requeued, not held
        timeout = cast(ReportsSettings, self.runtime.settings).cases_rpc_timeout
        cases = SyncCasesClient(TimedRpc(self.cases_rpc, timeout=timeout))
        handlers.record_imported_cases(session=session, envelope=envelope, cases=cases)


def main() -> None:
    run_service(ReportsService, ReportsSettings())
