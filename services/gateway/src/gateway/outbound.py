"""An agent's new email (A7): a case started by writing to a contact from one of our mailboxes.

The same use cases as everything else (decision 0234): `create_case` (source, requester, the mailbox the
mail goes out from, how the contact is informed), `add_attachment` for each file, then `add_message` with
the agent's text as a public reply. Notifications sends that reply from the mailbox, with our signed
Message-ID and threading aids, so the contact's answer threads back onto the case like any reply. The UI's
"New email" page and `POST /api/v1/cases/email` both call `start_email_case`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, EmailStr, Field, TypeAdapter

from contracts import cases as c
from contracts import errors
from contracts import mail_gateway as mg
from contracts.bounds import Id, Name
from contracts.notifications import ConversationMode
from gateway import case_work as work
from gateway.context import AppContext

MAX_FILES = 20  # what one message may carry (MessageCreate.attachment_ids)
_mailboxes = TypeAdapter(list[mg.MailboxRead])


class NewFile(BaseModel):
    """A file of the first mail, as the API takes it."""

    model_config = ConfigDict(extra="forbid")
    filename: str = Field(min_length=1, max_length=1000)
    content_type: str | None = Field(default=None, max_length=200)
    content_base64: str = Field(min_length=1)


class EmailCaseCreate(BaseModel):
    """Body of `POST /api/v1/cases/email`: the first mail of a case an agent starts (A7)."""

    model_config = ConfigDict(extra="forbid")
    to_email: EmailStr = Field(description="The contact written to; created when unknown. The case's requester.")
    to_name: Name = ""
    subject: str = Field(min_length=1, max_length=500, description="The mail's subject and the case's title.")
    body: str = Field(min_length=1, max_length=200_000, description="The mail's text: the case's first public reply.")
    mailbox: EmailStr = Field(description="The address of an active mailbox the mail goes out from (and its server).")
    source: c.SourceKey = Field(default="email", description="A key of the admin's list of sources.")
    group_id: Id | None = None
    inform_contact: ConversationMode | None = Field(default=None, description=c.INFORM_CONTACT_DESCRIPTION)
    attachments: list[NewFile] = Field(default_factory=list, max_length=MAX_FILES)


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str | None
    content: bytes


class MailNotSent(Exception):
    """The case was created but its first mail could not be posted: the agent sends it from the case page."""

    def __init__(self, case: c.CaseRead, reason: str) -> None:
        super().__init__(reason)
        self.case, self.reason = case, reason


async def sending_mailboxes(ctx: AppContext) -> list[mg.MailboxRead]:
    """The active mailboxes an agent may write from."""
    found = _mailboxes.validate_python(await ctx.rpc.call("mail_gateway", "list_mailboxes", timeout=5.0))
    return sorted((m for m in found if m.active), key=lambda m: m.address)


async def check_mailbox(ctx: AppContext, address: str) -> str:
    """`address` as one of our active mailboxes (lower case), or 422 `validation_failed`: mail never goes out
    from an address that is not ours."""
    wanted = address.strip().lower()
    if wanted not in {m.address.lower() for m in await sending_mailboxes(ctx)}:
        raise errors.ValidationFailed(message=f"{address} is not an active mailbox", details={"mailbox": address})
    return wanted


def decoded(files: list[NewFile]) -> list[Upload]:
    uploads = []
    for i, file in enumerate(files):
        try:
            content = base64.b64decode(file.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise errors.ValidationFailed(
                message=f"attachments.{i}.content_base64 is not base64", details={"attachments": i}
            ) from None
        uploads.append(Upload(file.filename, file.content_type, content))
    return uploads


async def start_email_case(
    ctx: AppContext, *, actor: c.Actor, data: EmailCaseCreate, uploads: list[Upload]
) -> tuple[c.CaseRead, c.MessageRead]:
    """Open the case and post the agent's mail as its first public reply (notifications sends it)."""
    if actor.type is not c.AuthorType.AGENT:  # only an agent's public reply is mailed to the contact
        raise errors.DomainError(
            errors.AGENT_REQUIRED, "a new email is written by an agent: use an API key linked to an agent"
        )
    if data.inform_contact is ConversationMode.NEVER:
        raise errors.ValidationFailed(
            message="a new email needs a contact who is informed: choose link or full, or the organisation's",
            details={"inform_contact": data.inform_contact.value},
        )
    mailbox = await check_mailbox(ctx, str(data.mailbox))
    if len(uploads) > MAX_FILES:
        raise errors.ValidationFailed(message=f"at most {MAX_FILES} files go with one message")
    limit = await work.attachment_limit(cases=ctx.cases) if uploads else 0
    for upload in uploads:  # refused before the case exists: nothing half-made
        if len(upload.content) > limit:
            raise errors.DomainError(
                errors.PAYLOAD_TOO_LARGE, f"{upload.filename} is larger than {limit // (1024 * 1024)} MB."
            )
    create = c.CaseCreate(
        title=data.subject,
        source=data.source,
        requester_email=data.to_email,
        requester_name=data.to_name,
        group_id=data.group_id,
        # the agent who writes owns the case: a case needs an owner to leave New (B3)
        assignee_id=actor.id if actor.type is c.AuthorType.AGENT else None,
        inform_contact=data.inform_contact,
        mailbox=mailbox,
        confirm=False,  # the contact gets the agent's mail itself, not "we received your request"
    )
    case = await ctx.cases.create_case(data=create, actor=actor)
    try:
        ids = []
        for upload in uploads:
            made = await work.add_attachment(
                cases=ctx.cases,
                case_id=case.id,
                filename=upload.filename,
                content_type=upload.content_type,
                content=upload.content,
                message_id=None,
                actor=actor,
            )
            ids.append(made.id)
        message = await ctx.cases.add_message(
            case_id=case.id, data=c.MessageCreate(body=data.body, attachment_ids=ids), actor=actor
        )
    except errors.DomainError as exc:
        raise MailNotSent(case, exc.message) from exc
    return case, message
