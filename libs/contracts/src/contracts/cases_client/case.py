"""Cases RPCs of a case itself: create, read, change, its conversation, and the portal's contact-scoped ones."""

# The stubs have no body: a call goes through the `rpc` descriptor to the service.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from contracts.case_config import HistoryEntry
from contracts.cases import (
    Actor,
    CaseCreate,
    CaseFilter,
    CasePage,
    CaseRead,
    CaseUpdate,
    ContactRead,
    MessageCreate,
    MessageRead,
    Visibility,
)
from contracts.cases_client.replies import ContactCaseView, Health
from contracts.forms import CaseDetail
from contracts.rpc import rpc, rpc_json
from contracts.search import Viewer


class CaseRpc:
    @rpc
    def health(self) -> Health: ...

    @rpc
    def create_case(self, *, data: CaseCreate, actor: Actor, idempotency_key: str | None = None) -> CaseRead: ...

    @rpc_json
    def get_case(self, *, case_id: int, viewer: Viewer | None = None) -> CaseDetail:
        """NotFound when unknown, or in a restricted group `viewer` may not see (None: no scoping); `form`: the
        answers of the department form that opened it."""

    @rpc_json
    def list_cases(self, *, filters: CaseFilter | None = None, viewer: Viewer | None = None) -> CasePage: ...

    @rpc
    def update_case(
        self, *, case_id: int, changes: CaseUpdate, expected_version: int | None = None, actor: Actor
    ) -> CaseRead:
        """A stale `expected_version` raises version_conflict; fields not set in `changes` stay as they are."""

    @rpc
    def add_message(self, *, case_id: int, data: MessageCreate, actor: Actor) -> MessageRead: ...

    @rpc
    def list_messages(
        self, *, case_id: int, visibility: Visibility | None = None, viewer: Viewer | None = None
    ) -> list[MessageRead]: ...

    @rpc
    def get_case_history(self, *, case_id: int) -> list[HistoryEntry]: ...

    @rpc
    def make_message_public(self, *, case_id: int, message_id: int, actor: Actor) -> MessageRead:
        """A mail from someone not on the case (`from_outsider`) becomes public; 422 `not_from_outsider` else."""

    @rpc
    def add_sender_as_follower(self, *, case_id: int, message_id: int, actor: Actor) -> CaseRead:
        """The sender of a `from_outsider` mail follows the case (a contact made for the address if needed)."""


class ContactScopedRpc:
    """The portal's calls: each names the signed-in contact, and cases checks that it owns the case (D10)."""

    @rpc
    def get_contact_by_email(self, *, email: str) -> ContactRead:
        """The contact signing in with this address; NotFound for an address nobody uses."""

    @rpc_json
    def list_cases_for_contact(
        self,
        *,
        contact_id: int,
        cursor: str | None = None,
        limit: int = 25,
        q: str | None = None,
        closed: bool | None = None,
        organisation: bool = False,
    ) -> CasePage:
        """Own cases; `organisation`: the organisation's when it shares them (D10); `closed`; `q` full text."""

    @rpc
    def get_case_for_contact(self, *, case_id: int, contact_id: int) -> ContactCaseView:
        """NotFound unless the case is this contact's (or their sharing organisation's); only public messages."""

    @rpc
    def add_contact_message(self, *, case_id: int, contact_id: int, body: str) -> MessageRead: ...
