"""Tables of the directory: agents, groups and their members, contacts and their addresses, organisations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, false
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cases.common.tables import Base
from chassis.db import JSONType, utcnow
from contracts.cases import AgentRole

# -- directory ----------------------------------------------------------------------------


class Agent(Base):
    __tablename__ = "agent"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200), default="")
    # admin | agent | light_agent (contracts.cases.AgentRole, decision 0195; migration 0010)
    role: Mapped[str] = mapped_column(String(20), default="agent", server_default="agent")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[GroupMember]] = relationship(back_populates="agent", lazy="selectin")

    @hybrid_property
    def is_admin(self) -> bool:
        """Whether the agent is an admin, in Python and in queries (`role` is what is stored)."""
        return self.role == AgentRole.ADMIN.value

    @is_admin.inplace.setter
    def _is_admin_setter(self, value: bool) -> None:
        if value:
            self.role = AgentRole.ADMIN.value
        elif self.role in (None, AgentRole.ADMIN.value):  # no longer an admin; a light agent stays one
            self.role = AgentRole.AGENT.value


class Group(Base):
    __tablename__ = "group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # a restricted group's cases are visible only to its members (and admins)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class GroupMember(Base):
    __tablename__ = "group_member"

    group_id: Mapped[int] = mapped_column(ForeignKey("group.id", ondelete="CASCADE"), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"), primary_key=True)

    agent: Mapped[Agent] = relationship(back_populates="memberships")


class Contact(Base):
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    phone: Mapped[str | None] = mapped_column(String(50))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    # False while the contact awaits an agent's approval (B15, setting hold_unknown_senders)
    approved: Mapped[bool] = mapped_column(Boolean, default=True)
    # email | sms: how notifications reach this contact (sms only with a phone; migration 0006)
    preferred_channel: Mapped[str] = mapped_column(String(10), default="email", server_default="email")

    # the first address (lowest id) is the one we write to
    emails: Mapped[list[ContactEmail]] = relationship(
        back_populates="contact", order_by="ContactEmail.id", lazy="selectin"
    )

    @property
    def primary_email(self) -> str | None:
        return self.emails[0].email if self.emails else None


class ContactEmail(Base):
    __tablename__ = "contact_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased

    contact: Mapped[Contact] = relationship(back_populates="emails")


# -- organisations ----------------------------------------------------------


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # its mail domains (lower-case) and whether a colleague's reply on a member's case joins publicly (0220)
    domains: Mapped[list[Any]] = mapped_column(JSONType, default=list, server_default="[]")
    colleagues_join_publicly: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # its contacts see each other's cases in the portal (D10)
    members_see_cases: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
