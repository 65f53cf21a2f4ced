"""Tables of the portal capability: one branding record per organisation, and one default."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cases.common.tables import Base
from chassis.db import utcnow


class PortalBranding(Base):
    """Texts, colours and logo of the portal; `organisation_id` NULL is the default every page falls back to.

    `scope` is "default" or "org:<id>": one unique key for both, as NULLs never clash in a unique index."""

    __tablename__ = "portal_branding"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(80), default="")
    welcome: Mapped[str] = mapped_column(Text, default="")
    footer: Mapped[str] = mapped_column(String(300), default="")
    accent_colour: Mapped[str | None] = mapped_column(String(7))
    header_colour: Mapped[str | None] = mapped_column(String(7))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_content_type: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
