"""Contracts of the mail gateway: events on `mail_gateway.events`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from contracts.cases import AttachmentRef
from contracts.envelope import EventPayload

SERVICE = "mail_gateway"


class MailKind(StrEnum):
    NORMAL = "normal"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    MAILING_LIST = "mailing_list"
    LOOP = "loop"


class MailAddress(BaseModel):
    model_config = ConfigDict(extra="ignore")
    email: str
    name: str = ""


class ThreadDecision(BaseModel):
    """Where the mail gateway thinks a mail belongs, and why (E6)."""

    model_config = ConfigDict(extra="ignore")
    case_id: int | None = None
    reason: str = "new_case"


class MailReceived(EventPayload):
    EVENT_TYPE = "mail_received"
    inbound_mail_id: int
    mailbox: str
    default_group: str | None = None
    message_id: str | None = None
    in_reply_to: list[str] = []
    references: list[str] = []
    from_address: MailAddress
    to: list[MailAddress] = []
    cc: list[MailAddress] = []
    subject: str = ""
    text_body: str = ""
    html_body: str | None = None
    attachments: list[AttachmentRef] = []
    kind: MailKind = MailKind.NORMAL
    kind_reason: str | None = None
    thread: ThreadDecision = ThreadDecision()
    defects: list[str] = []


class MailBounced(EventPayload):
    """A delivery status notification came back for mail we sent (E4, E5)."""

    EVENT_TYPE = "mail_bounced"
    recipient: str  # the address our mail could not be delivered to
    status: str = ""  # the DSN status, e.g. "5.1.1"
    hard: bool = False  # permanent failure: the address must be suppressed until cleared
    original_message_id: str | None = None  # our Message-ID, without angle brackets
    case_id: int | None = None


# -- RPC `mail_gateway.list_inbound_mail` (the audit view of inbound mail) ---------------------


class InboundMailStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"


class InboundMailFilter(BaseModel):
    """Filters of `list_inbound_mail`; newest first, `before_id` pages back in time."""

    model_config = ConfigDict(extra="ignore")
    mailbox: str | None = None
    status: InboundMailStatus | None = None
    kind: MailKind | None = None
    case_id: int | None = None
    message_id: str | None = None
    before_id: int | None = None
    limit: int = Field(default=50, ge=1, le=200)


class InboundMailRead(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int
    mailbox: str
    source: str = "smtp"
    mail_from: str | None = None
    message_id: str | None = None
    from_email: str | None = None
    subject: str = ""
    raw_sha256: str
    raw_size: int
    status: InboundMailStatus
    failure_reason: str | None = None
    kind: MailKind | None = None
    kind_reason: str | None = None
    thread_case_id: int | None = None
    thread_reason: str | None = None
    case_id: int | None = None
    attachments: list[AttachmentRef] = []
    defects: list[str] = []
    received_at: datetime
    processed_at: datetime | None = None


class InboundMailPage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    items: list[InboundMailRead]
    next_before_id: int | None = None
