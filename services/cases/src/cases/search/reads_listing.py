"""Keyset pages and capped counts of case lists: what list_cases, the views and saved searches share."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, ScalarSelect, Select, and_, func, literal_column, select
from sqlalchemy.orm import Session

from cases.case.tables import Case
from cases.common import case_rows as case_reads
from cases.common.case_rows import CaseRows
from cases.search import reads_fulltext as fulltext
from cases.search import rules_cursor as cursors
from cases.search.reads_filters import SORTS, Scope, conditions, visible
from contracts.cases import CaseFilter, CaseSort
from contracts.search import Count

# counts are exact up to this many cases, then "1000+": the count query never reads more index entries
COUNT_CAP = 1000


def filter_conditions(session: Session, filters: CaseFilter, scope: Scope) -> list[ColumnElement[bool]]:
    """Everything a CaseFilter asks for, within what the scope may see."""
    where = [visible(scope), *conditions(session, filters)]
    text_match = fulltext.matching_case_ids(session, filters.q)
    if text_match is not None:
        where.append(text_match)
    return where


# first-page statements of the inbox views, kept per (view, scope, sort, limit): a statement object that is
# executed again skips building and SQLAlchemy's cache-key walk (~7% of a view's CPU in the cases worker, 0160)
_FIRST_PAGES: dict[Hashable, Select[Any]] = {}
FIRST_PAGES_MAX = 1024


def page(
    session: Session,
    where: list[ColumnElement[bool]] | Callable[[], list[ColumnElement[bool]]],
    sort: CaseSort,
    cursor: str | None,
    limit: int,
    *,
    memo: Hashable | None = None,
) -> CaseRows:
    """One keyset page of the cases matching `where`, in `sort` order (one statement on PostgreSQL, two on
    SQLite: cases.common.case_rows); as dicts that the RPC writes as JSON directly (decision 0160). `memo`: a key
    that fixes `where` (the view and the caller's scope); the first page's statement is then built once per
    process. `where` may be a function giving the conditions: it is called only when the statement is built
    (not for a kept one, decision 0164)."""
    spec = SORTS[sort]
    after = cursors.decode(cursor, sort.value, (datetime if spec.kind == "datetime" else int, int))
    # the dialect too: on PostgreSQL the statement carries the collections as arrays (decision 0164)
    key = (memo, sort, limit, session.get_bind().dialect.name) if memo is not None and after is None else None
    query = _FIRST_PAGES.get(key) if key is not None else None
    if query is None:
        query = case_reads.cases_select(session).where(and_(*(where() if callable(where) else where)))
        if spec.nullable:
            query = query.where(spec.column.is_not(None))
        if after is not None:
            query = query.where(spec.after(after[0], after[1]))
        # the limit as a literal: a first page of a view whose conditions are literals too (`my_groups`) then has
        # no parameter, and PostgreSQL plans its prepared statement once, not on every execution (decision 0164)
        query = query.order_by(*spec.order_by()).limit(literal_column(str(int(limit) + 1), Integer))
        if key is not None:
            if len(_FIRST_PAGES) >= FIRST_PAGES_MAX:
                _FIRST_PAGES.clear()
            _FIRST_PAGES[key] = query
    rows = session.connection().execute(query).all()
    items = rows[:limit]
    more = len(rows) > limit
    next_cursor = cursors.encode(sort.value, [spec.value_of(items[-1]), items[-1].id]) if more else None
    return CaseRows(case_reads.case_dicts(session, items), next_cursor)


def capped_count_query(where: list[ColumnElement[bool]], cap: int = COUNT_CAP) -> ScalarSelect[int]:
    """`count(*)` of at most `cap` + 1 matching cases, as a scalar subquery."""
    inner = select(Case.id).where(and_(*where)).limit(cap + 1).subquery()
    return select(func.count()).select_from(inner).scalar_subquery()


def capped_count_statement(where: list[ColumnElement[bool]], cap: int = COUNT_CAP) -> Select[Any]:
    """The statement of `capped_count`: build it once where `where` is fixed (a kept saved search, 0164)."""
    return select(capped_count_query(where, cap))


def capped_count_from(session: Session, statement: Select[Any], cap: int = COUNT_CAP) -> Count:
    """Run a `capped_count_statement` made with the same `cap` (Core, on the session's connection: no ORM
    execution state)."""
    found = int(session.connection().execute(statement).scalar() or 0)
    return Count(count=min(found, cap), capped=found > cap, cap=cap)


def capped_count(session: Session, where: list[ColumnElement[bool]], cap: int = COUNT_CAP) -> Count:
    """How many cases match, reading at most `cap` + 1 index entries."""
    return capped_count_from(session, capped_count_statement(where, cap), cap)


def list_cases(session: Session, filters: CaseFilter, scope: Scope) -> CaseRows:
    return page(session, filter_conditions(session, filters, scope), filters.sort, filters.cursor, filters.limit)
