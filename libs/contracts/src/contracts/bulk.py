"""Contracts of bulk loading into the cases service: the one event a bulk load emits.

An import or a synthetic-data run does not emit `case_created` per case: those would send
confirmation mail to every imported requester and alert agents about years-old cases. Each
committed batch emits one `cases_imported` instead, in the same transaction as its rows.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from contracts.envelope import EventPayload


class CasesImported(EventPayload):
    """A batch of cases was loaded in bulk (import or generator); ids are contiguous per batch on PostgreSQL."""

    EVENT_TYPE = "cases_imported"
    origin: str  # "import" | "generate"
    source_name: str = ""  # the imported file's name, or "generator seed=<S>"
    count: int
    messages: int
    case_ids: list[int]
    first_number: int | None = None
    last_number: int | None = None


# -- `cases.case_facts` (decision 0143): what the reports read model needs of cases it saw no event for

CASE_FACTS_MAX = 500  # ids per call: a bigger batch is asked for in pages


class CaseFacts(BaseModel):
    """The facts of one case the reports service keeps (the same as its `case_created` snapshot gives)."""

    id: int
    number: int
    status: str  # the status category
    priority: str
    group_id: int | None = None
    group_name: str | None = None
    assignee_id: int | None = None
    requester_id: int | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class CaseFactsPage(BaseModel):
    """The facts of the asked ids that exist (in id order); `missing`: ids no case has (any more)."""

    items: list[CaseFacts]
    missing: list[int] = []
