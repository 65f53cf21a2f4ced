"""Replies of cases RPCs that no other contract model describes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from contracts.cases import CaseRead, MessageRead, Visibility
from contracts.directory import ContactDetail


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Health(_Model):
    status: str


class ContactCaseView(_Model):
    """A case of the signed-in contact and its public conversation (the portal's case page).

    cases already leaves internal notes out; dropping any that arrive here too means a bug there can never
    show a note to a customer (D4)."""

    case: CaseRead
    messages: list[MessageRead] = []

    @field_validator("messages")
    @classmethod
    def _public_only(cls, messages: list[MessageRead]) -> list[MessageRead]:
        return [m for m in messages if m.visibility == Visibility.PUBLIC]


class ContactPage(_Model):
    items: list[ContactDetail]
    next: str | None = None


class ClosedWithChildren(_Model):
    case: CaseRead
    closed_children: list[CaseRead]
    # children the caller may not see (restricted groups) are not closed, only counted (decision 0125)
    hidden_children_left_open: int = 0


class AttachmentLimit(_Model):
    max_attachment_bytes: int
