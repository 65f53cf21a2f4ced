"""Tables of the portal service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import TYPE_ANNOTATION_MAP, JSONType, service_metadata, utcnow
from chassis.outbox import BigId, outbox_tables


class Base(DeclarativeBase):
    """Every table of this service: its own metadata, as each service has its own database."""

    metadata = service_metadata("portal")
    type_annotation_map = TYPE_ANNOTATION_MAP


OutboxMessage, ProcessedEvent = outbox_tables(Base)


class MagicLink(Base):
    """One sign-in link we mailed: only the token's sha256 is kept, never the token."""

    __tablename__ = "magic_link"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    contact_id: Mapped[int] = mapped_column(BigInteger, index=True)
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)


class FormDraft(Base):
    """A department form a contact is filling in: every answer typed so far, kept until it is sent.

    `definition` is the form as it was when they started, so the pages they fill do not change under them and a
    cases outage does not stop them sending (decision 0258).
    """

    __tablename__ = "form_draft"
    __table_args__ = (UniqueConstraint("contact_id", "form_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contact_id: Mapped[int] = mapped_column(BigInteger)
    form_id: Mapped[int] = mapped_column(BigInteger)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class FormDraftFile(Base):
    """A file answer of a draft: kept here between pages, so it is attached once and never lost to an error."""

    __tablename__ = "form_draft_file"
    __table_args__ = (UniqueConstraint("draft_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    draft_id: Mapped[int] = mapped_column(BigId, ForeignKey("form_draft.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ContactPassword(Base):
    """A contact's portal password (Argon2id, chassis.passwords); the contact itself lives in cases."""

    __tablename__ = "contact_password"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contact_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PasswordLink(Base):
    """A mailed link to set a password (registration, reset): single use; only the token's sha256 is kept."""

    __tablename__ = "password_link"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))  # register | reset
    contact_id: Mapped[int] = mapped_column(BigInteger, index=True)
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)
