"""Cases RPCs of templates, canned replies, recurring cases and agents' signatures."""

# The stubs have no body: a call goes through the `rpc` descriptor to the service.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from contracts.case_work import (
    CannedReplyCreate,
    CannedReplyRead,
    CaseFromTemplate,
    RecurrenceCreate,
    RecurrenceRead,
    RecurrenceUpdate,
    ResolvedSignature,
    SignatureRead,
    SignatureSet,
    TemplateFields,
    TemplateFromCase,
    TemplateRead,
)
from contracts.cases import Actor, CaseRead
from contracts.rpc import rpc


class TemplateRpc:
    @rpc
    def create_template(self, *, data: TemplateFields) -> TemplateRead: ...

    @rpc
    def update_template(self, *, template_id: int, data: TemplateFields) -> TemplateRead: ...

    @rpc
    def list_templates(self) -> list[TemplateRead]: ...

    @rpc
    def template_of_case(self, *, case_id: int) -> TemplateRead | None:
        """The template a case was made from, or None."""

    @rpc
    def template_from_case(self, *, case_id: int, data: TemplateFromCase) -> TemplateRead: ...

    @rpc
    def case_from_template(self, *, template_id: int, data: CaseFromTemplate, actor: Actor) -> CaseRead: ...

    @rpc
    def create_canned_reply(self, *, data: CannedReplyCreate) -> CannedReplyRead: ...

    @rpc
    def list_canned_replies(self) -> list[CannedReplyRead]: ...

    @rpc
    def delete_canned_reply(self, *, reply_id: int) -> None: ...

    @rpc
    def create_recurrence(self, *, data: RecurrenceCreate) -> RecurrenceRead: ...

    @rpc
    def update_recurrence(self, *, recurrence_id: int, changes: RecurrenceUpdate) -> RecurrenceRead: ...

    @rpc
    def list_recurrences(self) -> list[RecurrenceRead]: ...

    @rpc
    def set_signature(self, *, data: SignatureSet) -> SignatureRead: ...

    @rpc
    def list_signatures(self) -> list[SignatureRead]: ...

    @rpc
    def resolve_signature(self, *, agent_id: int, mailbox: str | None = None) -> ResolvedSignature:
        """The greeting and signature of `agent_id` writing from `mailbox` (notifications)."""
