"""Tables of the gateway service: API keys, agent credentials and their mailed links, idempotency records, the
admin audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import TYPE_ANNOTATION_MAP, JSONType, service_metadata, utcnow
from chassis.outbox import BigId, outbox_tables


class Base(DeclarativeBase):
    """Every table of this service: its own metadata, as each service has its own database."""

    metadata = service_metadata("gateway")
    type_annotation_map = TYPE_ANNOTATION_MAP


OutboxMessage, ProcessedEvent = outbox_tables(Base)


class ApiKey(Base):
    """A bearer key of the public API; only the SHA-256 of the secret is kept."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # the agent the key acts as: by id once known; by email when seeded before cases could be asked
    agent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    agent_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class AgentCredential(Base):
    """An agent's web sign-in: keyed by email; the agent id comes from cases at sign-in.

    No password yet: invited, the link not used. Deactivated: no sign-in, and the agent's API keys are refused."""

    __tablename__ = "agent_credential"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(300), nullable=True)
    agent_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AgentAccessToken(Base):
    """A mailed link that lets an agent set a password (invite, reset): single use; only its sha256 is kept."""

    __tablename__ = "agent_access_token"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))  # invite | reset
    credential_id: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)


class IdempotencyRecord(Base):
    """The answer given to a POST with an Idempotency-Key, replayed for the same key and body."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("owner", "key", name="uq_idempotency_record_owner_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # who used the key (e.g. "api_key:7"): keys are only unique per client
    owner: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """One admin change (decision 0198): who, what, the object before and after (secrets redacted), how it ended.

    Written as `pending` before the owning service is asked, completed after its answer: a change that
    happened is never missing from the log (at worst it stays `pending`)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    actor_type: Mapped[str] = mapped_column(String(20))  # agent | api_key
    actor_agent_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    channel: Mapped[str] = mapped_column(String(10))  # api | web
    api_key_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str | None] = mapped_column(String(320), nullable=True)
    action: Mapped[str] = mapped_column(String(50))
    outcome: Mapped[str] = mapped_column(String(20))  # pending | succeeded | failed | unknown
    error_code: Mapped[str | None] = mapped_column(String(100), nullable=True)
    before: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    after: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    request_id: Mapped[str] = mapped_column(String(100))


class TrustedImageSender(Base):
    """A sender whose remote images one agent chose to always see (decision 0245): per agent, by address."""

    __tablename__ = "trusted_image_sender"
    __table_args__ = (UniqueConstraint("agent_id", "sender", name="uq_trusted_image_sender_agent_id_sender"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agent_id: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(320))  # lower-cased address
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
