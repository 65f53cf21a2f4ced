"""The excerpt of a note that an `agent_mentioned` event carries (decision 0106)."""

from __future__ import annotations

from cases.case.rules_mentions import AgentName, excerpt

KIM = AgentName(id=7, email="kim@example.com", name="Kim Lee")


def test_a_short_note_is_given_whole_on_one_line() -> None:
    assert excerpt("Hi @kim,\n\n  could you   check the invoice?", KIM) == "Hi @kim, could you check the invoice?"


def test_a_long_note_is_cut_around_the_mention_of_that_agent() -> None:
    note = "background " * 40 + "@someone-else first, then @kim.lee please refund order 1234. " + "later " * 40
    got = excerpt(note, KIM, limit=80)
    assert len(got) == 80
    assert got.startswith("…") and got.endswith("…")
    assert "@kim.lee please refund order 1234" in got


def test_a_mention_at_either_end_keeps_that_end() -> None:
    first = excerpt("@kim.lee " + "word " * 100, KIM, limit=60)
    assert first.startswith("@kim.lee") and first.endswith("…") and len(first) == 60
    last = excerpt("word " * 100 + "over to you @kim@example.com", KIM, limit=60)
    assert last.startswith("…") and last.endswith("over to you @kim@example.com") and len(last) == 60


def test_a_note_that_names_the_agent_otherwise_starts_at_the_beginning() -> None:
    got = excerpt("Kim should look " + "x " * 100, KIM, limit=40)
    assert got.startswith("Kim should look") and len(got) == 40
