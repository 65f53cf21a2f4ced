"""Use cases of the work on a case, shared by the REST API and the agent UI, that are more than one typed call
to the cases service (those are `ctx.cases.<method>`): attachments' bytes, mail attachments, the case page."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from chassis.rpc_client import RpcClient
from contracts import case_work as cw
from contracts import cases as c
from contracts import errors
from contracts import mail_gateway as mg
from contracts.cases_client import CasesClient
from contracts.search import Viewer


async def attachment_limit(*, cases: CasesClient) -> int:
    """The cases service's per-file limit (CASES_MAX_ATTACHMENT_BYTES)."""
    return (await cases.attachment_limit()).max_attachment_bytes


async def add_attachment(
    *,
    cases: CasesClient,
    case_id: int,
    filename: str,
    content_type: str | None,
    content: bytes,
    message_id: int | None,
    actor: c.Actor,
) -> cw.AttachmentRead:
    return await cases.add_attachment(
        case_id=case_id,
        filename=filename,
        content_type=content_type,
        content_base64=base64.b64encode(content).decode(),
        message_id=message_id,
        actor=actor,
    )


async def get_attachment(*, cases: CasesClient, case_id: int, attachment_id: int) -> tuple[cw.AttachmentRead, bytes]:
    result = await cases.get_attachment(case_id=case_id, attachment_id=attachment_id)
    return result.attachment, base64.b64decode(result.content_base64)


async def get_mail_attachment(
    *, cases: CasesClient, rpc: RpcClient, case_id: int, message_id: int, sha256: str
) -> tuple[c.AttachmentRef, bytes]:
    """An attachment that came by email: only when that message of that case lists it (never by hash alone)."""
    messages = await cases.list_messages(case_id=case_id)
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


async def page_context(*, cases: CasesClient, case_id: int, viewer: Viewer | None = None) -> dict[str, Any]:
    """What the agent's case page shows of the work on the case: tasks, time, files, links (those `viewer` may
    see), template, canned replies."""
    tasks, time, attachments, links, template, replies = await asyncio.gather(
        cases.list_tasks(case_id=case_id),
        cases.case_time(case_id=case_id),
        cases.list_attachments(case_id=case_id),
        cases.case_links(case_id=case_id, viewer=viewer),
        cases.template_of_case(case_id=case_id),
        cases.list_canned_replies(),
    )
    work = {"tasks": tasks, "time": time, "attachments": attachments, "links": links}
    return {"work": {**work, "template": template, "canned_replies": replies}}
