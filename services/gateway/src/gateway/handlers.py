"""Use cases shared by the REST API and the agent UI that are more than one typed call to the cases service
(those are `ctx.cases.<method>`, declared in `contracts.cases_client`)."""

from __future__ import annotations

from chassis.rpc_client import RpcClient
from contracts import search as s
from contracts.cases_client import CasesClient
from contracts.directory import GroupRead
from contracts.reports import OpenCasesReport


def hidden_group_ids(groups: list[GroupRead], viewer: s.Viewer) -> list[int]:
    """The restricted groups `viewer` is not a member of (none for an admin)."""
    if viewer.is_admin:
        return []
    return sorted(g.id for g in groups if g.restricted and viewer.agent_id not in g.member_ids)


async def open_cases_report(*, rpc: RpcClient, cases: CasesClient, viewer: s.Viewer) -> OpenCasesReport:
    """Open cases by status and by group, from the reports read model (C6/F1), of the cases `viewer` may see:
    a restricted group's name and count reach only its members, admins and (for their own cases) assignees."""
    hidden = [] if viewer.is_admin else hidden_group_ids(await cases.list_groups_detail(), viewer)
    answer = await rpc.call("reports", "open_cases_report", hidden_group_ids=hidden, agent_id=viewer.agent_id)
    return OpenCasesReport.model_validate(answer)
