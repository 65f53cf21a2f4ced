"""Pure parts of search: query parsing, cursors, snippet escaping, scope and sort SQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql, sqlite

from cases.search import reads_fulltext as fulltext
from cases.search import rules_cursor as cursors
from cases.search.reads_filters import SORTS, UNSCOPED, Scope, visible
from contracts.cases import CaseFilter, CaseSort
from contracts.errors import ValidationFailed
from contracts.search import SearchFilters


def test_words_are_any_script_lowercased_and_deduplicated() -> None:
    query = fulltext.parse("  Störung  GRÜN, straße; Øst-Vest störung ")
    assert query.terms == ("störung", "grün", "straße", "øst", "vest")
    assert query.tsquery() == "störung:* & grün:* & straße:* & øst:* & vest:*"
    assert query.fts5() == '"störung"* AND "grün"* AND "straße"* AND "øst"* AND "vest"*'


def test_punctuation_never_reaches_the_query_languages() -> None:
    query = fulltext.parse('a\' | !b & (c) "d" *:')
    assert query.terms == ("a", "b", "c", "d")
    assert all(ch not in query.tsquery() for ch in "'|!()\"")
    assert fulltext.parse("!!").terms == () and fulltext.parse("!!").empty
    assert fulltext.parse("").empty and fulltext.parse(None).empty


def test_needle_needs_three_characters_and_escapes_like_wildcards() -> None:
    assert fulltext.parse("ab").needle is None
    assert fulltext.parse("Ola@Firma.no").like() == "%ola@firma.no%"
    assert fulltext.parse("50%_off\\").like() == "%50\\%\\_off\\\\%"
    assert fulltext.parse("%%%").like() == "%\\%\\%\\%%"


def test_terms_are_capped() -> None:
    assert len(fulltext.parse(" ".join(f"w{i}" for i in range(30))).terms) == fulltext.MAX_TERMS


def test_snippets_are_escaped_and_only_marks_are_html() -> None:
    raw = "<script>x</script> \x02Drucker\x03 & co"
    assert fulltext._mark(raw) == "&lt;script&gt;x&lt;/script&gt; <mark>Drucker</mark> &amp; co"
    assert fulltext._mark_needle("Grete <Müller>", "müller") == "Grete &lt;<mark>Müller</mark>&gt;"
    assert fulltext._mark_needle("nothing here", "zzz") == "nothing here"


def test_cursor_round_trip_and_tampering() -> None:
    at = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    token = cursors.encode("-updated", [at, 42])
    assert cursors.decode(token, "-updated", (datetime, int)) == [at, 42]
    assert cursors.decode(None, "-updated", (datetime, int)) is None
    for bad in ("garbage!", cursors.encode("created", [at, 42]), cursors.encode("-updated", ["x", 42])):
        with pytest.raises(ValidationFailed):
            cursors.decode(bad, "-updated", (datetime, int))
    naive = cursors.encode("-updated", [datetime(2026, 1, 1), 1])
    with pytest.raises(ValidationFailed):
        cursors.decode(naive, "-updated", (datetime, int))
    with pytest.raises(ValidationFailed):  # a bool is not an id
        cursors.decode(cursors.encode("number", [True, 1]), "number", (int, int))


def _sql(clause: object, dialect: object) -> str:
    return str(clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))  # type: ignore[attr-defined]


def test_scope_hides_restricted_groups_but_not_my_own_cases() -> None:
    assert _sql(visible(UNSCOPED), postgresql.dialect()) == "true"
    scope = Scope(agent_id=7, is_admin=False, group_ids=frozenset({1}), hidden_group_ids=frozenset({3, 2}))
    sql = _sql(visible(scope), postgresql.dialect())
    assert "group_id IS NULL" in sql and "NOT IN (2, 3)" in sql and "assignee_id = 7" in sql
    assert fulltext.scope_sql(scope, "c") == "(c.group_id IS NULL OR c.group_id NOT IN (2, 3) OR c.assignee_id = 7)"
    client = Scope(agent_id=None, is_admin=False, group_ids=frozenset(), hidden_group_ids=frozenset({3}))
    assert "assignee_id" not in fulltext.scope_sql(client, "c")


@pytest.mark.parametrize("sort", list(CaseSort))
def test_every_sort_pages_with_a_row_comparison(sort: CaseSort) -> None:
    spec = SORTS[sort]
    value = 3 if spec.kind == "int" else datetime(2026, 1, 1, tzinfo=UTC)
    for dialect in (postgresql.dialect(), sqlite.dialect()):
        sql = _sql(spec.after(value, 10), dialect)
        assert ("<" if sort.value.startswith("-") else ">") in sql and "(" in sql and ', "case".id)' in sql
    order = [str(o) for o in spec.order_by()]
    assert order[-1].startswith('"case".id') and order[-1].endswith("DESC" if spec.descending else "ASC")


def test_saved_filters_refuse_unknown_fields_and_paging_is_separate() -> None:
    with pytest.raises(ValidationError):
        SearchFilters.model_validate({"colour": "red"})
    saved = SearchFilters(tags=["vip"], sort=CaseSort.PRIORITY_DESC)
    page = saved.page("abc", 10)
    assert isinstance(page, CaseFilter) and (page.cursor, page.limit, page.tags) == ("abc", 10, ["vip"])
    with pytest.raises(ValidationError):
        CaseFilter(sort="sideways")
