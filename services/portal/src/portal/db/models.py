"""Tables of the portal service."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from chassis.db import new_base, utcnow
from chassis.outbox import BigId, OutboxMessageMixin, ProcessedEventMixin

if TYPE_CHECKING:  # mypy cannot subclass a base built at run time; the shape is the same
    from sqlalchemy.orm import DeclarativeBase as Base
else:
    Base = new_base()
Base.metadata.info["service"] = "portal"


class OutboxMessage(OutboxMessageMixin, Base):
    __tablename__ = "outbox_message"


class ProcessedEvent(ProcessedEventMixin, Base):
    __tablename__ = "processed_event"


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
