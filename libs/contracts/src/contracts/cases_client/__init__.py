"""The cases service's RPC interface, declared once (decision 0175), and its clients.

`CasesClient(rpc)` for asyncio processes (the gateway) over `chassis.rpc_client.RpcClient`, and
`ContactCasesClient(rpc)` with only the contact-scoped methods (the portal); `SyncCasesClient(timed_rpc)`
for nameko workers (notifications, reports) over `chassis.timed_rpc.TimedRpc`.
Each capability's methods are declared in the module of that name; `CasesRpc` gathers them.
"""

from __future__ import annotations

from contracts.cases_client.case import CaseRpc, ContactScopedRpc
from contracts.cases_client.config import ConfigRpc
from contracts.cases_client.directory import DirectoryRpc
from contracts.cases_client.forms import FormRpc, PublishedFormRpc
from contracts.cases_client.portal import BrandingAdminRpc, PortalRpc
from contracts.cases_client.replies import AttachmentLimit, ClosedWithChildren, ContactCaseView, ContactPage, Health
from contracts.cases_client.search import SearchRpc
from contracts.cases_client.sla import FactsRpc, SlaRpc
from contracts.cases_client.templates import TemplateRpc
from contracts.cases_client.work import AttachmentRpc, LinkRpc, TaskRpc, TimeRpc
from contracts.rpc import AsyncRpcClient, AsyncTransport, SyncRpcClient, SyncTransport

SERVICE = "cases"

__all__ = [
    "SERVICE",
    "AttachmentLimit",
    "CasesClient",
    "CasesRpc",
    "ClosedWithChildren",
    "ContactCaseView",
    "ContactCasesClient",
    "ContactPage",
    "Health",
    "SyncCasesClient",
]


class CasesRpc(
    CaseRpc,
    ContactScopedRpc,
    SearchRpc,
    DirectoryRpc,
    ConfigRpc,
    FormRpc,
    PublishedFormRpc,
    TaskRpc,
    AttachmentRpc,
    TimeRpc,
    LinkRpc,
    TemplateRpc,
    SlaRpc,
    FactsRpc,
    PortalRpc,
    BrandingAdminRpc,
):
    """Every RPC of the cases service: name, keyword parameters, result."""


class CasesClient(CasesRpc, AsyncRpcClient):
    """The cases service, called from an asyncio process: `await cases.get_case(case_id=1)`."""

    service = SERVICE

    def __init__(self, transport: AsyncTransport) -> None:
        super().__init__(transport)


class ContactCasesClient(ContactScopedRpc, PortalRpc, PublishedFormRpc, AsyncRpcClient):
    """Only the portal's contact-scoped methods and published forms: a customer-facing process cannot reach an
    agent's."""

    service = SERVICE

    def __init__(self, transport: AsyncTransport) -> None:
        super().__init__(transport)


class SyncCasesClient(CasesRpc, SyncRpcClient):
    """The cases service, called from a nameko worker through a time-limited proxy: `cases.get_case(case_id=1)`."""

    def __init__(self, transport: SyncTransport) -> None:
        super().__init__(transport)
