"""The cases nameko service: entrypoints only; the work happens in handlers and queries.

Everything an entrypoint needs is imported when the worker starts, not at first use: the first SLA timer run
used to stall every request behind the import of `holidays` and its calendars (decision 0160)."""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar, cast

from nameko.events import event_handler
from nameko.timer import timer
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from cases.attachments import reads as attachments_reads
from cases.attachments import writes as attachments_writes
from cases.bulk.reads import case_facts
from cases.case import reads as case_reads
from cases.case import writes as case_writes
from cases.case import writes_automation as case_rules
from cases.case import writes_forward as forwards
from cases.common import batch_lookups
from cases.common.case_rows import CaseRows
from cases.common.tables import OutboxMessage, ProcessedEvent
from cases.config import reads as config_reads
from cases.config import writes as config_writes
from cases.directory import reads as directory_reads
from cases.directory import reads_detail as directory_detail
from cases.directory import writes as directory_writes
from cases.directory import writes_delete as directory_delete
from cases.intake import writes as intake_writes
from cases.intake import writes_batch as mail_batch
from cases.intake.writes_sms import apply_sms_received
from cases.links import reads as links_reads
from cases.links import writes as links_writes
from cases.search import reads as search_reads
from cases.search import writes as search_writes
from cases.settings import CasesSettings
from cases.sla import writes as sla_service
from cases.sla import writes_admin as sla_admin
from cases.sla import writes_events as sla_events
from cases.sla import writes_hooks
from cases.sla import writes_jobs as sla_jobs
from cases.sla.reads_at_risk import at_risk_count
from cases.tasks import reads as tasks_reads
from cases.tasks import writes as tasks_writes
from cases.templates import reads as templates_reads
from cases.templates import reads_signatures as signatures_reads
from cases.templates import writes as templates_writes
from cases.templates import writes_signatures as signatures_writes
from cases.time import reads as time_reads
from cases.time import writes as time_writes
from chassis.nameko_rpc import RawJson, domain_rpc
from chassis.nameko_runtime import Runtime, ServiceRuntime, idempotent, idempotent_group, run_service
from contracts import case_work as cw
from contracts import cases as cm
from contracts.cases import Actor, CaseCreate, CaseFilter, CaseUpdate, MessageCreate, Visibility
from contracts.envelope import Envelope
from contracts.errors import ValidationFailed
from contracts.gateway import SmsReceived
from contracts.mail_gateway import MailReceived
from contracts.notifications import NotificationSent
from contracts.search import SavedSearchUpdate, SavedSearchWrite, Viewer
from contracts.sla import BusinessCalendarWrite, SlaPolicyWrite

M = TypeVar("M", bound=BaseModel)
# issue 3 part B: how often recurring cases are looked for (nameko fixes the interval at import)
_RECURRENCE_INTERVAL = CasesSettings().recurrence_interval_seconds
# issue 3 part A: how often dormant cases are woken (B2)
_DORMANT_INTERVAL = CasesSettings().dormant_check_seconds
# issue 6: how often SLA warnings and breaches are looked for (B13)
_SLA_INTERVAL = CasesSettings().sla_check_seconds
# issue 6 gaps (decision 0144): how often SLA recompute jobs are worked off
_SLA_JOB_INTERVAL = CasesSettings().sla_job_seconds
# issue 4: mails applied in one transaction at most, and how long a group waits for more (decision 0126)
_MAIL_GROUP = CasesSettings().mail_group_size
_MAIL_GROUP_LINGER = CasesSettings().mail_group_linger_seconds


def _invalid(name: str, exc: ValidationError) -> ValidationFailed:
    details = json.loads(exc.json(include_url=False))
    return ValidationFailed(message=f"{name} is invalid", details=[{**d, "loc": [name, *d["loc"]]} for d in details])


def _parse(model: type[M], value: Any, name: str) -> M:
    """The contract model for an RPC argument, or ValidationFailed with pydantic's error details."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise _invalid(name, exc) from None


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}  # repr(kind) -> adapter: building one costs up to 0.3 ms (issue 6)


def _value(kind: Any, value: Any, name: str) -> Any:
    adapter = _ADAPTERS.get(key := repr(kind))
    if adapter is None:
        adapter = _ADAPTERS[key] = TypeAdapter(kind)
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        raise _invalid(name, exc) from None


def _dump(value: BaseModel) -> dict[str, Any]:
    return value.model_dump(mode="json")


def _raw(value: BaseModel | CaseRows) -> RawJson:
    """The reply of a hot read as pydantic writes it: encoded once, not via a dict (issue 6, decisions 0136, 0160)."""
    return RawJson(value.model_dump_json())


class CasesService:
    name = "cases"

    # the attachments' blob store is swept of dead writers' temporary files at start-up (decision 0168)
    runtime: Runtime = ServiceRuntime(
        CasesSettings,
        OutboxMessage,
        ProcessedEvent,
        blob_stores=lambda settings: [attachments_writes.blob_store(settings)],
    )

    def _session(self) -> Session:
        return self.runtime.session_factory()

    def _read_session(self) -> Session:
        """Reads that neither write nor set transaction-local settings (issue 6, decision 0135)."""
        return self.runtime.read_session()

    @domain_rpc
    def health(self) -> dict[str, Any]:
        return {"status": "ok"}

    # -- agent side ------------------------------------------------------------------------

    @domain_rpc
    def create_case(self, *, data: Any, actor: Any, idempotency_key: str | None = None) -> dict[str, Any]:
        case = case_writes.create_case(
            runtime=self.runtime,
            data=_parse(CaseCreate, data, "data"),
            actor=_parse(Actor, actor, "actor"),
            idempotency_key=_value(str | None, idempotency_key, "idempotency_key"),
        )
        return _dump(case)

    @domain_rpc
    def get_case(self, *, case_id: Any, viewer: Any = None) -> RawJson:
        with self._read_session() as session:
            return _raw(
                case_reads.get_case(
                    session=session,
                    case_id=_value(int, case_id, "case_id"),
                    viewer=_parse(Viewer, viewer, "viewer") if viewer is not None else None,  # issue 6
                )
            )

    @domain_rpc
    def list_cases(self, *, filters: Any = None, viewer: Any = None) -> RawJson:
        with self._read_session() as session:
            return _raw(
                case_reads.list_cases(
                    session=session,
                    filters=_parse(CaseFilter, filters or {}, "filters"),
                    viewer=_parse(Viewer, viewer, "viewer") if viewer is not None else None,
                )
            )

    @domain_rpc
    def update_case(self, *, case_id: Any, changes: Any, expected_version: Any = None, actor: Any) -> dict[str, Any]:
        case = case_writes.update_case(
            runtime=self.runtime,
            case_id=_value(int, case_id, "case_id"),
            changes=_parse(CaseUpdate, changes, "changes"),
            expected_version=_value(int | None, expected_version, "expected_version"),
            actor=_parse(Actor, actor, "actor"),
        )
        return _dump(case)

    @domain_rpc
    def add_message(self, *, case_id: Any, data: Any, actor: Any) -> dict[str, Any]:
        message = case_writes.add_message(
            runtime=self.runtime,
            case_id=_value(int, case_id, "case_id"),
            data=_parse(MessageCreate, data, "data"),
            actor=_parse(Actor, actor, "actor"),
        )
        return _dump(message)

    @domain_rpc
    def list_messages(self, *, case_id: Any, visibility: Any = None, viewer: Any = None) -> list[dict[str, Any]]:
        with self._read_session() as session:
            messages = case_reads.list_messages(
                session=session,
                case_id=_value(int, case_id, "case_id"),
                visibility=_value(Visibility | None, visibility, "visibility"),
                viewer=_parse(Viewer, viewer, "viewer") if viewer is not None else None,  # issue 6
            )
            return [_dump(m) for m in messages]

    # -- search, inbox views, saved searches (issue 6): cases.search.service -------------------

    @domain_rpc
    def search_cases(self, *, viewer: Any, q: Any, cursor: Any = None, limit: Any = 25) -> RawJson:
        with self._session() as session:
            return _raw(
                search_reads.search_cases(
                    session=session,
                    viewer=_parse(Viewer, viewer, "viewer"),
                    q=_value(Annotated[str, Field(max_length=200)], q, "q"),
                    cursor=_value(str | None, cursor, "cursor"),
                    limit=_value(Annotated[int, Field(ge=1, le=100)], limit, "limit"),
                )
            )

    @domain_rpc
    def list_views(self, *, viewer: Any) -> RawJson:
        with self._read_session() as session:
            return _raw(search_reads.list_views(session=session, viewer=_parse(Viewer, viewer, "viewer")))

    @domain_rpc
    def view_cases(self, *, viewer: Any, key: Any, cursor: Any = None, limit: Any = 25) -> RawJson:
        with self._read_session() as session:
            return _raw(
                search_reads.view_cases(
                    session=session,
                    viewer=_parse(Viewer, viewer, "viewer"),
                    key=_value(str, key, "key"),
                    cursor=_value(str | None, cursor, "cursor"),
                    limit=_value(Annotated[int, Field(ge=1, le=100)], limit, "limit"),
                )
            )

    @domain_rpc
    def list_saved_searches(self, *, viewer: Any, counts: Any = False) -> dict[str, Any]:
        with self._read_session() as session:
            return _dump(
                search_reads.list_saved_searches(
                    session=session, viewer=_parse(Viewer, viewer, "viewer"), counts=_value(bool, counts, "counts")
                )
            )

    @domain_rpc
    def get_saved_search(self, *, viewer: Any, search_id: Any) -> dict[str, Any]:
        with self._read_session() as session:
            return _dump(
                search_reads.get_saved_search(
                    session=session, viewer=_parse(Viewer, viewer, "viewer"), search_id=_value(int, search_id, "id")
                )
            )

    @domain_rpc
    def saved_search_cases(self, *, viewer: Any, search_id: Any, cursor: Any = None, limit: Any = 25) -> RawJson:
        with self._read_session() as session:
            return _raw(
                search_reads.saved_search_cases(
                    session=session,
                    viewer=_parse(Viewer, viewer, "viewer"),
                    search_id=_value(int, search_id, "id"),
                    cursor=_value(str | None, cursor, "cursor"),
                    limit=_value(Annotated[int, Field(ge=1, le=100)], limit, "limit"),
                )
            )

    @domain_rpc
    def saved_search_count(self, *, viewer: Any, search_id: Any) -> RawJson:
        with self._read_session() as session:
            return _raw(
                search_reads.saved_search_count(
                    session=session, viewer=_parse(Viewer, viewer, "viewer"), search_id=_value(int, search_id, "id")
                )
            )

    @domain_rpc
    def create_saved_search(self, *, viewer: Any, data: Any) -> dict[str, Any]:
        return _dump(
            search_writes.create_saved_search(
                runtime=self.runtime,
                viewer=_parse(Viewer, viewer, "viewer"),
                data=_parse(SavedSearchWrite, data, "data"),
            )
        )

    @domain_rpc
    def update_saved_search(self, *, viewer: Any, search_id: Any, changes: Any) -> dict[str, Any]:
        return _dump(
            search_writes.update_saved_search(
                runtime=self.runtime,
                viewer=_parse(Viewer, viewer, "viewer"),
                search_id=_value(int, search_id, "id"),
                changes=_parse(SavedSearchUpdate, changes, "changes"),
            )
        )

    @domain_rpc
    def delete_saved_search(self, *, viewer: Any, search_id: Any) -> None:
        search_writes.delete_saved_search(
            runtime=self.runtime, viewer=_parse(Viewer, viewer, "viewer"), search_id=_value(int, search_id, "id")
        )

    # -- directory -------------------------------------------------------------------------

    @domain_rpc
    def list_groups(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(g) for g in directory_reads.list_groups(session=session)]

    @domain_rpc
    def list_agents(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(a) for a in directory_reads.list_agents(session=session)]

    @domain_rpc
    def get_agent_by_email(self, *, email: Any) -> dict[str, Any]:
        with self._session() as session:
            return _dump(directory_reads.get_agent_by_email(session=session, email=_value(str, email, "email")))

    @domain_rpc
    def get_contact_by_email(self, *, email: Any) -> dict[str, Any]:
        with self._session() as session:
            return _dump(directory_reads.get_contact_by_email(session=session, email=_value(str, email, "email")))

    # -- portal: always scoped to the signed-in contact --------------------------------------

    @domain_rpc
    def list_cases_for_contact(self, *, contact_id: Any, cursor: Any = None, limit: Any = 25) -> RawJson:
        with self._read_session() as session:
            page = case_reads.list_cases_for_contact(
                session=session,
                contact_id=_value(int, contact_id, "contact_id"),
                cursor=_value(str | None, cursor, "cursor"),
                limit=_value(Annotated[int, Field(ge=1, le=100)], limit, "limit"),
            )
            return _raw(page)

    @domain_rpc
    def get_case_for_contact(self, *, case_id: Any, contact_id: Any) -> dict[str, Any]:
        with self._session() as session:
            return case_reads.get_case_for_contact(
                session=session,
                case_id=_value(int, case_id, "case_id"),
                contact_id=_value(int, contact_id, "contact_id"),
            )

    @domain_rpc
    def add_contact_message(self, *, case_id: Any, contact_id: Any, body: Any) -> dict[str, Any]:
        message = case_writes.add_contact_message(
            runtime=self.runtime,
            case_id=_value(int, case_id, "case_id"),
            contact_id=_value(int, contact_id, "contact_id"),
            body=_parse(MessageCreate, {"body": body}, "body").body,
        )
        return _dump(message)

    # -- case work (issue 3 part B) -------------------------------------------------------------

    def _settings(self) -> CasesSettings:
        return cast(CasesSettings, self.runtime.settings)

    @domain_rpc
    def forward_case(self, *, case_id: Any, data: Any, actor: Any) -> dict[str, Any]:
        return _dump(
            forwards.forward_case(
                runtime=self.runtime,
                case_id=_value(int, case_id, "case_id"),
                data=_parse(cw.ForwardCreate, data, "data"),
                actor=_parse(Actor, actor, "actor"),
            )
        )

    @domain_rpc
    def add_task(self, *, case_id: Any, data: Any, actor: Any) -> dict[str, Any]:
        return _dump(
            tasks_writes.add_task(
                runtime=self.runtime,
                case_id=_value(int, case_id, "case_id"),
                data=_parse(cw.TaskCreate, data, "data"),
                actor=_parse(Actor, actor, "actor"),
            )
        )

    @domain_rpc
    def update_task(self, *, case_id: Any, task_id: Any, changes: Any, actor: Any) -> dict[str, Any]:
        return _dump(
            tasks_writes.update_task(
                runtime=self.runtime,
                case_id=_value(int, case_id, "case_id"),
                task_id=_value(int, task_id, "task_id"),
                changes=_parse(cw.TaskUpdate, changes, "changes"),
                actor=_parse(Actor, actor, "actor"),
            )
        )

    @domain_rpc
    def list_tasks(self, *, case_id: Any) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(t) for t in tasks_reads.list_tasks(session=session, case_id=_value(int, case_id, "case_id"))]

    @domain_rpc
    def decide_approval(self, *, task_id: Any, contact_id: Any, decision: Any) -> dict[str, Any]:
        """Portal: the signed-in contact approves or rejects one of their approval tasks."""
        return _dump(
            tasks_writes.decide_approval(
                runtime=self.runtime,
                task_id=_value(int, task_id, "task_id"),
                contact_id=_value(int, contact_id, "contact_id"),
                decision=_value(cw.ApprovalDecision, decision, "decision"),
            )
        )

    @domain_rpc
    def list_approvals_for_contact(self, *, contact_id: Any) -> list[dict[str, Any]]:
        with self._session() as session:
            rows = tasks_reads.list_approvals_for_contact(
                session=session, contact_id=_value(int, contact_id, "contact_id")
            )
            return [_dump(t) for t in rows]

    @domain_rpc
    def add_attachment(
        self,
        *,
        case_id: Any,
        filename: Any,
        content_base64: Any,
        actor: Any,
        content_type: Any = None,
        message_id: Any = None,
    ) -> dict[str, Any]:
        settings = self._settings()
        return _dump(
            attachments_writes.add_attachment(
                runtime=self.runtime,
                store=attachments_writes.blob_store(settings),
                limit=settings.max_attachment_bytes,
                case_id=_value(int, case_id, "case_id"),
                filename=_value(Annotated[str, Field(min_length=1, max_length=1000)], filename, "filename"),
                content_type=_value(str | None, content_type, "content_type"),
                content_base64=_value(str, content_base64, "content_base64"),
                message_id=_value(int | None, message_id, "message_id"),
                actor=_parse(Actor, actor, "actor"),
            )
        )

    @domain_rpc
    def list_attachments(self, *, case_id: Any) -> list[dict[str, Any]]:
        with self._session() as session:
            rows = attachments_reads.list_attachments(session=session, case_id=_value(int, case_id, "case_id"))
            return [_dump(a) for a in rows]

    @domain_rpc
    def get_attachment(self, *, case_id: Any, attachment_id: Any) -> dict[str, Any]:
        with self._session() as session:
            return _dump(
                attachments_reads.get_attachment(
                    session=session,
                    store=attachments_writes.blob_store(self._settings()),
                    case_id=_value(int, case_id, "case_id"),
                    attachment_id=_value(int, attachment_id, "attachment_id"),
                )
            )

    @domain_rpc
    def attachment_limit(self) -> dict[str, Any]:
        """The per-file limit, so an edge can refuse an oversized upload before sending it."""
        return {"max_attachment_bytes": self._settings().max_attachment_bytes}

    @domain_rpc
    def log_time(self, *, case_id: Any, data: Any, actor: Any) -> dict[str, Any]:
        return _dump(
            time_writes.log_time(
                runtime=self.runtime,
                case_id=_value(int, case_id, "case_id"),
                data=_parse(cw.TimeEntryCreate, data, "data"),
                actor=_parse(Actor, actor, "actor"),
            )
        )

    @domain_rpc
    def start_timer(self, *, case_id: Any, actor: Any, billable: Any = True) -> dict[str, Any]:
        return _dump(
            time_writes.start_timer(
                runtime=self.runtime,
                case_id=_value(int, case_id, "case_id"),
                billable=_value(bool, billable, "billable"),
                actor=_parse(Actor, actor, "actor"),
            )
        )

    @domain_rpc
    def stop_timer(self, *, case_id: Any, actor: Any) -> dict[str, Any]:
        return _dump(
            time_writes.stop_timer(
                runtime=self.runtime, case_id=_value(int, case_id, "case_id"), actor=_parse(Actor, actor, "actor")
            )
        )

    @domain_rpc
    def case_time(self, *, case_id: Any) -> dict[str, Any]:
        with self._session() as session:
            return _dump(time_reads.case_time(session=session, case_id=_value(int, case_id, "case_id")))

    @domain_rpc
    def agent_time(self, *, agent_id: Any) -> dict[str, Any]:
        with self._session() as session:
            return _dump(time_reads.agent_time(session=session, agent_id=_value(int, agent_id, "agent_id")))

    @domain_rpc
    def create_template(self, *, data: Any) -> dict[str, Any]:
        return _dump(
            templates_writes.create_template(runtime=self.runtime, data=_parse(cw.TemplateFields, data, "data"))
        )

    @domain_rpc
    def update_template(self, *, template_id: Any, data: Any) -> dict[str, Any]:
        return _dump(
            templates_writes.update_template(
                runtime=self.runtime,
                template_id=_value(int, template_id, "template_id"),
                data=_parse(cw.TemplateFields, data, "data"),
            )
        )

    @domain_rpc
    def list_templates(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(t) for t in templates_reads.list_templates(session=session)]

    @domain_rpc
    def template_of_case(self, *, case_id: Any) -> dict[str, Any] | None:
        with self._session() as session:
            found = templates_reads.template_of_case(session=session, case_id=_value(int, case_id, "case_id"))
            return _dump(found) if found else None

    @domain_rpc
    def template_from_case(self, *, case_id: Any, data: Any) -> dict[str, Any]:
        return _dump(
            templates_writes.template_from_case(
                runtime=self.runtime,
                case_id=_value(int, case_id, "case_id"),
                data=_parse(cw.TemplateFromCase, data, "data"),
            )
        )

    @domain_rpc
    def case_from_template(self, *, template_id: Any, data: Any, actor: Any) -> dict[str, Any]:
        return _dump(
            templates_writes.case_from_template(
                runtime=self.runtime,
                template_id=_value(int, template_id, "template_id"),
                data=_parse(cw.CaseFromTemplate, data or {}, "data"),
                actor=_parse(Actor, actor, "actor"),
            )
        )

    @domain_rpc
    def create_canned_reply(self, *, data: Any) -> dict[str, Any]:
        return _dump(
            templates_writes.create_canned_reply(runtime=self.runtime, data=_parse(cw.CannedReplyCreate, data, "data"))
        )

    @domain_rpc
    def list_canned_replies(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(r) for r in templates_reads.list_canned_replies(session=session)]

    @domain_rpc
    def delete_canned_reply(self, *, reply_id: Any) -> None:
        templates_writes.delete_canned_reply(runtime=self.runtime, reply_id=_value(int, reply_id, "reply_id"))

    @domain_rpc
    def create_recurrence(self, *, data: Any) -> dict[str, Any]:
        return _dump(
            templates_writes.create_recurrence(runtime=self.runtime, data=_parse(cw.RecurrenceCreate, data, "data"))
        )

    @domain_rpc
    def update_recurrence(self, *, recurrence_id: Any, changes: Any) -> dict[str, Any]:
        return _dump(
            templates_writes.set_recurrence_active(
                runtime=self.runtime,
                recurrence_id=_value(int, recurrence_id, "recurrence_id"),
                active=_parse(cw.RecurrenceUpdate, changes, "changes").active,
            )
        )

    @domain_rpc
    def list_recurrences(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(r) for r in templates_reads.list_recurrences(session=session)]

    @timer(interval=_RECURRENCE_INTERVAL)
    def run_recurrences(self) -> None:
        """Create the cases of due recurrence slots (every worker runs this; slots are claimed, never doubled)."""
        templates_writes.run_due_recurrences(runtime=self.runtime)

    @domain_rpc
    def set_signature(self, *, data: Any) -> dict[str, Any]:
        return _dump(signatures_writes.set_signature(runtime=self.runtime, data=_parse(cw.SignatureSet, data, "data")))

    @domain_rpc
    def list_signatures(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(s) for s in signatures_reads.list_signatures(session=session)]

    @domain_rpc
    def resolve_signature(self, *, agent_id: Any, mailbox: Any = None) -> dict[str, Any]:
        """Notifications: the greeting and signature of `agent_id` writing from `mailbox`."""
        with self._session() as session:
            return _dump(
                signatures_reads.resolve_signature(
                    session=session,
                    agent_id=_value(int, agent_id, "agent_id"),
                    mailbox=_value(str | None, mailbox, "mailbox"),
                )
            )

    @domain_rpc
    def merge_cases(self, *, case_id: Any, duplicate_id: Any, actor: Any) -> dict[str, Any]:
        return _dump(
            links_writes.merge_cases(
                runtime=self.runtime,
                case_id=_value(int, case_id, "case_id"),
                duplicate_id=_value(int, duplicate_id, "duplicate_id"),
                actor=_parse(Actor, actor, "actor"),
            )
        )

    @domain_rpc
    def link_cases(self, *, case_id: Any, data: Any, actor: Any) -> dict[str, Any]:
        return _dump(
            links_writes.link_cases(
                runtime=self.runtime,
                case_id=_value(int, case_id, "case_id"),
                data=_parse(cw.LinkCreate, data, "data"),
                actor=_parse(Actor, actor, "actor"),
            )
        )

    @domain_rpc
    def case_links(self, *, case_id: Any, viewer: Any = None) -> dict[str, Any]:
        with self._session() as session:
            return _dump(
                links_reads.case_links(
                    session=session,
                    case_id=_value(int, case_id, "case_id"),
                    viewer=_parse(Viewer, viewer, "viewer") if viewer is not None else None,  # decision 0125
                )
            )

    @domain_rpc
    def close_with_children(self, *, case_id: Any, actor: Any, viewer: Any = None) -> dict[str, Any]:
        master, closed, left_open = links_writes.close_with_children(
            runtime=self.runtime,
            case_id=_value(int, case_id, "case_id"),
            actor=_parse(Actor, actor, "actor"),
            viewer=_parse(Viewer, viewer, "viewer") if viewer is not None else None,  # decision 0125
        )
        return {
            "case": _dump(master),
            "closed_children": [_dump(c) for c in closed],
            "hidden_children_left_open": left_open,
        }

    # -- case model (issue 3 part A)

    @domain_rpc
    def get_case_history(self, *, case_id: Any) -> list[dict[str, Any]]:
        with self._session() as session:
            history = case_reads.list_history(session=session, case_id=_value(int, case_id, "case_id"))
            return [_dump(h) for h in history]

    @domain_rpc
    def list_case_types(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(t) for t in config_reads.list_types(session=session)]

    @domain_rpc
    def save_case_type(self, *, data: Any, type_id: Any = None) -> dict[str, Any]:
        return _dump(
            config_writes.save_type(
                runtime=self.runtime,
                data=_parse(cm.CaseTypeWrite, data, "data"),
                type_id=_value(int | None, type_id, "type_id"),
            )
        )

    @domain_rpc
    def list_case_statuses(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(s) for s in config_reads.list_statuses(session=session)]

    @domain_rpc
    def save_case_status(self, *, data: Any, status_id: Any = None) -> dict[str, Any]:
        return _dump(
            config_writes.save_status(
                runtime=self.runtime,
                data=_parse(cm.CaseStatusWrite, data, "data"),
                status_id=_value(int | None, status_id, "status_id"),
            )
        )

    @domain_rpc
    def list_custom_fields(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(f) for f in config_reads.list_custom_fields(session=session)]

    @domain_rpc
    def save_custom_field(self, *, data: Any, field_id: Any = None) -> dict[str, Any]:
        return _dump(
            config_writes.save_custom_field(
                runtime=self.runtime,
                data=_parse(cm.CustomFieldWrite, data, "data"),
                field_id=_value(int | None, field_id, "field_id"),
            )
        )

    @domain_rpc
    def list_field_configs(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(f) for f in config_reads.list_field_configs(session=session)]

    @domain_rpc
    def save_field_config(self, *, data: Any) -> dict[str, Any]:
        return _dump(
            config_writes.save_field_config(runtime=self.runtime, data=_parse(cm.FieldConfigRead, data, "data"))
        )

    @domain_rpc
    def get_case_settings(self) -> dict[str, Any]:
        with self._session() as session:
            return _dump(config_reads.get_settings(session=session))

    @domain_rpc
    def update_case_settings(self, *, changes: Any) -> dict[str, Any]:
        checked = _parse(cm.CaseSettings, changes, "changes")
        return _dump(
            config_writes.update_settings(
                runtime=self.runtime, changes=checked.model_dump(mode="json", exclude_unset=True)
            )
        )

    @domain_rpc
    def list_organisations(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(o) for o in directory_detail.list_organisations(session=session)]

    @domain_rpc
    def save_organisation(self, *, data: Any, organisation_id: Any = None) -> dict[str, Any]:
        return _dump(
            directory_writes.save_organisation(
                runtime=self.runtime,
                data=_parse(cm.OrganisationWrite, data, "data"),
                organisation_id=_value(int | None, organisation_id, "organisation_id"),
            )
        )

    @domain_rpc
    def list_contacts(
        self, *, q: Any = None, approved: Any = None, organisation_id: Any = None, cursor: Any = None, limit: Any = 25
    ) -> dict[str, Any]:
        with self._session() as session:
            return directory_detail.list_contacts(
                session=session,
                q=_value(str | None, q, "q"),
                approved=_value(bool | None, approved, "approved"),
                organisation_id=_value(int | None, organisation_id, "organisation_id"),
                cursor=_value(str | None, cursor, "cursor"),
                limit=_value(Annotated[int, Field(ge=1, le=100)], limit, "limit"),
            )

    @domain_rpc
    def get_contact(self, *, contact_id: Any) -> dict[str, Any]:
        with self._session() as session:
            return _dump(
                directory_detail.get_contact(session=session, contact_id=_value(int, contact_id, "contact_id"))
            )

    @domain_rpc
    def save_contact(self, *, data: Any, actor: Any, contact_id: Any = None) -> dict[str, Any]:
        return _dump(
            directory_writes.save_contact(
                runtime=self.runtime,
                data=_parse(cm.ContactWrite, data, "data"),
                actor=_parse(Actor, actor, "actor"),
                contact_id=_value(int | None, contact_id, "contact_id"),
            )
        )

    @domain_rpc
    def list_groups_detail(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(g) for g in directory_detail.list_groups_detail(session=session)]

    @domain_rpc
    def save_group(self, *, data: Any, group_id: Any = None) -> dict[str, Any]:
        return _dump(
            directory_writes.save_group(
                runtime=self.runtime,
                data=_parse(cm.GroupWrite, data, "data"),
                group_id=_value(int | None, group_id, "group_id"),
            )
        )

    @domain_rpc
    def save_agent(self, *, data: Any, agent_id: Any = None) -> dict[str, Any]:
        return _dump(
            directory_writes.save_agent(
                runtime=self.runtime,
                data=_parse(cm.AgentWrite, data, "data"),
                agent_id=_value(int | None, agent_id, "agent_id"),
            )
        )

    @timer(interval=_DORMANT_INTERVAL)
    def wake_dormant_cases(self) -> None:
        case_rules.wake_dormant_cases(runtime=self.runtime)

    # -- SLA (issue 6, B13): policies, calendars, explanation, the warning/breach timer

    @domain_rpc
    def list_sla_policies(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(p) for p in sla_admin.list_policies(session=session)]

    @domain_rpc
    def save_sla_policy(self, *, data: Any, policy_id: Any = None) -> dict[str, Any]:
        return _dump(
            sla_admin.save_policy(
                runtime=self.runtime,
                data=_parse(SlaPolicyWrite, data, "data"),
                policy_id=_value(int | None, policy_id, "policy_id"),
            )
        )

    @domain_rpc
    def delete_sla_policy(self, *, policy_id: Any) -> None:
        sla_admin.delete_policy(runtime=self.runtime, policy_id=_value(int, policy_id, "policy_id"))

    @domain_rpc
    def list_business_calendars(self) -> list[dict[str, Any]]:
        with self._session() as session:
            return [_dump(c) for c in sla_admin.list_calendars(session=session)]

    @domain_rpc
    def save_business_calendar(self, *, data: Any, calendar_id: Any = None) -> dict[str, Any]:
        return _dump(
            sla_admin.save_calendar(
                runtime=self.runtime,
                data=_parse(BusinessCalendarWrite, data, "data"),
                calendar_id=_value(int | None, calendar_id, "calendar_id"),
            )
        )

    @domain_rpc
    def delete_business_calendar(self, *, calendar_id: Any) -> None:
        sla_admin.delete_calendar(runtime=self.runtime, calendar_id=_value(int, calendar_id, "calendar_id"))

    @domain_rpc
    def get_case_sla(self, *, case_id: Any, viewer: Any = None) -> dict[str, Any]:
        with self._session() as session:
            ident = _value(int, case_id, "case_id")
            if viewer is not None:  # the case must be one the viewer may see (restricted groups)
                case_reads.get_case(session=session, case_id=ident, viewer=_parse(Viewer, viewer, "viewer"))
            return _dump(sla_service.explain(session, ident))

    @timer(interval=_SLA_JOB_INTERVAL)
    def run_sla_jobs(self) -> None:
        """Work off SLA recompute jobs too big for the request that made them (decision 0144)."""

        sla_jobs.run_jobs(runtime=self.runtime)

    @domain_rpc
    def sla_at_risk_count(self, *, viewer: Any) -> dict[str, Any]:
        """The capped count of the agent UI's "SLA at risk" folder (decision 0145)."""

        with self._session() as session:
            return _dump(at_risk_count(session=session, viewer=_parse(Viewer, viewer, "viewer")))

    @domain_rpc
    def delete_group(self, *, group_id: Any) -> None:
        directory_delete.delete_group(runtime=self.runtime, group_id=_value(int, group_id, "group_id"))

    # -- bulk load (issue 6 gaps, decision 0143): facts of imported cases for the reports read model

    @domain_rpc
    def case_facts(self, *, case_ids: Any) -> dict[str, Any]:
        with self._session() as session:
            return _dump(case_facts(session=session, case_ids=_value(list[int], case_ids, "case_ids")))

    @timer(interval=_SLA_INTERVAL)
    def send_sla_events(self) -> None:
        """Emit due sla_warning/sla_breached events (every worker runs this; each fires once)."""

        sla_events.send_due_events(runtime=self.runtime)

    # -- events ----------------------------------------------------------------------------

    def _prepare_mail_group(self, session: Session, envelopes: list[Envelope]) -> None:
        mail_batch.prepare(session, envelopes)

    def _forget_mail_group(self, session: Session) -> None:
        batch_lookups.forget(session)

    def _complete_mail_group(self, session: Session) -> None:
        mail_batch.complete(runtime=self.runtime, session=session)

    # issue 4: the mails waiting together are applied in one transaction (decisions 0126, 0127)
    @event_handler("mail_gateway", "mail_received", requeue_on_error=True)
    @idempotent_group(
        prepare=_prepare_mail_group,
        forget=_forget_mail_group,
        complete=_complete_mail_group,
        max_group=_MAIL_GROUP,
        linger=_MAIL_GROUP_LINGER,
    )
    def on_mail_received(self, session: Session, envelope: Envelope) -> None:
        mail_batch.apply(
            runtime=self.runtime,
            session=session,
            payload=envelope.open(MailReceived),
            correlation_id=envelope.correlation_id or envelope.event_id,
        )

    @event_handler("notifications", "notification_sent", requeue_on_error=True)
    @idempotent
    def on_notification_sent(self, session: Session, envelope: Envelope) -> None:
        intake_writes.apply_notification_sent(session=session, payload=envelope.open(NotificationSent))

    # -- sms (issue 5)
    @event_handler("gateway", "sms_received", requeue_on_error=True)
    @idempotent
    def on_sms_received(self, session: Session, envelope: Envelope) -> None:
        # imported here so this edit of a shared module stays in one block

        apply_sms_received(
            runtime=self.runtime,
            session=session,
            payload=envelope.open(SmsReceived),
            correlation_id=envelope.correlation_id or envelope.event_id,
        )


def main() -> None:
    settings = CasesSettings()
    writes_hooks.install()  # every session of the worker keeps each case's SLA right (decision 0076)
    # a group can only hold the deliveries nameko lets in at once (prefetch = max_workers, decision 0126)
    run_service(CasesService, settings, max_workers=settings.max_workers)
