"""Bulk changes to cases (C3): what a request may ask, and what each case's change is. Pure: no I/O.

A bulk request names up to MAX_CASES cases and one set of changes; each case is changed on its own (one
`update_case` each, so one case's refusal leaves the others changed) and answers its own result (decision 0237).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from annotated_types import Ge
from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts import cases as c
from contracts import errors
from contracts.bounds import Id, LaxId, Tags

MAX_CASES = 500
# the largest list parsed at all: past MAX_CASES it answers too_many_cases, past this a plain validation error
PARSE_BOUND = 10_000


class BulkChanges(BaseModel):
    """The changes made to every case named; only the fields given are changed (`assignee_id: null`
    unassigns). `merge_into` merges every other case named into that one and takes no other change."""

    model_config = ConfigDict(extra="forbid")

    assignee_id: Id | None = None
    group_id: Id | None = None
    status_id: Id | None = Field(default=None, description="An admin status (GET /api/v1/statuses)")
    status: c.Status | None = Field(default=None, description="A status category, when no status_id is given")
    priority: c.Priority | None = None
    add_tags: Tags = []
    remove_tags: Tags = []
    close: bool = Field(default=False, description="Close each case (status category `closed`)")
    merge_into: Id | None = Field(default=None, description="Merge the other cases into this one")

    @model_validator(mode="after")
    def _one_kind(self) -> BulkChanges:
        fields = self.model_fields_set - {"merge_into"}
        if self.merge_into is not None and fields:
            raise ValueError("merge_into takes no other change")
        if not self.model_fields_set:
            raise ValueError("name at least one change")
        if self.close and (self.status is not None or self.status_id is not None):
            raise ValueError("close takes no status or status_id")
        return self


class BulkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_ids: list[Id] = Field(min_length=1, max_length=PARSE_BOUND, description=f"At most {MAX_CASES} case ids")
    changes: BulkChanges
    versions: dict[LaxId, Annotated[int, Ge(1)]] = Field(
        default={},
        max_length=MAX_CASES,
        description="case id -> the version you read; a case changed since answers version_conflict",
    )


class Outcome(StrEnum):
    OK = "ok"
    ERROR = "error"


class BulkError(BaseModel):
    code: str
    message: str
    details: Any = None


class BulkResult(BaseModel):
    case_id: int
    outcome: Outcome
    number: int | None = None
    version: int | None = Field(default=None, description="The case's version after the change")
    error: BulkError | None = None


class BulkAnswer(BaseModel):
    results: list[BulkResult] = Field(description="One per case named, in the order named")
    changed: int
    failed: int


def case_ids(request: BulkRequest) -> list[int]:
    """The cases named, each once, in the order first named; too_many_cases past MAX_CASES."""
    unique = list(dict.fromkeys(request.case_ids))
    if len(unique) > MAX_CASES:
        raise errors.DomainError(
            errors.TOO_MANY_CASES,
            f"a bulk change takes at most {MAX_CASES} cases; {len(unique)} were named",
            {"max": MAX_CASES, "given": len(unique)},
        )
    return unique


def needs_tags(changes: BulkChanges) -> bool:
    return bool(changes.add_tags or changes.remove_tags)


def case_update(changes: BulkChanges, current_tags: list[str]) -> c.CaseUpdate:
    """One case's update: the fields given, its tags with those added and removed (order kept)."""
    data: dict[str, Any] = {
        name: getattr(changes, name)
        for name in ("assignee_id", "group_id", "status_id", "status", "priority")
        if name in changes.model_fields_set
    }
    if changes.close:
        data["status"] = c.Status.CLOSED
    if needs_tags(changes):
        removed = {t.casefold() for t in changes.remove_tags}
        kept = [t for t in current_tags if t.casefold() not in removed]
        known = {t.casefold() for t in kept}
        data["tags"] = kept + [t for t in dict.fromkeys(changes.add_tags) if t.casefold() not in known]
    return c.CaseUpdate.model_validate(data)


def ok(case_id: int, case: c.CaseRead) -> BulkResult:
    return BulkResult(case_id=case_id, outcome=Outcome.OK, number=case.number, version=case.version)


def failed(case_id: int, exc: errors.DomainError, number: int | None = None) -> BulkResult:
    error = BulkError(code=exc.code, message=exc.message, details=exc.details)
    return BulkResult(case_id=case_id, outcome=Outcome.ERROR, number=number, error=error)


def answer(results: list[BulkResult]) -> BulkAnswer:
    changed = sum(r.outcome is Outcome.OK for r in results)
    return BulkAnswer(results=results, changed=changed, failed=len(results) - changed)
