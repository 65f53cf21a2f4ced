"""Tables of the notifications service: the delivery log (with the rendered message) and thread references."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import TYPE_ANNOTATION_MAP, service_metadata, utcnow
from chassis.outbox import BigId, outbox_tables


class Base(DeclarativeBase):
    metadata = service_metadata("notifications")
    type_annotation_map = TYPE_ANNOTATION_MAP


OutboxMessage, ProcessedEvent = outbox_tables(Base)


class Delivery(Base):
    """One outbound message to one recipient, from queueing to sent or dead (E5)."""

    __tablename__ = "delivery"
    __table_args__ = (
        # a redelivered or replayed event never queues the same message twice
        UniqueConstraint("source_event_id", "recipient", "kind", name="uq_delivery_source_event_id"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
        Index("ix_delivery_case_id", "case_id"),
        Index("ix_delivery_recipient", "recipient"),
        Index("ix_delivery_email_message_id", "email_message_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30))  # confirmation | reply | magic_link
    channel: Mapped[str] = mapped_column(String(20), default="email")
    recipient: Mapped[str] = mapped_column(String(320))
    case_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    case_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    source_event_id: Mapped[str] = mapped_column(String(36))
    email_message_id: Mapped[str | None] = mapped_column(String(998), nullable=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    # the mailbox the mail is from (its From): its own SMTP server sends it when it has one (decision 0227);
    # null: the service's own sender, through the global relay
    sender_address: Mapped[str | None] = mapped_column(String(320), nullable=True)
    # the rendered message: a retry sends these very bytes, with the same Message-ID
    raw_message: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued|sent|failed|suppressed|dead|bounced
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ThreadRef(Base):
    """A Message-ID seen on a case (the customer's, or one we sent), to thread our replies."""

    __tablename__ = "thread_ref"
    __table_args__ = (UniqueConstraint("case_id", "email_message_id", name="uq_thread_ref_case_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigInteger)
    email_message_id: Mapped[str] = mapped_column(String(998))
    author_type: Mapped[str] = mapped_column(String(20))  # contact | agent | system
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SuppressedAddress(Base):
    """An address that bounced hard: nothing is mailed to it until an operator clears it (E4)."""

    __tablename__ = "suppressed_address"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="")
    case_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    original_message_id: Mapped[str | None] = mapped_column(String(998), nullable=True)
    source_event_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgentNotification(Base):
    """An in-app notification of one agent (E2): unread until they open it."""

    __tablename__ = "agent_notification"
    __table_args__ = (
        UniqueConstraint("source_event_id", "agent_id", "kind", name="uq_agent_notification_source_event_id"),
        Index("ix_agent_notification_agent_id", "agent_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agent_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int] = mapped_column(BigInteger)
    case_number: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(Text, default="")
    # one line more than the title: the task, the SLA target and due time, the mention's excerpt (0005)
    detail: Mapped[str] = mapped_column(Text, default="", server_default="")
    source_event_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(nullable=True)


class AgentPreference(Base):
    """An agent's explicit choice for one kind of notification on one channel (E2); absent: the default."""

    __tablename__ = "agent_preference"

    agent_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PushSubscription(Base):
    """A browser of an agent that opted in to Web Push (E2): where to push and the keys to encrypt for."""

    __tablename__ = "push_subscription"
    __table_args__ = (
        # one browser is one endpoint: subscribing it again (maybe as another agent) replaces the row
        UniqueConstraint("endpoint", name="uq_push_subscription_endpoint"),
        Index("ix_push_subscription_agent_id", "agent_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agent_id: Mapped[int] = mapped_column(BigInteger)
    endpoint: Mapped[str] = mapped_column(String(2048))
    p256dh: Mapped[str] = mapped_column(String(200))  # the browser's public key (base64url)
    auth: Mapped[str] = mapped_column(String(100))  # the browser's auth secret (base64url)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerMailSetting(Base):
    """Customer mail settings of one level (E3): `workspace`, or `org:<id>` for a customer organisation.

    Every field may be null: that level inherits it from the one above (decision 0093).
    """

    __tablename__ = "customer_mail_setting"

    scope_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    conversation: Mapped[str | None] = mapped_column(String(10), nullable=True)  # never | link | full
    sender_address: Mapped[str | None] = mapped_column(String(320), nullable=True)
    sender_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    closing_greeting: Mapped[str | None] = mapped_column(Text, nullable=True)
    cc_followers: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgentSmsNumber(Base):
    """The mobile number an agent wants their SMS alerts on (E2); the directory in cases has no phones."""

    __tablename__ = "agent_sms_number"

    agent_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailboxRelay(Base):
    """notifications' copy of how one mailbox's mail leaves (decision 0228), from `mailbox_sending_changed`.

    `smtp_host` null: through the global relay. The password stays sealed (chassis.sealed) until a login.
    """

    __tablename__ = "mailbox_relay"
    __table_args__ = (Index("ix_mailbox_relay_address", "address"),)

    mailbox_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    address: Mapped[str] = mapped_column(String(320))
    version: Mapped[int] = mapped_column(Integer)  # the newest change applied; an older event changes nothing
    smtp_host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    smtp_port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    smtp_security: Mapped[str] = mapped_column(String(10))
    smtp_auth: Mapped[str] = mapped_column(String(10))
    smtp_user: Mapped[str] = mapped_column(String(320))
    smtp_password_sealed: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column()
