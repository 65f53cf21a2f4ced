"""Global search (C4): the ranked hits of a query, with the case and a highlighted snippet each."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cases.common import case_rows as case_reads
from cases.search import reads_fulltext as fulltext
from cases.search import rules_cursor as cursors
from cases.search.reads_filters import Scope
from contracts.errors import InvalidFilter
from contracts.search import SearchHit, SearchPage

_KIND = "search"


def search(session: Session, scope: Scope, q: str, cursor: str | None, limit: int) -> SearchPage:
    """One page of hits, best first. The ranked set is bounded (fulltext.CANDIDATES per source), so
    paging goes by position in it."""
    if fulltext.parse(q).empty:
        raise InvalidFilter(message="q needs a word (or three characters)", details={"field": "q"})
    after = cursors.decode(cursor, _KIND, (int,))
    offset = after[0] if after else 0
    hits, more = fulltext.ranked(session, q, scope, offset, limit)
    cases = {c.id: c for c in case_reads.read_cases(session, [h.case_id for h in hits])}  # two statements
    fulltext.name_snippets(session, hits, cases, q)
    items = [
        SearchHit(
            case=cases[h.case_id],
            rank=h.rank,
            snippet=h.snippet,
            matched_in=h.sources,
            message_id=h.message_id,
        )
        for h in hits
        if h.case_id in cases
    ]
    return SearchPage(items=items, next=cursors.encode(_KIND, [offset + limit]) if more else None)
