"""Contracts of bulk loading into the cases service (issue 6): the one event a bulk load emits.

An import or a synthetic-data run does not emit `case_created` per case: those would send
confirmation mail to every imported requester and alert agents about years-old cases. Each
committed batch emits one `cases_imported` instead, in the same transaction as its rows.
"""

from __future__ import annotations

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
