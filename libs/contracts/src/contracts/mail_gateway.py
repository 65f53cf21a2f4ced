"""Contracts of the mail gateway: events on `mail_gateway.events`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from contracts.bounds import Flag
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


class OutsiderReply(StrEnum):
    """What a mail on a case's thread from someone not on the case does (decision 0220), per mailbox."""

    INTERNAL = "internal"  # joins the case as an internal entry flagged "from someone not on this case"
    PUBLIC_FOLLOWER = "public_follower"  # joins publicly, and the sender follows the case
    NEW_LINKED_CASE = "new_linked_case"  # opens a case of its own, related to the thread


class MailReceived(EventPayload):
    EVENT_TYPE = "mail_received"
    inbound_mail_id: int
    mailbox: str
    default_group: str | None = None
    # the receiving mailbox's setting: cases applies it when the sender is not on the threaded case
    outsider_reply: OutsiderReply = OutsiderReply.INTERNAL
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


# -- RPC `mail_gateway.list_inbound_mail` (the audit view of inbound mail) ---------------------


class InboundMailStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"
    REJECTED = "rejected"  # over a size limit: recorded, no case, the sender is told (MailRejected)
    QUARANTINED = "quarantined"  # nothing could be read, not even a sender: kept raw, alerted
    WAITING = "waiting"  # a reply held until the mail it answers is threaded (or a deadline passes)


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


# -- events for notifications: hard bounces (suppression list) and rejected mail (the notice) ---


class MailBounced(EventPayload):
    """A hard bounce of one recipient of our mail: notifications should stop mailing that address."""

    EVENT_TYPE = "mail_bounced"
    inbound_mail_id: int
    recipient: str
    status: str | None = None  # RFC 3463 code, e.g. "5.1.1"
    diagnostic: str | None = None
    original_message_id: str | None = None  # Message-ID of our mail that bounced
    case_id: int | None = None


class MailRejected(EventPayload):
    """A mail (or some of its attachments) went over a size limit; `to` should get a notice.

    Never emitted for auto-replies, bounces, mailing lists or our own mail (loop-safe).
    """

    EVENT_TYPE = "mail_rejected"
    inbound_mail_id: int
    mailbox: str
    to: MailAddress
    subject: str = ""
    message_id: str | None = None
    reason: str  # "message_too_large" | "attachment_too_large"
    limit_bytes: int
    size_bytes: int
    filenames: list[str] = []  # the attachments left out
    case_created: bool = False  # True when the rest of the mail still became (part of) a case


# -- RPC: mailboxes (IMAP polling) and the raw message ----------------------------------------


class MailboxSecurity(StrEnum):
    SSL = "ssl"  # implicit TLS (port 993)
    STARTTLS = "starttls"
    NONE = "none"  # plain text: only for tests and local servers


class SmtpAuth(StrEnum):
    """How a mailbox's own SMTP server is logged in to (decision 0227)."""

    PASSWORD = "password"  # noqa: S105 - a mode, not a secret. AUTH PLAIN/LOGIN with smtp_user and smtp_password (none when no user is set)
    OAUTH2 = "oauth2"  # SASL XOAUTH2 with an access token from `mailbox_access_token`


class MailboxWrite(BaseModel):
    """Create or change a mailbox (`save_mailbox`); a None password keeps the stored one ("" removes an SMTP one).

    `smtp_host` empty: the mailbox's mail leaves through the global relay (HELPDESK_SMTP_RELAY).
    """

    model_config = ConfigDict(extra="ignore")
    address: str = Field(max_length=320)
    name: str = Field(default="", max_length=200)
    default_group: str | None = Field(default=None, max_length=200)
    # a reply on a case's thread from someone not on the case (decision 0220)
    outsider_reply: OutsiderReply = OutsiderReply.INTERNAL
    active: Flag = True
    imap_host: str | None = Field(default=None, max_length=255)
    imap_port: int | None = Field(default=None, strict=True, ge=1, le=65535)
    imap_security: MailboxSecurity = MailboxSecurity.SSL
    imap_user: str | None = Field(default=None, max_length=320)
    imap_password: str | None = Field(default=None, max_length=1000, repr=False)
    imap_folder: str = Field(default="INBOX", max_length=200)
    imap_move_to: str | None = Field(default=None, max_length=200)
    imap_poll_seconds: int = Field(default=60, ge=1, le=86400)
    # watch the folder with IMAP IDLE when the server offers it (new mail in a second or two); the poll
    # every imap_poll_seconds stays as the safety net and the fallback (decision 0147)
    use_idle: Flag = True
    # sending (decision 0227): the mailbox's own SMTP server; a None port takes the security's usual one
    smtp_host: str | None = Field(default=None, max_length=255)
    smtp_port: int | None = Field(default=None, strict=True, ge=1, le=65535)
    smtp_security: MailboxSecurity = MailboxSecurity.STARTTLS
    smtp_auth: SmtpAuth = SmtpAuth.PASSWORD
    smtp_user: str | None = Field(default=None, max_length=320)
    smtp_password: str | None = Field(default=None, max_length=1000, repr=False)


class MailboxRead(BaseModel):
    """A mailbox as shown to admins: never the password, only whether one is set."""

    model_config = ConfigDict(extra="ignore")
    id: int
    address: str
    name: str = ""
    default_group: str | None = None
    outsider_reply: OutsiderReply = OutsiderReply.INTERNAL
    active: bool = True
    imap_host: str | None = None
    imap_port: int | None = None
    imap_security: MailboxSecurity = MailboxSecurity.SSL
    imap_user: str | None = None
    imap_password_set: bool = False
    imap_folder: str = "INBOX"
    imap_move_to: str | None = None
    imap_poll_seconds: int = 60
    imap_last_uid: int = 0
    imap_last_polled_at: datetime | None = None
    imap_last_error: str | None = None
    use_idle: bool = True
    imap_idle_supported: bool | None = None  # what the server said last time; None: not known yet
    imap_idle_active: bool = False  # a worker is watching the folder with IDLE right now
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_security: MailboxSecurity = MailboxSecurity.STARTTLS
    smtp_auth: SmtpAuth = SmtpAuth.PASSWORD
    smtp_user: str | None = None
    smtp_password_set: bool = False
    # counts every change of the sending settings; notifications' copy is as new once it holds this version
    smtp_version: int = 0
    # set when the mailbox signs in with OAuth2 (SASL XOAUTH2) instead of a password (decision 0225)
    oauth: MailboxOAuthRead | None = None


class MailboxSmtp(BaseModel):
    """A mailbox's own SMTP server as `mailbox_sending_changed` carries it: the password only sealed."""

    model_config = ConfigDict(extra="ignore")
    host: str
    port: int
    security: MailboxSecurity = MailboxSecurity.STARTTLS
    auth: SmtpAuth = SmtpAuth.PASSWORD
    user: str = ""
    # Fernet under a key derived from HELPDESK_SECRET_KEY for this purpose (chassis.sealed, SMTP_PASSWORD)
    password_sealed: str = Field(default="", repr=False)


class MailboxSendingChanged(EventPayload):
    """A mailbox was saved: how its mail leaves now (`smtp` None: through the global relay). Decision 0228.

    `version` grows with every change of one mailbox, so a consumer keeps the newest whatever the order.
    """

    EVENT_TYPE = "mailbox_sending_changed"
    mailbox_id: int
    address: str
    version: int
    smtp: MailboxSmtp | None = None


class MailboxAccessToken(BaseModel):
    """A current access token of an OAuth2 mailbox (`mailbox_access_token`), for SASL XOAUTH2 (IMAP, SMTP)."""

    model_config = ConfigDict(extra="ignore")
    access_token: str = Field(repr=False)
    expires_at: datetime
    mailbox_id: int | None = None
    address: str = ""
    user: str = ""  # the user name XOAUTH2 names: the mailbox's IMAP user, else its address


class ConnectionCheck(BaseModel):
    """Result of `verify_mailbox_connection`: ok, or the step that failed and a clear reason."""

    model_config = ConfigDict(extra="ignore")
    ok: bool
    step: str  # connect, tls, login, select, done
    # on failure, machine-readable: the step, or a finer cause: tls_certificate_untrusted,
    # tls_hostname_mismatch, tls_certificate_expired, tls_certificate_invalid (decision 0157)
    code: str = ""
    reason: str = ""
    messages: int | None = None  # messages in the folder, when it could be selected


class RawMail(BaseModel):
    """The raw bytes of one inbound mail (`get_raw_mail`), base64-encoded for the JSON transport."""

    model_config = ConfigDict(extra="ignore")
    id: int
    raw_sha256: str
    raw_base64: str


class MailAttachmentContent(BaseModel):
    """The bytes of one attachment of an inbound mail (`get_attachment`), base64-encoded for the JSON transport."""

    model_config = ConfigDict(extra="ignore")
    sha256: str
    content_base64: str


# -- OAuth2 mailboxes: Microsoft 365, Google, or a custom provider (decisions 0224-0226) ---------------


class OAuthProvider(StrEnum):
    MICROSOFT = "microsoft"
    GOOGLE = "google"
    CUSTOM = "custom"


class OAuthStatus(StrEnum):
    PENDING = "pending"  # an admin started the consent flow; no tokens yet
    CONNECTED = "connected"  # tokens stored; refreshed before they expire
    FAILED = "failed"  # the provider refused a refresh (e.g. consent revoked): connect the mailbox again


class MailboxOAuthStart(BaseModel):
    """Start connecting a mailbox through the provider's consent screen (`begin_mailbox_oauth`).

    Client id and secret may come from the service's settings (per preset); the secret given here is stored
    encrypted and never shown again (None keeps the stored one). A custom provider names its URLs and scopes.
    """

    model_config = ConfigDict(extra="ignore")
    provider: OAuthProvider
    redirect_uri: str = Field(max_length=2000)
    client_id: str | None = Field(default=None, max_length=500)
    client_secret: str | None = Field(default=None, max_length=2000, repr=False)
    tenant: str | None = Field(default=None, max_length=200, pattern=r"^[A-Za-z0-9.-]+$")  # Microsoft only
    authorize_url: str | None = Field(default=None, max_length=2000)
    token_url: str | None = Field(default=None, max_length=2000)
    scopes: str | None = Field(default=None, max_length=2000)


class MailboxOAuthConsent(BaseModel):
    """Where to send the admin's browser; `state` comes back on the callback and must match."""

    model_config = ConfigDict(extra="ignore")
    mailbox_id: int
    authorize_url: str
    state: str


class MailboxOAuthRead(BaseModel):
    """A mailbox's OAuth2 connection as admins see it: never a token nor the client secret."""

    model_config = ConfigDict(extra="ignore")
    provider: OAuthProvider
    status: OAuthStatus
    client_id: str | None = None  # None: the service's settings give it
    client_secret_set: bool = False
    authorize_url: str
    token_url: str
    scopes: str
    error: str | None = None  # why the last refresh failed, e.g. "invalid_grant: consent revoked"
    expires_at: datetime | None = None  # of the current access token
    connected_at: datetime | None = None
    refreshed_at: datetime | None = None


class MailboxOAuthFailed(EventPayload):
    """The provider refused to refresh a mailbox's tokens: mail stops until an admin connects it again."""

    EVENT_TYPE = "mailbox_oauth_failed"
    mailbox_id: int
    address: str
    provider: str
    reason: str  # "<OAuth error code>: <provider's description>", e.g. "invalid_grant: consent revoked"


MailboxRead.model_rebuild()
