"""Tables of the mail-gateway service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from chassis.db import TYPE_ANNOTATION_MAP, JSONType, service_metadata, utcnow
from chassis.outbox import BigId, outbox_tables


class Base(DeclarativeBase):
    """Every table of this service: its own metadata, as each service has its own database."""

    metadata = service_metadata("mail_gateway")
    type_annotation_map = TYPE_ANNOTATION_MAP


OutboxMessage, ProcessedEvent = outbox_tables(Base)

STATUS_RECEIVED = "received"
STATUS_PROCESSED = "processed"
STATUS_FAILED = "failed"
STATUS_REJECTED = "rejected"  # over the size limit: recorded, the sender told, no case
STATUS_QUARANTINED = "quarantined"  # nothing could be read, not even a sender: kept raw, alerted
# it answers a mail we hold but that is not threaded yet: read again once that one is (decision 0223)
STATUS_WAITING = "waiting"


class Mailbox(Base):
    """An address we receive mail for, the group its new cases go to, and where to poll it over IMAP."""

    __tablename__ = "mailbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200), default="")
    default_group: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # what a reply on a case's thread from someone not on the case does (contracts OutsiderReply, 0220)
    outsider_reply: Mapped[str] = mapped_column(String(20), default="internal", server_default="internal")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # IMAP polling: set `imap_host` to poll; the password is never logged nor returned by the API, and is
    # stored Fernet-encrypted ("fernet:<token>", mail_gateway.mailbox_secrets, decision 0087)
    imap_host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    imap_port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    imap_security: Mapped[str] = mapped_column(String(10), default="ssl")  # ssl, starttls, none
    imap_user: Mapped[str | None] = mapped_column(String(320), nullable=True)
    imap_password: Mapped[str | None] = mapped_column(Text, nullable=True)
    imap_folder: Mapped[str] = mapped_column(String(200), default="INBOX")
    imap_move_to: Mapped[str | None] = mapped_column(String(200), nullable=True)  # else flag it Seen
    imap_poll_seconds: Mapped[int] = mapped_column(Integer, default=60)
    imap_uidvalidity: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    imap_last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    imap_next_poll_at: Mapped[datetime | None] = mapped_column(nullable=True)
    imap_last_polled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    imap_last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # IMAP IDLE (decision 0147): watch the folder when the server offers it; polling stays the fallback
    use_idle: Mapped[bool] = mapped_column(default=True)
    imap_idle_supported: Mapped[bool | None] = mapped_column(nullable=True)  # None: not known yet
    # the one worker process that may fetch this mailbox now (an IDLE watcher or a poll), and until when
    imap_lease_owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    imap_lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
    # sending (decision 0227): the mailbox's own SMTP server, else the global relay; the password is sealed
    # (chassis.sealed, SMTP_PASSWORD) and travels only so to notifications, which keeps a copy (0228)
    smtp_host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    smtp_port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    smtp_security: Mapped[str] = mapped_column(String(10), default="starttls", server_default="starttls")
    smtp_auth: Mapped[str] = mapped_column(String(10), default="password", server_default="password")
    smtp_user: Mapped[str | None] = mapped_column(String(320), nullable=True)
    smtp_password: Mapped[str | None] = mapped_column(Text, nullable=True)
    smtp_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MailboxOAuth(Base):
    """How a mailbox signs in with OAuth2 (SASL XOAUTH2) and its tokens (decisions 0224-0226).

    The client secret, both tokens and the PKCE verifier are Fernet-encrypted like IMAP passwords
    (mail_gateway.mailbox_secrets); a pending consent is found by the SHA-256 of its `state`, never the state.
    """

    __tablename__ = "mailbox_oauth"

    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailbox.id", ondelete="CASCADE"), primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))  # microsoft, google, custom
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, connected, failed
    client_id: Mapped[str | None] = mapped_column(String(500), nullable=True)  # None: from the settings
    client_secret: Mapped[str | None] = mapped_column(Text, nullable=True)
    tenant: Mapped[str | None] = mapped_column(String(200), nullable=True)
    authorize_url: Mapped[str] = mapped_column(Text)
    token_url: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(Text)
    access_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    refresh_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    connected_at: Mapped[datetime | None] = mapped_column(nullable=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # the consent flow in progress: the state's hash, the PKCE verifier, the redirect URI, until when
    state_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    code_verifier: Mapped[str | None] = mapped_column(Text, nullable=True)
    redirect_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    state_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)


class CaseRef(Base):
    """A case's number, learned from `case_created`, so a subject token `[#<number>-<sig>]` finds its case."""

    __tablename__ = "case_ref"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    case_id: Mapped[int] = mapped_column(Integer)


class InboundMail(Base):
    """One mail as accepted for one mailbox: the raw bytes' hash, then what processing made of it."""

    __tablename__ = "inbound_mail"
    __table_args__ = (
        # an MTA retry of the same bytes, or the same Message-ID again, must not make a second row
        UniqueConstraint("mailbox_id", "raw_sha256", name="uq_inbound_mail_mailbox_raw"),
        Index(
            "uq_inbound_mail_mailbox_message_id",
            "mailbox_id",
            "message_id",
            unique=True,
            postgresql_where=text("message_id IS NOT NULL"),
            sqlite_where=text("message_id IS NOT NULL"),
        ),
        # the worker's claim query only ever looks at unprocessed rows
        Index(
            "ix_inbound_mail_received",
            "id",
            postgresql_where=text("status = 'received'"),
            sqlite_where=text("status = 'received'"),
        ),
        Index("ix_inbound_mail_message_id", "message_id"),
        # the release of waiting replies looks only at waiting rows (decision 0223)
        Index(
            "ix_inbound_mail_waiting",
            "id",
            postgresql_where=text("status = 'waiting'"),
            sqlite_where=text("status = 'waiting'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailbox.id"))
    source: Mapped[str] = mapped_column(String(10), default="smtp")
    mail_from: Mapped[str | None] = mapped_column(String(320), nullable=True)  # SMTP envelope sender
    rcpt_to: Mapped[list[Any]] = mapped_column(JSONType, default=list)  # SMTP envelope recipients
    raw_sha256: Mapped[str] = mapped_column(String(64))
    raw_size: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[str | None] = mapped_column(String(500), nullable=True)
    in_reply_to: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    references: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    from_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    subject: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(20), default=STATUS_RECEIVED)
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    kind_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    thread_case_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    thread_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # learned from cases' events
    attachments: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    defects: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # a `waiting` reply: the mail it answers, and when it stops waiting whatever that mail became (0223)
    waiting_for: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    wait_until: Mapped[datetime | None] = mapped_column(nullable=True)

    mailbox: Mapped[Mailbox] = relationship(lazy="joined")


class InboundAttachment(Base):
    """An attachment a processed mail listed, by content hash: `get_attachment` serves only these blobs.

    The mail's `attachments` JSON stays what the audit list shows; this table answers "is this blob an
    attachment of some mail?" through its primary key instead of scanning that JSON (decision 0217).
    """

    __tablename__ = "inbound_attachment"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    inbound_mail_id: Mapped[int] = mapped_column(BigId, ForeignKey("inbound_mail.id"), primary_key=True)
