"""Contracts of the directory kept by the cases service: organisations, contacts, groups and agents."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, EmailStr, Field, model_validator

from contracts.bounds import Flag, Id, Ids
from contracts.cases import (
    Actor,
    AgentRef,
    AgentRole,
    CaseCreated,
    CasePage,
    CaseRead,
    CasesModel,
    CaseUpdate,
    CaseUpdated,
    ContactChannel,
    MessageAdded,
    OrganisationRef,
)
from contracts.envelope import EventPayload


class OrganisationWrite(CasesModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    # mail domains of the organisation (lower-case, no "@"); a free-mail domain is refused (decision 0220)
    domains: list[Annotated[str, Field(min_length=1, max_length=253)]] = Field(default_factory=list, max_length=50)
    # a reply on a member's case from another address at one of `domains` joins publicly and follows
    colleagues_join_publicly: Flag = False
    # its contacts see all of the organisation's cases in the portal, not only their own (D10)
    members_see_cases: Flag = False


class OrganisationRead(CasesModel):
    id: int
    name: str
    domains: list[str] = []
    colleagues_join_publicly: bool = False
    members_see_cases: bool = False


class ContactDetail(CasesModel):
    id: int
    name: str
    emails: list[str] = []
    phone: str | None = None
    organisation: OrganisationRef | None = None
    approved: bool = True
    preferred_channel: ContactChannel = ContactChannel.EMAIL


class ContactWrite(CasesModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    emails: list[EmailStr] | None = Field(default=None, max_length=20)
    phone: str | None = Field(default=None, max_length=50)
    organisation_id: Id | None = None
    approved: Flag | None = None
    preferred_channel: ContactChannel | None = None  # "sms" needs a phone (given here or already stored)


class GroupWrite(CasesModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    member_ids: Ids | None = None
    # a restricted group's cases are visible only to its members and admins
    restricted: Flag | None = None


class GroupRead(CasesModel):
    id: int
    name: str
    member_ids: list[int] = []
    restricted: bool = False


class AgentWrite(CasesModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr | None = None
    name: str | None = Field(default=None, max_length=200)
    role: AgentRole | None = None
    is_admin: Flag | None = Field(
        default=None,
        json_schema_extra={"deprecated": True},  # not `deprecated=`: that warns on every read of the field
        description="Deprecated: send `role`. `true` makes the agent an admin, `false` makes an admin an agent"
        " (other roles stay); contradicting `role` is refused.",
    )
    active: Flag | None = None
    group_ids: Ids | None = None

    @model_validator(mode="after")
    def _role_agrees(self) -> AgentWrite:
        if self.role is not None and self.is_admin is not None and self.is_admin != (self.role is AgentRole.ADMIN):
            raise ValueError("is_admin contradicts role: send role only")
        return self

    def role_after(self, current: AgentRole | None) -> AgentRole | None:
        """The role this write gives an agent whose role is `current` (None: a new agent); None keeps it."""
        if self.role is not None:
            return self.role
        if self.is_admin:
            return AgentRole.ADMIN
        if self.is_admin is False and current == AgentRole.ADMIN:
            return AgentRole.AGENT
        return None


class AgentMentioned(EventPayload):
    EVENT_TYPE = "agent_mentioned"
    case: CaseRead
    message_id: int
    agent: AgentRef
    actor: Actor | None = None
    excerpt: str = ""  # the note around the mention, one line, at most 160 characters (internal: agents only)


for _model in (CaseRead, CaseUpdate, CaseCreated, CaseUpdated, MessageAdded, CasePage):
    _model.model_rebuild()
