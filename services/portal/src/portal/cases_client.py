"""The portal's only door to the cases service: the portal-scoped RPC methods, typed."""

from __future__ import annotations

from dataclasses import dataclass

from chassis.rpc_client import RpcClient
from contracts.cases import CasePage, CaseRead, ContactRead, MessageRead, Visibility


@dataclass(frozen=True)
class CaseView:
    case: CaseRead
    messages: list[MessageRead]


class CasesClient:
    """Every call names the signed-in contact, so cases checks ownership itself (D10)."""

    def __init__(self, rpc: RpcClient) -> None:
        self.rpc = rpc

    async def get_contact_by_email(self, *, email: str) -> ContactRead:
        """Raises DomainError(not_found) for an address nobody uses."""
        return ContactRead.model_validate(await self.rpc.call("cases", "get_contact_by_email", email=email))

    async def list_cases(self, *, contact_id: int, cursor: str | None, limit: int) -> CasePage:
        data = await self.rpc.call("cases", "list_cases_for_contact", contact_id=contact_id, cursor=cursor, limit=limit)
        return CasePage.model_validate(data)

    async def get_case(self, *, case_id: int, contact_id: int) -> CaseView:
        """Raises DomainError(not_found) when the case is not this contact's."""
        data = await self.rpc.call("cases", "get_case_for_contact", case_id=case_id, contact_id=contact_id)
        messages = [MessageRead.model_validate(m) for m in data.get("messages", [])]
        # cases already filters; a second filter here means a bug there can never show a note (D4)
        public = [m for m in messages if m.visibility == Visibility.PUBLIC]
        return CaseView(case=CaseRead.model_validate(data["case"]), messages=public)

    async def add_reply(self, *, case_id: int, contact_id: int, body: str) -> MessageRead:
        data = await self.rpc.call("cases", "add_contact_message", case_id=case_id, contact_id=contact_id, body=body)
        return MessageRead.model_validate(data)
