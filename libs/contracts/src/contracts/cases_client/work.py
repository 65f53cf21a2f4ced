"""Cases RPCs of the work on a case: forwards, tasks and approvals, attachments, time, links and merges."""

# The stubs have no body: a call goes through the `rpc` descriptor to the service.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from contracts.case_work import (
    AgentTime,
    ApprovalDecision,
    AttachmentContent,
    AttachmentRead,
    CaseLinks,
    ForwardCreate,
    LinkCreate,
    LinkRead,
    TaskCreate,
    TaskRead,
    TaskUpdate,
    TimeEntryCreate,
    TimeEntryRead,
    TimeTotals,
)
from contracts.cases import Actor, CaseRead, MessageRead
from contracts.cases_client.replies import AttachmentLimit, ClosedWithChildren
from contracts.rpc import rpc
from contracts.search import Viewer


class TaskRpc:
    @rpc
    def forward_case(self, *, case_id: int, data: ForwardCreate, actor: Actor) -> MessageRead: ...

    @rpc
    def add_task(self, *, case_id: int, data: TaskCreate, actor: Actor) -> TaskRead: ...

    @rpc
    def update_task(self, *, case_id: int, task_id: int, changes: TaskUpdate, actor: Actor) -> TaskRead: ...

    @rpc
    def list_tasks(self, *, case_id: int) -> list[TaskRead]: ...

    @rpc
    def decide_approval(self, *, task_id: int, contact_id: int, decision: ApprovalDecision) -> TaskRead:
        """The signed-in contact approves or rejects one of their approval tasks (portal)."""

    @rpc
    def list_approvals_for_contact(self, *, contact_id: int) -> list[TaskRead]: ...


class AttachmentRpc:
    @rpc
    def add_attachment(
        self,
        *,
        case_id: int,
        filename: str,
        content_base64: str,
        actor: Actor,
        content_type: str | None = None,
        message_id: int | None = None,
    ) -> AttachmentRead: ...

    @rpc
    def list_attachments(self, *, case_id: int) -> list[AttachmentRead]: ...

    @rpc
    def get_attachment(self, *, case_id: int, attachment_id: int) -> AttachmentContent: ...

    @rpc
    def attachment_limit(self) -> AttachmentLimit:
        """The per-file limit, so an edge can refuse an oversized upload before sending it."""


class TimeRpc:
    @rpc
    def log_time(self, *, case_id: int, data: TimeEntryCreate, actor: Actor) -> TimeEntryRead: ...

    @rpc
    def start_timer(self, *, case_id: int, actor: Actor, billable: bool = True) -> TimeEntryRead: ...

    @rpc
    def stop_timer(self, *, case_id: int, actor: Actor) -> TimeEntryRead: ...

    @rpc
    def case_time(self, *, case_id: int) -> TimeTotals: ...

    @rpc
    def agent_time(self, *, agent_id: int, viewer: Viewer | None = None) -> AgentTime:
        """Over the cases `viewer` may see (None: every case)."""


class LinkRpc:
    @rpc
    def merge_cases(self, *, case_id: int, duplicate_id: int, actor: Actor) -> CaseRead: ...

    @rpc
    def link_cases(self, *, case_id: int, data: LinkCreate, actor: Actor) -> LinkRead: ...

    @rpc
    def case_links(self, *, case_id: int, viewer: Viewer | None = None) -> CaseLinks:
        """Linked cases hidden from `viewer` are left out (decision 0125); None: every link."""

    @rpc
    def close_with_children(self, *, case_id: int, actor: Actor, viewer: Viewer | None = None) -> ClosedWithChildren:
        """Children hidden from `viewer` are not closed, only counted (decision 0125)."""
