"""Use cases shared by the REST API and the agent UI that are more than one typed call to the cases service
(those are `ctx.cases.<method>`, declared in `contracts.cases_client`)."""

from __future__ import annotations

from chassis.rpc_client import RpcClient
from contracts.reports import OpenCasesReport


async def open_cases_report(*, rpc: RpcClient) -> OpenCasesReport:
    """Open cases by status and by group, from the reports read model (C6/F1)."""
    return OpenCasesReport.model_validate(await rpc.call("reports", "open_cases_report"))
