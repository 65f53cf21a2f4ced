"""Use cases of the work on a case (issue 3 part B), shared by the REST API and the agent UI: one RPC each."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from pydantic import BaseModel, TypeAdapter

from chassis.rpc_client import RpcClient
from contracts import case_work as cw
from contracts import cases as c
from contracts import errors
from contracts import mail_gateway as mg

_tasks = TypeAdapter(list[cw.TaskRead])
_attachments = TypeAdapter(list[cw.AttachmentRead])
_templates = TypeAdapter(list[cw.TemplateRead])
_replies = TypeAdapter(list[cw.CannedReplyRead])
_recurrences = TypeAdapter(list[cw.RecurrenceRead])
_signatures = TypeAdapter(list[cw.SignatureRead])


def _json(model: BaseModel) -> Any:
    return model.model_dump(mode="json", exclude_unset=True)


def _actor(actor: c.Actor) -> Any:
    return actor.model_dump(mode="json")


async def forward_case(*, rpc: RpcClient, case_id: int, data: cw.ForwardCreate, actor: c.Actor) -> c.MessageRead:
    """Forward the case to external recipients as a side conversation (B4)."""
    result = await rpc.call("cases", "forward_case", case_id=case_id, data=_json(data), actor=_actor(actor))
    return c.MessageRead.model_validate(result)


async def list_tasks(*, rpc: RpcClient, case_id: int) -> list[cw.TaskRead]:
    return _tasks.validate_python(await rpc.call("cases", "list_tasks", case_id=case_id))


async def add_task(*, rpc: RpcClient, case_id: int, data: cw.TaskCreate, actor: c.Actor) -> cw.TaskRead:
    result = await rpc.call("cases", "add_task", case_id=case_id, data=_json(data), actor=_actor(actor))
    return cw.TaskRead.model_validate(result)


async def update_task(
    *, rpc: RpcClient, case_id: int, task_id: int, changes: cw.TaskUpdate, actor: c.Actor
) -> cw.TaskRead:
    result = await rpc.call(
        "cases", "update_task", case_id=case_id, task_id=task_id, changes=_json(changes), actor=_actor(actor)
    )
    return cw.TaskRead.model_validate(result)


async def attachment_limit(*, rpc: RpcClient) -> int:
    """The cases service's per-file limit (CASES_MAX_ATTACHMENT_BYTES)."""
    return int((await rpc.call("cases", "attachment_limit"))["max_attachment_bytes"])


async def add_attachment(
    *,
    rpc: RpcClient,
    case_id: int,
    filename: str,
    content_type: str | None,
    content: bytes,
    message_id: int | None,
    actor: c.Actor,
) -> cw.AttachmentRead:
    result = await rpc.call(
        "cases",
        "add_attachment",
        case_id=case_id,
        filename=filename,
        content_type=content_type,
        content_base64=base64.b64encode(content).decode(),
        message_id=message_id,
        actor=_actor(actor),
    )
    return cw.AttachmentRead.model_validate(result)


async def list_attachments(*, rpc: RpcClient, case_id: int) -> list[cw.AttachmentRead]:
    return _attachments.validate_python(await rpc.call("cases", "list_attachments", case_id=case_id))


async def get_attachment(*, rpc: RpcClient, case_id: int, attachment_id: int) -> tuple[cw.AttachmentRead, bytes]:
    result = cw.AttachmentContent.model_validate(
        await rpc.call("cases", "get_attachment", case_id=case_id, attachment_id=attachment_id)
    )
    return result.attachment, base64.b64decode(result.content_base64)


async def get_mail_attachment(
    *, rpc: RpcClient, case_id: int, message_id: int, sha256: str
) -> tuple[c.AttachmentRef, bytes]:
    """An attachment that came by email: only when that message of that case lists it (never by hash alone)."""
    messages = TypeAdapter(list[c.MessageRead]).validate_python(
        await rpc.call("cases", "list_messages", case_id=case_id)
    )
    ref = next(
        (a for m in messages if m.id == message_id for a in m.attachments if a.sha256 == sha256),
        None,
    )
    if ref is None:
        raise errors.NotFound(
            message=f"message {message_id} of case {case_id} has no attachment {sha256}",
            details={"case_id": case_id, "message_id": message_id, "sha256": sha256},
        )
    result = mg.MailAttachmentContent.model_validate(await rpc.call("mail_gateway", "get_attachment", sha256=sha256))
    return ref, base64.b64decode(result.content_base64)


async def log_time(*, rpc: RpcClient, case_id: int, data: cw.TimeEntryCreate, actor: c.Actor) -> cw.TimeEntryRead:
    result = await rpc.call("cases", "log_time", case_id=case_id, data=_json(data), actor=_actor(actor))
    return cw.TimeEntryRead.model_validate(result)


async def start_timer(*, rpc: RpcClient, case_id: int, billable: bool, actor: c.Actor) -> cw.TimeEntryRead:
    result = await rpc.call("cases", "start_timer", case_id=case_id, billable=billable, actor=_actor(actor))
    return cw.TimeEntryRead.model_validate(result)


async def stop_timer(*, rpc: RpcClient, case_id: int, actor: c.Actor) -> cw.TimeEntryRead:
    result = await rpc.call("cases", "stop_timer", case_id=case_id, actor=_actor(actor))
    return cw.TimeEntryRead.model_validate(result)


async def case_time(*, rpc: RpcClient, case_id: int) -> cw.TimeTotals:
    return cw.TimeTotals.model_validate(await rpc.call("cases", "case_time", case_id=case_id))


async def agent_time(*, rpc: RpcClient, agent_id: int) -> cw.AgentTime:
    return cw.AgentTime.model_validate(await rpc.call("cases", "agent_time", agent_id=agent_id))


async def list_templates(*, rpc: RpcClient) -> list[cw.TemplateRead]:
    return _templates.validate_python(await rpc.call("cases", "list_templates"))


async def create_template(*, rpc: RpcClient, data: cw.TemplateFields) -> cw.TemplateRead:
    return cw.TemplateRead.model_validate(await rpc.call("cases", "create_template", data=_json(data)))


async def update_template(*, rpc: RpcClient, template_id: int, data: cw.TemplateFields) -> cw.TemplateRead:
    result = await rpc.call("cases", "update_template", template_id=template_id, data=data.model_dump(mode="json"))
    return cw.TemplateRead.model_validate(result)


async def template_from_case(*, rpc: RpcClient, case_id: int, data: cw.TemplateFromCase) -> cw.TemplateRead:
    result = await rpc.call("cases", "template_from_case", case_id=case_id, data=_json(data))
    return cw.TemplateRead.model_validate(result)


async def case_from_template(
    *, rpc: RpcClient, template_id: int, data: cw.CaseFromTemplate, actor: c.Actor
) -> c.CaseRead:
    result = await rpc.call(
        "cases", "case_from_template", template_id=template_id, data=_json(data), actor=_actor(actor)
    )
    return c.CaseRead.model_validate(result)


async def list_canned_replies(*, rpc: RpcClient) -> list[cw.CannedReplyRead]:
    return _replies.validate_python(await rpc.call("cases", "list_canned_replies"))


async def create_canned_reply(*, rpc: RpcClient, data: cw.CannedReplyCreate) -> cw.CannedReplyRead:
    return cw.CannedReplyRead.model_validate(await rpc.call("cases", "create_canned_reply", data=_json(data)))


async def delete_canned_reply(*, rpc: RpcClient, reply_id: int) -> None:
    await rpc.call("cases", "delete_canned_reply", reply_id=reply_id)


async def list_recurrences(*, rpc: RpcClient) -> list[cw.RecurrenceRead]:
    return _recurrences.validate_python(await rpc.call("cases", "list_recurrences"))


async def create_recurrence(*, rpc: RpcClient, data: cw.RecurrenceCreate) -> cw.RecurrenceRead:
    return cw.RecurrenceRead.model_validate(await rpc.call("cases", "create_recurrence", data=_json(data)))


async def update_recurrence(*, rpc: RpcClient, recurrence_id: int, changes: cw.RecurrenceUpdate) -> cw.RecurrenceRead:
    result = await rpc.call("cases", "update_recurrence", recurrence_id=recurrence_id, changes=_json(changes))
    return cw.RecurrenceRead.model_validate(result)


async def list_signatures(*, rpc: RpcClient) -> list[cw.SignatureRead]:
    return _signatures.validate_python(await rpc.call("cases", "list_signatures"))


async def set_signature(*, rpc: RpcClient, data: cw.SignatureSet) -> cw.SignatureRead:
    return cw.SignatureRead.model_validate(await rpc.call("cases", "set_signature", data=_json(data)))


async def resolve_signature(*, rpc: RpcClient, agent_id: int, mailbox: str | None) -> cw.ResolvedSignature:
    result = await rpc.call("cases", "resolve_signature", agent_id=agent_id, mailbox=mailbox)
    return cw.ResolvedSignature.model_validate(result)


async def merge_cases(*, rpc: RpcClient, case_id: int, duplicate_id: int, actor: c.Actor) -> c.CaseRead:
    result = await rpc.call("cases", "merge_cases", case_id=case_id, duplicate_id=duplicate_id, actor=_actor(actor))
    return c.CaseRead.model_validate(result)


async def link_cases(*, rpc: RpcClient, case_id: int, data: cw.LinkCreate, actor: c.Actor) -> cw.LinkRead:
    result = await rpc.call(
        "cases", "link_cases", case_id=case_id, data=data.model_dump(mode="json"), actor=_actor(actor)
    )
    return cw.LinkRead.model_validate(result)


async def case_links(*, rpc: RpcClient, case_id: int, viewer: dict[str, Any] | None = None) -> cw.CaseLinks:
    """`viewer` (decision 0125): linked cases hidden from the caller are left out; None: every link."""
    return cw.CaseLinks.model_validate(await rpc.call("cases", "case_links", case_id=case_id, viewer=viewer))


async def close_with_children(
    *, rpc: RpcClient, case_id: int, actor: c.Actor, viewer: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`viewer` (decision 0125): children hidden from the caller are not closed, only counted."""
    result = await rpc.call("cases", "close_with_children", case_id=case_id, actor=_actor(actor), viewer=viewer)
    return dict(result)


async def template_of_case(*, rpc: RpcClient, case_id: int) -> cw.TemplateRead | None:
    """The template a case was made from, or None."""
    found = await rpc.call("cases", "template_of_case", case_id=case_id)
    return cw.TemplateRead.model_validate(found) if found else None


async def page_context(*, rpc: RpcClient, case_id: int, viewer: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the agent's case page shows of the work on the case: tasks, time, files, links (those `viewer` may
    see), template, canned replies."""
    tasks, time, attachments, links, template, replies = await asyncio.gather(
        list_tasks(rpc=rpc, case_id=case_id),
        case_time(rpc=rpc, case_id=case_id),
        list_attachments(rpc=rpc, case_id=case_id),
        case_links(rpc=rpc, case_id=case_id, viewer=viewer),
        template_of_case(rpc=rpc, case_id=case_id),
        list_canned_replies(rpc=rpc),
    )
    work = {"tasks": tasks, "time": time, "attachments": attachments, "links": links}
    return {"work": {**work, "template": template, "canned_replies": replies}}
