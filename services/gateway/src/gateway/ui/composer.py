"""The case page's composer (decision 0232): a reply or a note with new uploads and files already on the case,
then, if the agent chose one, the status to set ("send and set status"). The same use cases as the REST API:
`add_attachment` then `add_message` with `attachment_ids` (decision 0102), then `update_case`."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile

from contracts import cases as c
from contracts import errors
from gateway import case_work as work
from gateway.context import AppContext
from gateway.ui import session as s

MAX_FILES = 20  # what one message may carry (MessageCreate.attachment_ids)


def chosen_files(form: FormData) -> list[int]:
    """The ids of files already on the case that the agent ticked."""
    ids: list[int] = []
    for raw in form.getlist("attachment_ids"):
        if not isinstance(raw, str) or not raw.strip().isdigit() or len(raw.strip()) > 18:
            raise errors.ValidationFailed(message="pick files of this case", details={"attachment_ids": str(raw)})
        ids.append(int(raw))
    return list(dict.fromkeys(ids))


def new_files(form: FormData) -> list[UploadFile]:
    return [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]


async def send(
    ctx: AppContext, agent: dict[str, Any], case_id: int, form: FormData, *, body: str, visibility: c.Visibility
) -> str | None:
    """Post the message; what to tell the agent when a status was set too (None: the usual words)."""
    actor = s.actor(agent)
    ids = chosen_files(form)
    uploads = new_files(form)
    if len(ids) + len(uploads) > MAX_FILES:
        raise errors.ValidationFailed(message=f"at most {MAX_FILES} files go with one message")
    then = form.get("then_status_id")
    then_id = int(then) if isinstance(then, str) and then.isdigit() and len(then) <= 18 else None
    if uploads:
        limit = await work.attachment_limit(cases=ctx.cases)
        for file in uploads:
            content = await file.read(limit + 1)
            if len(content) > limit:
                raise errors.DomainError(
                    errors.PAYLOAD_TOO_LARGE, f"{file.filename} is larger than {limit // (1024 * 1024)} MB."
                )
            made = await work.add_attachment(
                cases=ctx.cases,
                case_id=case_id,
                filename=file.filename or "attachment",
                content_type=file.content_type,
                content=content,
                message_id=None,
                actor=actor,
            )
            ids.append(made.id)
    data = c.MessageCreate(body=body, visibility=visibility, attachment_ids=ids)
    await ctx.cases.add_message(case_id=case_id, data=data, actor=actor)
    if then_id is None:
        return None
    # after the message: posting may itself move the status (a reply waits on the contact), the agent's choice wins
    sent = "Note added" if visibility is c.Visibility.INTERNAL else "Reply sent"
    try:
        changed = await ctx.cases.update_case(
            case_id=case_id, changes=c.CaseUpdate(status_id=then_id), expected_version=None, actor=actor
        )
    except errors.DomainError as exc:
        if exc.code in {errors.INTERNAL_ERROR, errors.SERVICE_UNAVAILABLE}:
            raise
        # the message is out: say so, so the agent does not send it twice
        raise StatusNotSet(f"{sent}, but the status was not changed: {exc.message}") from None
    return f"{sent}; status set to {changed.status_name or changed.status.value}."


class StatusNotSet(Exception):
    """The message was posted; the status the agent chose after it was refused (the words say both)."""
