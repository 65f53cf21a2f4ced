"""The cases nameko service: the entrypoints of every capability, composed into one service class.

Each capability declares its entrypoints in `<capability>/rpc.py` (a mixin of `cases.common.rpc.RpcBase`);
nameko finds entrypoints on base classes, so the service answers every method of its mixins under its name.

Everything an entrypoint needs is imported when the worker starts, not at first use: the first SLA timer run
used to stall every request behind the import of `holidays` and its calendars (decision 0160)."""

from __future__ import annotations

from typing import Any

from cases.attachments import writes as attachments_writes
from cases.attachments.rpc import AttachmentsRpc
from cases.bulk.rpc import BulkRpc
from cases.case.rpc import CaseRpc
from cases.common.tables import OutboxMessage, ProcessedEvent
from cases.config.rpc import ConfigRpc
from cases.directory.rpc import DirectoryRpc
from cases.forms.rpc import FormsRpc
from cases.intake.rpc import IntakeRpc
from cases.links.rpc import LinksRpc
from cases.portal.rpc import PortalRpc
from cases.search.rpc import SearchRpc
from cases.settings import CasesSettings
from cases.sla import writes_hooks
from cases.sla.rpc import SlaRpc
from cases.tasks.rpc import TasksRpc
from cases.templates.rpc import TemplatesRpc
from cases.time.rpc import TimeRpc
from chassis.nameko_runtime import Runtime, ServiceRuntime, run_service
from chassis.typed_rpc import typed_rpc


class CasesService(
    CaseRpc,
    IntakeRpc,
    DirectoryRpc,
    ConfigRpc,
    TasksRpc,
    TimeRpc,
    TemplatesRpc,
    LinksRpc,
    AttachmentsRpc,
    SearchRpc,
    SlaRpc,
    BulkRpc,
    FormsRpc,
    PortalRpc,
):
    name = "cases"

    # the attachments' blob store is swept of dead writers' temporary files at start-up (decision 0168)
    runtime: Runtime = ServiceRuntime(
        CasesSettings,
        OutboxMessage,
        ProcessedEvent,
        blob_stores=lambda settings: [attachments_writes.blob_store(settings)],
    )

    @typed_rpc
    def health(self) -> dict[str, Any]:
        return {"status": "ok"}


def main() -> None:
    settings = CasesSettings()
    writes_hooks.install()  # every session of the worker keeps each case's SLA right (decision 0076)
    # a group can only hold the deliveries nameko lets in at once (prefetch = max_workers, decision 0126)
    run_service(CasesService, settings, max_workers=settings.max_workers)
