"""Contracts of the reports service: RPC answers of `reports.*`."""

from __future__ import annotations

from pydantic import BaseModel

SERVICE = "reports"


class GroupCount(BaseModel):
    group_id: int | None
    group_name: str
    count: int


class AssigneeCount(BaseModel):
    assignee_id: int | None  # None: unassigned
    count: int


class OpenCasesReport(BaseModel):
    """Open (not resolved/closed) cases by status, by group and by assignee."""

    total: int
    by_status: dict[str, int]
    by_group: list[GroupCount]
    by_assignee: list[AssigneeCount] = []  # biggest first; an older reports service sends none
