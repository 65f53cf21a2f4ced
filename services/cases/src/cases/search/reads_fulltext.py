"""Full-text search (C4): PostgreSQL tsvector/GIN + trigram, SQLite FTS5; ranked hits with snippets.

Query syntax (docs/search.md): words are matched as prefixes ("skriv" finds "skrivaren"), all words
must occur in the same field set (title+description, or one message); the whole query of three or
more characters is also matched inside words of the title, the contact's name and addresses, the
organisation's name and attachment names (trigram on PostgreSQL, LIKE on SQLite).

Ranking stays affordable at a million cases (decisions 0074, 0138-0141): each source contributes at
most `CANDIDATES` matching rows (taken in the order the index or the table yields them), only those are
ranked, in one statement planned for the query's own words; the title infix source runs only while the
case-text source is not full; snippets are made only for the page shown, in one statement.

The SQL is assembled from fixed fragments; the only values put into its text are integers read from
our own database (group ids of the scope, case ids of a page); user input is always a bound parameter.
"""

# ruff: noqa: S608

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Integer, bindparam, column, false, text
from sqlalchemy.orm import Session

from cases.search.reads_filters import Scope

CANDIDATES = 100  # per source; the ranked set is at most 6x this (decision 0138: was 300)
# ranks: ts_rank (PostgreSQL) and bm25 scaled to 0..1 (SQLite); text in title/description counts twice a
# message; a match inside the title 1.0, contact 0.3, organisation or attachment name 0.2
MAX_TERMS = 8
SEARCH_WORK_MEM = "256kB"  # work_mem of a ranked search (see `ranked`)
_START, _STOP = "\x02", "\x03"
_HEADLINE = f"StartSel={_START}, StopSel={_STOP}, MaxFragments=2, MaxWords=25, MinWords=8"
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Query:
    """A parsed query: the words (prefix-matched) and the raw needle (matched inside short fields)."""

    terms: tuple[str, ...]
    needle: str | None  # None when shorter than 3 characters: a trigram index cannot serve it

    @property
    def empty(self) -> bool:
        return not self.terms and self.needle is None

    def tsquery(self) -> str:
        return " & ".join(f"{t}:*" for t in self.terms)

    def fts5(self) -> str:
        return " AND ".join(f'"{t}"*' for t in self.terms)

    def like(self) -> str | None:
        if self.needle is None:
            return None
        escaped = self.needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"%{escaped}%"


def parse(q: str | None) -> Query:
    """Words are sequences of letters and digits (any script); everything else separates them."""
    raw = (q or "").strip()
    terms = tuple(dict.fromkeys(t.lower() for t in _WORD.findall(raw)))[:MAX_TERMS]
    needle = raw.lower() if len(raw) >= 3 else None
    return Query(terms=terms, needle=needle)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def scope_sql(scope: Scope, alias: str) -> str:
    """The visibility condition as SQL on case alias `alias` (ids are integers from our database)."""
    if scope.members_only:  # a light agent: their groups' cases only
        mine = ", ".join(str(int(g)) for g in sorted(scope.group_ids))
        return f"({alias}.group_id IN ({mine}))" if mine else "FALSE"
    if scope.unrestricted:
        return "TRUE"
    hidden = ", ".join(str(int(g)) for g in sorted(scope.hidden_group_ids))
    clause = f"({alias}.group_id IS NULL OR {alias}.group_id NOT IN ({hidden})"
    if scope.agent_id is not None:
        clause += f" OR {alias}.assignee_id = {int(scope.agent_id)}"
    return clause + ")"


def _sources(dialect: str, query: Query, scope: Scope) -> tuple[str, dict[str, Any]]:
    """The ranked candidates as one statement: rows (case_id, sources, rank), best first, one page.

    `pre`: the word sources (case text, messages) and the name sources (contact, organisation,
    attachment), each limited to CANDIDATES rows. The title infix source only runs while the case-text
    source is not full (decision 0138): a word that fills it is common, the infix matches would add
    nothing but cost (a title scan); the title bonus then goes to the case-text candidates whose title
    holds the needle (their row is read anyway)."""
    params: dict[str, Any] = {"cap": CANDIDATES}
    parts: list[str] = []
    vis = scope_sql(scope, "c")
    # a message or attachment needs its case only to check visibility (the foreign key guarantees it)
    of_case = "" if scope.unrestricted else ' JOIN "case" c ON c.id = {}.case_id'
    like = query.like()
    op = "ILIKE" if dialect == "postgresql" else "LIKE"
    esc = "ESCAPE '\\'"
    if like is not None:
        params["like"] = like
    in_title = f"c.title {op} :like {esc}" if like is not None else "FALSE"
    if query.terms:
        if dialect == "postgresql":
            params["tsq"] = query.tsquery()
            parts.append(
                "SELECT c.id AS case_id, 'case' AS src,"
                f" ts_rank(c.search_vector, to_tsquery('simple', :tsq)) * 2 AS rank, {in_title} AS in_title"
                f" FROM \"case\" c WHERE c.search_vector @@ to_tsquery('simple', :tsq) AND {vis} LIMIT :cap"
            )
            parts.append(
                "SELECT m.case_id, 'message', ts_rank(m.search_vector, to_tsquery('simple', :tsq)), FALSE"
                f" FROM message m{of_case.format('m')}"
                f" WHERE m.search_vector @@ to_tsquery('simple', :tsq) AND {vis} LIMIT :cap"
            )
        else:
            params["match"] = query.fts5()
            parts.append(
                "SELECT c.id AS case_id, 'case' AS src, -bm25(case_fts) / (1 - bm25(case_fts)) * 2 AS rank,"
                f' {in_title} AS in_title FROM case_fts JOIN "case" c ON c.id = case_fts.rowid'
                f" WHERE case_fts MATCH :match AND {vis} LIMIT :cap"
            )
            parts.append(
                "SELECT m.case_id, 'message', -bm25(message_fts) / (1 - bm25(message_fts)), FALSE FROM message_fts"
                f" JOIN message m ON m.id = message_fts.rowid{of_case.format('m')}"
                f" WHERE message_fts MATCH :match AND {vis} LIMIT :cap"
            )
    if like is not None:
        parts += [
            "SELECT c.id, 'contact', 0.3, FALSE FROM \"case\" c WHERE c.requester_id IN ("
            f"SELECT * FROM (SELECT ce.contact_id FROM contact_email ce WHERE ce.email {op} :like {esc} LIMIT :cap) e"
            f" UNION SELECT * FROM (SELECT ct.id FROM contact ct WHERE ct.name {op} :like {esc} LIMIT :cap) n)"
            f" AND {vis} LIMIT :cap",
            "SELECT c.id, 'organisation', 0.2, FALSE FROM \"case\" c WHERE c.organisation_id IN ("
            f"SELECT o.id FROM organisation o WHERE o.name {op} :like {esc}) AND {vis} LIMIT :cap",
            f"SELECT a.case_id, 'attachment', 0.2, FALSE FROM case_attachment a{of_case.format('a')}"
            f" WHERE a.filename {op} :like {esc} AND {vis} LIMIT :cap",
        ]
    # each part in its own sub-select, so its LIMIT applies to it alone (SQLite's compound rules)
    pre = " UNION ALL ".join(f"SELECT * FROM ({p}) AS s{i}" for i, p in enumerate(parts))
    cand = ["SELECT case_id, src, rank FROM pre"]
    if like is not None:
        full = "(SELECT count(*) FROM pre WHERE src = 'case') >= :cap"  # one-time: evaluated once
        cand += [
            f"SELECT case_id, 'title', 1.0 FROM pre WHERE in_title AND {full}",
            f"SELECT * FROM (SELECT c.id, 'title', 1.0 FROM \"case\" c WHERE NOT {full}"
            f" AND c.title {op} :like {esc} AND {vis} LIMIT :cap) AS t",
        ]
    agg = "string_agg(DISTINCT src, ',')" if dialect == "postgresql" else "group_concat(DISTINCT src)"
    sql = (
        f"WITH pre (case_id, src, rank, in_title) AS ({pre}) SELECT case_id, {agg} AS srcs, sum(rank) AS rank"
        f" FROM ({' UNION ALL '.join(cand)}) AS cand"
        " GROUP BY case_id ORDER BY rank DESC, case_id DESC LIMIT :lim OFFSET :off"
    )
    return sql, params


def matching_case_ids(session: Session, q: str | None) -> ColumnElement[bool] | None:
    """A condition `case.id IN (...)` for list filters (unranked, every match, no candidate cap)."""
    from cases.case.tables import Case

    if not q or not q.strip():
        return None
    query = parse(q)
    if query.empty:  # only punctuation, or too short to be a word: nothing can match
        return false()
    dialect = _dialect(session)
    params: dict[str, Any] = {}
    parts: list[str] = []
    if query.terms:
        if dialect == "postgresql":
            params["tsq"] = query.tsquery()
            parts.append("SELECT id FROM \"case\" WHERE search_vector @@ to_tsquery('simple', :tsq)")
            parts.append("SELECT case_id FROM message WHERE search_vector @@ to_tsquery('simple', :tsq)")
        else:
            params["match"] = query.fts5()
            parts.append("SELECT rowid FROM case_fts WHERE case_fts MATCH :match")
            parts.append(
                "SELECT m.case_id FROM message_fts JOIN message m ON m.id = message_fts.rowid"
                " WHERE message_fts MATCH :match"
            )
    like = query.like()
    if like is not None:
        params["like"] = like
        op = "ILIKE" if dialect == "postgresql" else "LIKE"
        parts.append(f"SELECT id FROM \"case\" WHERE title {op} :like ESCAPE '\\'")
    sub = text(" UNION ".join(parts)).bindparams(**params).columns(column("id", Integer))
    return Case.id.in_(sub)


@dataclass
class Hit:
    case_id: int
    rank: float
    sources: list[str] = field(default_factory=list)
    snippet: str = ""
    message_id: int | None = None


def ranked(session: Session, q: str | None, scope: Scope, offset: int, limit: int) -> tuple[list[Hit], bool]:
    """The hits of one page (best first) and whether there are more."""
    query = parse(q)
    if query.empty:
        return [], False
    dialect = _dialect(session)
    if dialect == "postgresql":
        # for this transaction only, in one round trip (decision 0139):
        # - each search is planned for its own words: psycopg prepares a statement run five times, after
        #   which PostgreSQL would reuse one generic plan, a GIN bitmap scan for every word (a common
        #   word is cheaper by a sequential scan that stops at the candidate cap);
        # - a small work_mem makes the GIN bitmap of a common prefix lossy early, a third of the CPU of an
        #   exact one (the rows of its pages are rechecked, and the candidate cap stops that early);
        # - a sequential scan starts at the table's first block instead of joining another scan, so the
        #   candidates of a query, and its pages, are the same from one request to the next
        session.execute(
            text(
                "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), set_config('work_mem', :mem, true),"
                " set_config('synchronize_seqscans', 'off', true)"
            ),
            {"mem": SEARCH_WORK_MEM},
        )
    sql, params = _sources(dialect, query, scope)
    rows = session.execute(text(sql), {**params, "lim": limit + 1, "off": offset}).all()
    hits = [Hit(case_id=int(r[0]), rank=round(float(r[2]), 6), sources=sorted(str(r[1]).split(","))) for r in rows]
    more = len(hits) > limit
    hits = hits[:limit]
    _snippets(session, dialect, query, hits)
    return hits, more


def _mark(fragment: str) -> str:
    """Escape the text, then turn the database's markers into <mark> tags."""
    return html.escape(fragment).replace(_START, "<mark>").replace(_STOP, "</mark>")


def _mark_needle(value: str, needle: str | None) -> str:
    if not needle:
        return html.escape(value)
    at = value.lower().find(needle)
    if at < 0:
        return html.escape(value)
    end = at + len(needle)
    return html.escape(value[:at]) + "<mark>" + html.escape(value[at:end]) + "</mark>" + html.escape(value[end:])


def _snippets(session: Session, dialect: str, query: Query, hits: list[Hit]) -> None:
    if not hits:
        return
    by_id = {h.case_id: h for h in hits}
    ids = list(by_id)
    in_ids = ", ".join(str(i) for i in ids)  # integers we just read
    case_rows: list[Any] = []
    message_rows: list[Any] = []
    if query.terms:
        if dialect == "postgresql":
            # one statement: the case text's snippet, and the best matching message of each case with
            # its snippet only where the case text has none (ts_headline is the costly part)
            q = "to_tsquery('simple', :tsq)"
            rows = session.execute(
                text(
                    f"WITH cs AS (SELECT id, ts_headline('simple', title || ' — ' || description, {q}, :opts) AS snip"
                    f' FROM "case" WHERE id = ANY(CAST(:ids AS integer[])) AND search_vector @@ {q}),'
                    " best AS (SELECT DISTINCT ON (case_id) case_id, id, body_text FROM message"
                    f" WHERE case_id = ANY(CAST(:ids AS integer[])) AND search_vector @@ {q}"
                    f" ORDER BY case_id, ts_rank(search_vector, {q}) DESC, id DESC)"
                    " SELECT id, NULL, snip FROM cs UNION ALL SELECT b.case_id, b.id,"
                    " CASE WHEN b.case_id IN (SELECT id FROM cs) THEN NULL"
                    f" ELSE ts_headline('simple', b.body_text, {q}, :opts) END FROM best b"
                ),
                {"tsq": query.tsquery(), "opts": _HEADLINE, "ids": ids},
            ).all()
            case_rows = [(r[0], r[2]) for r in rows if r[1] is None]
            message_rows = [r for r in rows if r[1] is not None]
        else:
            case_rows = list(
                session.execute(
                    text(
                        "SELECT rowid, snippet(case_fts, -1, :start, :stop, '…', 16) FROM case_fts"
                        f" WHERE case_fts MATCH :match AND rowid IN ({in_ids})"
                    ),
                    {"match": query.fts5(), "start": _START, "stop": _STOP},
                )
            )
            seen: set[int] = set()
            for row in session.execute(
                text(
                    "SELECT m.case_id, m.id, snippet(message_fts, 0, :start, :stop, '…', 16) FROM message_fts"
                    " JOIN message m ON m.id = message_fts.rowid"
                    f" WHERE message_fts MATCH :match AND m.case_id IN ({in_ids}) ORDER BY bm25(message_fts), m.id DESC"
                ),
                {"match": query.fts5(), "start": _START, "stop": _STOP},
            ):
                if row[0] not in seen:
                    seen.add(row[0])
                    message_rows.append(row)
    for case_id, snippet in case_rows:
        by_id[int(case_id)].snippet = _mark(snippet)
    for case_id, message_id, snippet in message_rows:
        hit = by_id[int(case_id)]
        hit.message_id = int(message_id)
        if not hit.snippet and snippet is not None:
            hit.snippet = _mark(snippet)


def name_snippets(session: Session, hits: list[Hit], cases: dict[int, Any], q: str | None) -> None:
    """Snippets of hits found by title, contact, organisation or attachment name (`cases`: the page's
    `CaseRead`s; one query for the attachment names and one for the requesters' addresses of the page)."""
    query = parse(q)
    needle = query.needle
    missing = [h for h in hits if not h.snippet and h.case_id in cases]
    files: dict[int, list[str]] = {}
    wanted = [h.case_id for h in missing if "attachment" in h.sources]
    if wanted and needle:
        rows = session.execute(
            text(
                "SELECT case_id, filename FROM case_attachment"
                " WHERE case_id IN :ids AND lower(filename) LIKE :like ESCAPE '\\'"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": wanted, "like": query.like()},
        )
        for case_id, filename in rows:
            files.setdefault(int(case_id), []).append(str(filename))
    # every address of the requesters (a CaseRead shows only the first), one query for the page
    requesters = sorted({cases[h.case_id].requester.id for h in missing if cases[h.case_id].requester is not None})
    addresses: dict[int, list[str]] = {}
    if requesters and needle:
        rows = session.execute(
            text("SELECT contact_id, email FROM contact_email WHERE contact_id IN :ids ORDER BY id").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": requesters},
        )
        for contact_id, email in rows:
            addresses.setdefault(int(contact_id), []).append(str(email))
    for hit in missing:
        case = cases[hit.case_id]  # a contracts.cases.CaseRead
        values: list[str] = [case.title]
        if case.requester is not None:
            values += [case.requester.name, *addresses.get(case.requester.id, [])]
        if case.organisation is not None:
            values.append(case.organisation.name)
        values += files.get(hit.case_id, [])
        hit.snippet = next(
            (_mark_needle(v, needle) for v in values if needle and needle in v.lower()), html.escape(case.title)
        )
