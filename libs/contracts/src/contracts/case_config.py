"""Contracts of what an admin configures in the cases service: types, statuses, custom fields, field
configuration, settings, and the history of a case."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field

from contracts.bounds import MAX_OPTIONS, Flag
from contracts.cases import AuthorType, CasesModel, Channel, Status


class CaseTypeRead(CasesModel):
    id: int
    name: str
    instructions: str = ""
    active: bool = True


class CaseTypeWrite(CasesModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    instructions: str = Field(default="", max_length=20_000)
    active: Flag = True


class CaseStatusRead(CasesModel):
    id: int
    name: str
    category: Status
    builtin: bool = False
    position: int = 0  # lists and pickers show statuses by position, then by id


class CaseStatusWrite(CasesModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    category: Status
    # where the status stands in lists and pickers; left out: a new status goes last, a saved one stays put
    position: int | None = Field(default=None, strict=True, ge=0, le=10_000)


class CustomFieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    SELECT = "select"


class CustomFieldRead(CasesModel):
    id: int
    key: str
    label: str
    type: CustomFieldType
    options: list[str] = []
    used: bool = True
    hidden: bool = False
    required: bool = False


class CustomFieldWrite(CasesModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=200)
    type: CustomFieldType
    options: list[Annotated[str, Field(max_length=200)]] = Field(default=[], max_length=MAX_OPTIONS)
    used: Flag = True
    hidden: Flag = False
    required: Flag = False


class FieldConfigRead(CasesModel):
    """Used/hidden/required for a built-in optional field (H2)."""

    field: str
    used: bool = True
    hidden: bool = False
    required: bool = False


class ConcurrencyMode(StrEnum):
    STRICT = "strict"  # any stale write is refused
    FIELD = "field"  # refused only when a field it changes was changed since; merged otherwise


class ClosedReplyAction(StrEnum):
    REOPEN = "reopen"
    FOLLOW_UP = "follow_up"


class CaseSourceRead(CasesModel):
    """One entry of the admin's list of sources (A7): `key` is what a case's `source` holds."""

    id: int
    key: str
    name: str
    # the system sets it itself (mail, portal, SMS, API, ...): it cannot be removed, only hidden from agents
    builtin: bool = False
    active: bool = True  # offered to agents (and accepted from API callers) when they set a source
    position: int = 0
    confirm: bool = False  # a new case of this source mails its requester a confirmation with the case link (E1)


class CaseSourceWrite(CasesModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    active: Flag = True
    position: int | None = Field(default=None, ge=0, le=10_000)
    confirm: Flag = False


class CaseSettings(CasesModel):
    """Workspace automation and concurrency settings of the cases service (B3, B11, B15)."""

    model_config = ConfigDict(extra="forbid")

    agent_reply_sets_waiting: Flag = True
    contact_reply_reopens: Flag = True
    closed_reply: ClosedReplyAction = ClosedReplyAction.REOPEN
    # strict by default: the behaviour API clients had before the setting existed
    concurrency: ConcurrencyMode = ConcurrencyMode.STRICT
    hold_unknown_senders: Flag = False


class HistoryEntry(CasesModel):
    id: int
    case_id: int
    field: str
    old_value: str | None = None
    new_value: str | None = None
    actor_type: AuthorType
    actor_id: int | None = None
    actor_name: str = ""
    channel: Channel
    created_at: datetime
