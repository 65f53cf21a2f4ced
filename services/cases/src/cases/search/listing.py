"""Keyset pages and capped counts of case lists: what list_cases, the views and saved searches share."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, and_, func, select
from sqlalchemy.orm import Session

from cases.db import case_reads
from cases.db.models import Case
from cases.search import cursor as cursors
from cases.search import fulltext
from cases.search.filters import SORTS, Scope, conditions, visible
from contracts.cases import CaseFilter, CasePage, CaseSort
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


def page(
    session: Session, where: list[ColumnElement[bool]], sort: CaseSort, cursor: str | None, limit: int
) -> CasePage:
    """One keyset page of the cases matching `where`, in `sort` order (two statements: db/case_reads.py)."""
    spec = SORTS[sort]
    query = case_reads.cases_select().where(and_(*where))
    if spec.nullable:
        query = query.where(spec.column.is_not(None))
    after = cursors.decode(cursor, sort.value, (datetime if spec.kind == "datetime" else int, int))
    if after is not None:
        query = query.where(spec.after(after[0], after[1]))
    rows = session.connection().execute(query.order_by(*spec.order_by()).limit(limit + 1)).all()
    items = rows[:limit]
    more = len(rows) > limit
    next_cursor = cursors.encode(sort.value, [spec.value_of(items[-1]), items[-1].id]) if more else None
    return CasePage(items=case_reads.reads(session, items), next=next_cursor)


def capped_count_query(where: list[ColumnElement[bool]], cap: int = COUNT_CAP) -> ScalarSelect[int]:
    """`count(*)` of at most `cap` + 1 matching cases, as a scalar subquery."""
    inner = select(Case.id).where(and_(*where)).limit(cap + 1).subquery()
    return select(func.count()).select_from(inner).scalar_subquery()


def capped_count(session: Session, where: list[ColumnElement[bool]], cap: int = COUNT_CAP) -> Count:
    """How many cases match, reading at most `cap` + 1 index entries."""
    found = int(session.scalar(select(capped_count_query(where, cap))) or 0)
    return Count(count=min(found, cap), capped=found > cap, cap=cap)


def list_cases(session: Session, filters: CaseFilter, scope: Scope) -> CasePage:
    return page(session, filter_conditions(session, filters, scope), filters.sort, filters.cursor, filters.limit)
