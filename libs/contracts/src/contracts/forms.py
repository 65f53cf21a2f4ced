"""Contracts of department forms (A3, D3): a form's definition, a customer's answers, and the answers kept on a case.

A definition is case configuration (it maps answers onto case fields), so the cases service keeps it and
checks it (decision 0257); the portal renders it and validates the answers, then sends them through its
outbox (`contracts.portal.FormSubmitted`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field

from contracts import cases as cases_module
from contracts.bounds import MAX_OPTIONS, Flag, Id
from contracts.cases import CaseRead, CasesModel

MAX_PAGES = 20
MAX_FIELDS_PER_PAGE = 50
MAX_ANSWER_CHARS = 10_000
KEY_PATTERN = r"^[a-z][a-z0-9_]*$"


class FormFieldType(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    NUMBER = "number"
    DATE = "date"
    SELECT = "select"
    MULTI_SELECT = "multi-select"
    CHECKBOX = "checkbox"
    EMAIL = "email"
    PHONE = "phone"
    FILE = "file"


CHOICE_TYPES = frozenset({FormFieldType.SELECT, FormFieldType.MULTI_SELECT})


class ShowIf(CasesModel):
    """Show a field or page only when an earlier answer has a value: any value, or exactly `equals`."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(
        min_length=1, max_length=100, description="the key of a field on an earlier page or earlier on the same page"
    )
    equals: str | None = Field(
        default=None,
        max_length=200,
        description="shown only when that answer is (or, for a multi-select, includes) this value; "
        'left out: when it has any value (a checkbox: when ticked, or "true")',
    )


class FormFieldDef(CasesModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=100, pattern=KEY_PATTERN, description="unique in the form")
    label: str = Field(min_length=1, max_length=200)
    type: FormFieldType
    required: Flag = False
    help: str = Field(default="", max_length=1000, description="help text shown under the field")
    options: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default=[], max_length=MAX_OPTIONS, description="the choices of a select or multi-select (and only of those)"
    )
    maps_to: str | None = Field(
        default=None,
        max_length=120,
        description='the case field the answer sets: "title", "description", "priority", "type" or '
        '"custom_fields.<key>"',
    )
    show_if: ShowIf | None = None


class FormPageDef(CasesModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    show_if: ShowIf | None = Field(default=None, description="the page is skipped unless this holds")
    fields: list[FormFieldDef] = Field(min_length=1, max_length=MAX_FIELDS_PER_PAGE)


class FormWrite(CasesModel):
    """A whole definition: created, or replacing the one stored (PUT)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="shown on the portal's tile and the form's pages")
    description: str = Field(default="", max_length=1000, description="one or two sentences under the name on the tile")
    group_id: Id | None = Field(default=None, description="the group (department) the form's cases go to")
    published: Flag = Field(default=False, description="only published forms are shown in the portal")
    pages: list[FormPageDef] = Field(min_length=1, max_length=MAX_PAGES)


class FormPatch(CasesModel):
    """A partial change (PATCH): only the parts given change; `pages` replaces all pages."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    group_id: Id | None = None
    published: Flag | None = None
    pages: list[FormPageDef] | None = Field(default=None, min_length=1, max_length=MAX_PAGES)


class FormRead(CasesModel):
    id: int
    name: str
    description: str = ""
    group_id: int | None = None
    published: bool = False
    pages: list[FormPageDef]
    version: int = 1
    created_at: datetime
    updated_at: datetime


AnswerValue = str | list[str] | bool | float | int | None


class FormAnswer(CasesModel):
    """One answer as the customer gave it, with the question as it was asked (a later edit of the form
    changes no case)."""

    key: str
    label: str
    type: FormFieldType
    page: str = ""
    value: AnswerValue = None
    maps_to: str | None = None


class FormFile(CasesModel):
    """A file answer's bytes, travelling with the submission (bounded by the portal's upload limits)."""

    key: str
    filename: str
    content_type: str
    content_base64: str


class CaseForm(CasesModel):
    """The complete answer set of the form a case was opened with."""

    form_id: int | None = None
    form_name: str
    submitted_at: datetime
    answers: list[FormAnswer]


class CaseDetail(CaseRead):
    """One case as `get_case` answers it: the case, and the answers of the form it was opened with."""

    form: CaseForm | None = None


# CaseRead's annotations name models declared after it in contracts.cases: resolve them there
CaseDetail.model_rebuild(_types_namespace=vars(cases_module))
