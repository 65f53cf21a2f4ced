"""Contracts of the directory kept by the cases service: organisations, contacts, groups and agents."""

from __future__ import annotations

from pydantic import ConfigDict, EmailStr, Field

from contracts.bounds import Flag, Id, Ids
from contracts.cases import (
    Actor,
    AgentRef,
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


class OrganisationRead(CasesModel):
    id: int
    name: str


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
    is_admin: Flag | None = None
    active: Flag | None = None
    group_ids: Ids | None = None


class AgentMentioned(EventPayload):
    EVENT_TYPE = "agent_mentioned"
    case: CaseRead
    message_id: int
    agent: AgentRef
    actor: Actor | None = None
    excerpt: str = ""  # the note around the mention, one line, at most 160 characters (internal: agents only)


for _model in (CaseRead, CaseUpdate, CaseCreated, CaseUpdated, MessageAdded, CasePage):
    _model.model_rebuild()
