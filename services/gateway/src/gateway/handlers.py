"""Use cases shared by the REST API and the agent UI: each is one call to the service that owns the data."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from chassis.rpc_client import RpcClient
from contracts import cases as c
from contracts.reports import OpenCasesReport

_messages = TypeAdapter(list[c.MessageRead])
_groups = TypeAdapter(list[c.GroupRef])
_agents = TypeAdapter(list[c.AgentRead])


def _json(model: Any) -> Any:
    return model.model_dump(mode="json")


async def create_case(
    *, rpc: RpcClient, data: c.CaseCreate, actor: c.Actor, idempotency_key: str | None = None
) -> c.CaseRead:
    """Open a case (A1/A4)."""
    result = await rpc.call(
        "cases", "create_case", data=_json(data), actor=_json(actor), idempotency_key=idempotency_key
    )
    return c.CaseRead.model_validate(result)


async def get_case(*, rpc: RpcClient, case_id: int, viewer: dict[str, Any] | None = None) -> c.CaseRead:
    """One case (NotFound when unknown, or in a restricted group the `viewer` may not see: issue 6)."""
    scoped = {"viewer": viewer} if viewer is not None else {}
    return c.CaseRead.model_validate(await rpc.call("cases", "get_case", case_id=case_id, **scoped))


async def list_cases(*, rpc: RpcClient, filters: c.CaseFilter) -> c.CasePage:
    """A page of cases matching the filters, newest first, with the cursor of the next page."""
    return c.CasePage.model_validate(await rpc.call("cases", "list_cases", filters=_json(filters)))


async def update_case(
    *, rpc: RpcClient, case_id: int, changes: c.CaseUpdate, expected_version: int | None, actor: c.Actor
) -> c.CaseRead:
    """Change fields of a case; a stale expected version raises version_conflict (B11)."""
    result = await rpc.call(
        "cases",
        "update_case",
        case_id=case_id,
        # only the fields the caller set: an explicit null (unassign) differs from "leave as is"
        changes=changes.model_dump(mode="json", exclude_unset=True),
        expected_version=expected_version,
        actor=_json(actor),
    )
    return c.CaseRead.model_validate(result)


async def add_message(*, rpc: RpcClient, case_id: int, data: c.MessageCreate, actor: c.Actor) -> c.MessageRead:
    """A public reply or an internal note on a case (B4)."""
    result = await rpc.call("cases", "add_message", case_id=case_id, data=_json(data), actor=_json(actor))
    return c.MessageRead.model_validate(result)


async def list_messages(
    *, rpc: RpcClient, case_id: int, visibility: c.Visibility | None = None, viewer: dict[str, Any] | None = None
) -> list[c.MessageRead]:
    """The conversation of a case, oldest first (issue 6: NotFound if the `viewer` may not see the case)."""
    scoped = {"viewer": viewer} if viewer is not None else {}
    result = await rpc.call(
        "cases", "list_messages", case_id=case_id, visibility=visibility.value if visibility else None, **scoped
    )
    return _messages.validate_python(result)


async def list_groups(*, rpc: RpcClient) -> list[c.GroupRef]:
    """All groups."""
    return _groups.validate_python(await rpc.call("cases", "list_groups"))


async def list_agents(*, rpc: RpcClient) -> list[c.AgentRead]:
    """All agents."""
    return _agents.validate_python(await rpc.call("cases", "list_agents"))


async def get_agent_by_email(*, rpc: RpcClient, email: str) -> c.AgentRead:
    """The agent with this email (NotFound when none)."""
    return c.AgentRead.model_validate(await rpc.call("cases", "get_agent_by_email", email=email))


async def open_cases_report(*, rpc: RpcClient) -> OpenCasesReport:
    """Open cases by status and by group, from the reports read model (C6/F1)."""
    return OpenCasesReport.model_validate(await rpc.call("reports", "open_cases_report"))
