"""Admin API of inbound mail: the audit list, the raw message, mailboxes and their connection check (A2, E6)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field, TypeAdapter

from contracts import mail_gateway as mg
from contracts import notifications as nt
from contracts.bounds import LaxId
from contracts.cases import AttachmentRef
from gateway import admin_objects as objects
from gateway import mailbox_test
from gateway.access import ApiPrincipal
from gateway.api import versioned as v
from gateway.api.changes import CONFLICT, ETAG_HEADER, AdminChange, AdminCreate, versioned
from gateway.api.deps import admin
from gateway.api.responses import FORBIDDEN
from gateway.context import AppContext, get_context

PREFIX = "/api/v1"
_ERROR = {"description": "Error", "content": {"application/json": {"example": {"error": {"code": "not_found"}}}}}

router = APIRouter(
    prefix=PREFIX, tags=["inbound mail"], responses={401: _ERROR, 403: FORBIDDEN, 404: _ERROR, 503: _ERROR}
)
_mailboxes = TypeAdapter(list[mg.MailboxRead])
_versioned_mailboxes = TypeAdapter(list[v.MailboxItem])


Ctx = Annotated[AppContext, Depends(get_context)]
Admin = Annotated[ApiPrincipal, Depends(admin)]
MailId = Annotated[LaxId, Path(description="The inbound mail id")]
MailboxId = Annotated[LaxId, Path(description="The mailbox id")]


class InboundMailEntry(BaseModel):
    """One inbound mail in the audit list: what came in, what we made of it, and why."""

    model_config = ConfigDict(populate_by_name=True)
    id: int
    message_id: str | None
    mailbox: str
    source: str
    from_: str | None = Field(default=None, serialization_alias="from", description="The sender address")
    subject: str
    status: mg.InboundMailStatus
    classification: mg.MailKind | None
    classification_reason: str | None
    case_id: int | None
    thread_reason: str | None
    attachments: list[AttachmentRef]
    defects: list[str]
    failure_reason: str | None
    raw_size: int
    raw_url: str
    received_at: datetime
    processed_at: datetime | None


class InboundMailList(BaseModel):
    items: list[InboundMailEntry]
    next: str | None = None


def _entry(item: mg.InboundMailRead) -> InboundMailEntry:
    return InboundMailEntry(
        id=item.id,
        message_id=item.message_id,
        mailbox=item.mailbox,
        source=item.source,
        from_=item.from_email or item.mail_from,
        subject=item.subject,
        status=item.status,
        classification=item.kind,
        classification_reason=item.kind_reason,
        # what cases confirmed, else where threading pointed (an auto-reply is kept on that case)
        case_id=item.case_id if item.case_id is not None else item.thread_case_id,
        thread_reason=item.thread_reason,
        attachments=item.attachments,
        defects=item.defects,
        failure_reason=item.failure_reason,
        raw_size=item.raw_size,
        raw_url=f"{PREFIX}/inbound-mail/{item.id}/raw",
        received_at=item.received_at,
        processed_at=item.processed_at,
    )


@router.get("/inbound-mail", response_model=InboundMailList)
async def list_inbound_mail(
    ctx: Ctx,
    _who: Admin,
    message_id: str | None = None,
    mailbox: str | None = None,
    classification: mg.MailKind | None = None,
    case_id: Annotated[LaxId | None, Query()] = None,
    status: mg.InboundMailStatus | None = None,
    before_id: Annotated[LaxId | None, Query(description="Cursor: entries older than this id")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> InboundMailList:
    """Inbound mail, newest first, filterable by Message-ID, mailbox, classification, case and status."""
    filters = mg.InboundMailFilter(
        message_id=message_id,
        mailbox=mailbox,
        kind=classification,
        case_id=case_id,
        status=status,
        before_id=before_id,
        limit=limit,
    )
    page = mg.InboundMailPage.model_validate(
        await ctx.rpc.call("mail_gateway", "list_inbound_mail", filters=filters.model_dump(mode="json"))
    )
    next_url = None
    if page.next_before_id is not None:
        query = {k: v for k, v in filters.model_dump(mode="json", exclude_none=True).items() if k != "before_id"}
        query["classification"] = query.pop("kind", None)
        params = {k: v for k, v in {**query, "before_id": page.next_before_id}.items() if v is not None}
        next_url = f"{PREFIX}/inbound-mail?{urlencode(params)}"
    return InboundMailList(items=[_entry(i) for i in page.items], next=next_url)


@router.get(
    "/inbound-mail/{mail_id}/raw",
    response_class=Response,
    responses={200: {"content": {"message/rfc822": {}}, "description": "The exact bytes we received"}},
)
async def raw_inbound_mail(mail_id: MailId, ctx: Ctx, _who: Admin) -> Response:
    """The raw message exactly as received (`message/rfc822`)."""
    raw = mg.RawMail.model_validate(await ctx.rpc.call("mail_gateway", "get_raw_mail", inbound_mail_id=mail_id))
    return Response(
        base64.b64decode(raw.raw_base64),
        media_type="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="inbound-{mail_id}.eml"', "ETag": f'"{raw.raw_sha256}"'},
    )


@router.get("/mailboxes", response_model=list[v.MailboxItem])
async def list_mailboxes(ctx: Ctx, _who: Admin) -> list[v.MailboxItem]:
    """Mailboxes with their IMAP settings and last poll, each with its `version`; passwords are never returned."""
    found = _mailboxes.validate_python(await ctx.rpc.call("mail_gateway", "list_mailboxes"))
    return _versioned_mailboxes.validate_python(v.with_versions(found))


@router.post("/mailboxes", status_code=201, response_model=mg.MailboxRead)
async def create_mailbox(data: mg.MailboxWrite, change: AdminCreate) -> Response:
    """Add a mailbox (SMTP only, or polled over IMAP when `imap_host` is set)."""
    saved = await change("mailbox", None, "create", load_before=None, apply=lambda: _save(change.ctx, data, None))
    return versioned(saved, 201)


async def _save(ctx: AppContext, data: mg.MailboxWrite, mailbox_id: int | None) -> mg.MailboxRead:
    found = await ctx.rpc.call("mail_gateway", "save_mailbox", data=data.model_dump(mode="json"), mailbox_id=mailbox_id)
    return mg.MailboxRead.model_validate(found)


@router.get("/mailboxes/{mailbox_id}", response_model=mg.MailboxRead, responses={200: {"headers": ETAG_HEADER}})
async def get_mailbox(mailbox_id: MailboxId, ctx: Ctx, _who: Admin) -> Response:
    """One mailbox (never its password); its `ETag` is the version to send as `If-Match` when changing it
    (what the last poll changed is left out of it)."""
    return versioned(await objects.mailbox(ctx, mailbox_id))


@router.put("/mailboxes/{mailbox_id}", response_model=mg.MailboxRead, responses=CONFLICT)
async def update_mailbox(mailbox_id: MailboxId, data: mg.MailboxWrite, change: AdminChange) -> Response:
    """Change a mailbox; leave `imap_password` out (null) to keep the stored one."""
    ctx = change.ctx
    saved = await change(
        "mailbox",
        mailbox_id,
        "update",
        load_before=lambda: objects.mailbox(ctx, mailbox_id),
        apply=lambda: _save(ctx, data, mailbox_id),
    )
    return versioned(saved)


@router.post("/mailboxes/{mailbox_id}/verify", response_model=mg.ConnectionCheck)
async def verify_mailbox(
    mailbox_id: MailboxId, ctx: Ctx, _who: Admin, data: Annotated[mg.MailboxWrite | None, Body()] = None
) -> mg.ConnectionCheck:
    """Log in to the mailbox's IMAP server and open its folder; on failure, the step and a clear reason.

    With a body, the settings in it are tried (the stored password when the body has none).
    """
    payload = data.model_dump(mode="json") if data is not None else None
    check = await ctx.rpc.call("mail_gateway", "verify_mailbox_connection", mailbox_id=mailbox_id, data=payload)
    return mg.ConnectionCheck.model_validate(check)


class MailboxTestTo(BaseModel):
    """Where the test message goes."""

    model_config = ConfigDict(extra="forbid")
    to: EmailStr = Field(description="The address the test message is sent to, e.g. your own")


@router.post("/mailboxes/{mailbox_id}/test-mail", response_model=nt.MailboxTestResult)
async def send_test_mail(mailbox_id: MailboxId, body: MailboxTestTo, ctx: Ctx, _who: Admin) -> nt.MailboxTestResult:
    """Send a test message from the mailbox with its saved settings, exactly as its replies leave (its own SMTP
    server, or the global relay); on failure, the step (`connect`, `tls`, `auth`, `sender refused`,
    `recipient refused`, `data refused`, `config`) and the server's answer. 200 either way: the check ran."""
    mailbox = await objects.mailbox(ctx, mailbox_id)
    return await mailbox_test.send_test_mail(ctx, mailbox, str(body.to))
