"""Inbox views (C1) and folders (C2) of the calling agent, each a keyset list with a capped count.

Every view is served by one index (migration 0004): the partial indexes over open cases
(`ix_case_assignee_open_upd`, `ix_case_assignee_unanswered`, `ix_case_group_open_upd`,
`ix_case_open_updated`), `ix_case_assignee_status_upd` for Resolved/Closed, and the small
`mention` and open-`case_task` indexes for Mentioned and Tasks. Lists are newest activity first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, bindparam, false, select, text
from sqlalchemy.orm import Session

from cases.case.tables import Case, Mention
from cases.common.case_rows import CaseRows
from cases.common.search_sql import OPEN_SQL
from cases.search import reads_listing as listing
from cases.search.reads_filters import Scope, is_open, visible
from cases.tasks.tables import CaseTask
from contracts.cases import CaseSort, Status
from contracts.errors import AgentRequired, NotFound
from contracts.search import ViewList, ViewRead

VIEW_SORT = CaseSort.UPDATED_DESC


@dataclass(frozen=True)
class View:
    key: str
    name: str
    personal: bool  # needs an agent
    where: Callable[[Scope], list[ColumnElement[bool]]]


def _me(scope: Scope) -> int:
    if scope.agent_id is None:
        raise AgentRequired(message="this view belongs to an agent; use an API key linked to an agent")
    return scope.agent_id


def _mine(scope: Scope) -> list[ColumnElement[bool]]:
    return [Case.assignee_id == _me(scope), is_open()]


def _unanswered(scope: Scope) -> list[ColumnElement[bool]]:
    # the exact predicate of ix_case_assignee_unanswered
    return [Case.assignee_id == _me(scope), text(f"awaiting_reply AND {OPEN_SQL}")]


def _mentioned(scope: Scope) -> list[ColumnElement[bool]]:
    return [Case.id.in_(select(Mention.case_id).where(Mention.agent_id == _me(scope))), is_open()]


def _tasks(scope: Scope) -> list[ColumnElement[bool]]:
    me = _me(scope)
    return [Case.id.in_(select(CaseTask.case_id).where(CaseTask.assignee_id == me, CaseTask.done.is_(False)))]


def _status(status: Status) -> Callable[[Scope], list[ColumnElement[bool]]]:
    def where(scope: Scope) -> list[ColumnElement[bool]]:
        return [Case.assignee_id == _me(scope), Case.status == status.value]

    return where


def _all_mine(scope: Scope) -> list[ColumnElement[bool]]:
    return [Case.assignee_id == _me(scope)]


def _my_groups(scope: Scope) -> list[ColumnElement[bool]]:
    _me(scope)
    if not scope.group_ids:
        return [false()]
    # the ids as literals in the SQL (the statement is kept per scope anyway, listing.page): with no parameter
    # left, PostgreSQL plans the prepared statement once instead of on every execution (decision 0164)
    ids = bindparam("my_groups", value=sorted(scope.group_ids), type_=Integer, expanding=True, literal_execute=True)
    return [Case.group_id.in_(ids), is_open()]


def _all_open(scope: Scope) -> list[ColumnElement[bool]]:
    return [is_open()]


def _all_cases(scope: Scope) -> list[ColumnElement[bool]]:
    return []


VIEWS: dict[str, View] = {
    v.key: v
    for v in (
        View("mine", "My open cases", True, _mine),
        View("unanswered", "Unanswered", True, _unanswered),
        View("mentioned", "Mentioned", True, _mentioned),
        View("tasks", "With an open task", True, _tasks),
        View("resolved", "Resolved", True, _status(Status.RESOLVED)),
        View("closed", "Closed", True, _status(Status.CLOSED)),
        View("all", "All mine", True, _all_mine),
        View("my_groups", "My groups", True, _my_groups),
        View("open", "All open cases", False, _all_open),
        View("all_cases", "All cases", False, _all_cases),
    )
}


def _view(key: str) -> View:
    view = VIEWS.get(key)
    if view is None:
        raise NotFound(message=f"no view {key!r}", details={"view": key, "views": list(VIEWS)})
    return view


def view_where(key: str, scope: Scope) -> list[ColumnElement[bool]]:
    return [visible(scope), *_view(key).where(scope)]


def list_views(session: Session, scope: Scope) -> ViewList:
    """The views the caller has, each with its capped count (one small index-only count each)."""
    shown = [v for v in VIEWS.values() if not (v.personal and scope.agent_id is None)]
    cap = listing.COUNT_CAP
    # every count in one statement: one round trip, each count still bounded by the cap
    counts = session.execute(
        select(*[listing.capped_count_query(view_where(v.key, scope), cap).label(v.key) for v in shown])
    ).one()
    items = [
        ViewRead(key=v.key, name=v.name, count=min(int(n), cap), capped=int(n) > cap)
        for v, n in zip(shown, counts, strict=True)
    ]
    return ViewList(items=items, cap=cap)


def view_cases(session: Session, key: str, scope: Scope, cursor: str | None, limit: int) -> CaseRows:
    # the conditions are built only with the statement: a kept first page needs neither (decision 0164); an
    # unknown view or a personal view without an agent raises then, and is never kept
    return listing.page(session, lambda: view_where(key, scope), VIEW_SORT, cursor, limit, memo=("view", key, scope))
