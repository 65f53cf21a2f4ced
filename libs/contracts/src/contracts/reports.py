"""Contracts of the reports service: RPC answers of `reports.*`."""

from __future__ import annotations

from pydantic import BaseModel

SERVICE = "reports"


class GroupCount(BaseModel):
    group_id: int | None
    group_name: str
    count: int


class OpenCasesReport(BaseModel):
    """Open (not resolved/closed) cases by status and by group."""

    total: int
    by_status: dict[str, int]
    by_group: list[GroupCount]
