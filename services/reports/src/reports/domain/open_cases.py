"""The open-cases report (F1, C6): open means any status category but resolved and closed."""

from __future__ import annotations

from collections.abc import Iterable

from contracts.cases import Status
from contracts.reports import AssigneeCount, GroupCount, OpenCasesReport

CLOSED_STATUSES = frozenset({Status.RESOLVED.value, Status.CLOSED.value})
OPEN_STATUSES = tuple(s.value for s in Status if s.value not in CLOSED_STATUSES)
NO_GROUP = "No group"


def is_open(status: str) -> bool:
    return status not in CLOSED_STATUSES


def build_report(
    *,
    by_status: Iterable[tuple[str, int]],
    by_group: Iterable[tuple[int | None, str | None, int]],
    by_assignee: Iterable[tuple[int | None, int]] = (),
) -> OpenCasesReport:
    """Assemble counts of open cases; every open category is listed, groups biggest first."""
    statuses = dict.fromkeys(OPEN_STATUSES, 0)
    for status, count in by_status:
        if is_open(status):
            statuses[status] = statuses.get(status, 0) + count
    groups = [
        GroupCount(group_id=gid, group_name=(name or NO_GROUP) if gid is not None else NO_GROUP, count=count)
        for gid, name, count in by_group
        if count
    ]
    groups.sort(key=lambda g: (-g.count, g.group_id is None, g.group_name))
    assignees = [AssigneeCount(assignee_id=aid, count=count) for aid, count in by_assignee if count]
    assignees.sort(key=lambda a: (-a.count, a.assignee_id is None, a.assignee_id or 0))
    return OpenCasesReport(total=sum(statuses.values()), by_status=statuses, by_group=groups, by_assignee=assignees)
