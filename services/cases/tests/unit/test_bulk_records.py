"""The import format: reading CSV / JSON Lines and validating a record, without a database."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from cases.bulk.rules import RowInvalid, guess_format, parse_case, read_records
from cases.bulk.writes import derived_case_values, message_row
from contracts.cases import Priority, Status

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _parse(**raw: object) -> object:
    return parse_case({"external_id": "ZD-1", "title": "Printer", **raw}, 7, now=NOW)


def _reason(**raw: object) -> str:
    with pytest.raises(RowInvalid) as info:
        _parse(**raw)
    return info.value.reason


def test_a_full_record_keeps_its_times_and_maps_foreign_words() -> None:
    case = parse_case(
        {
            "external_id": " ZD-1 ",
            "number": "#42",
            "title": "Skrivaren på kontoret",
            "status": "Solved",
            "priority": "normal",
            "requester_email": "Åsa Öberg <ASA@Example.se>",
            "tags": "Billing; VIP,billing",
            "created_at": "2025-01-02 08:00:00",
            "custom_fields": {"seats": 3},
            "messages": [
                {"author_type": "agent", "body": "Svar", "created_at": "2025-01-02T10:00:00Z"},
                {"author_type": "customer", "body": "Hjälp", "created_at": "2025-01-02T09:00:00+01:00"},
                {"author_type": "agent", "body": "Note", "public": False, "created_at": "2025-01-03T00:00:00Z"},
            ],
        },
        3,
        now=NOW,
    )
    assert case.external_id == "ZD-1" and case.number == 42 and case.line == 3
    assert case.status == Status.RESOLVED and case.priority == Priority.MEDIUM
    assert case.requester_email == "asa@example.se"
    assert case.tags == ["billing", "vip"] and case.custom_fields == {"seats": "3"}
    assert case.created_at == datetime(2025, 1, 2, 8, 0, tzinfo=UTC)
    # oldest first; 09:00+01:00 is 08:00 UTC
    assert [m.body_text for m in case.messages] == ["Hjälp", "Svar", "Note"]
    assert case.messages[2].visibility == "internal"
    # a solved case without its stamp is resolved at its last activity, and updated then too
    assert case.updated_at == case.resolved_at == datetime(2025, 1, 3, tzinfo=UTC)
    assert case.closed_at is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"external_id": ""}, "external_id is missing"),
        ({"title": " "}, "title is missing"),
        ({"title": "x" * 501}, "title is longer than 500 characters"),
        ({"priority": "whenever"}, "unknown priority 'whenever'"),
        ({"source": "fax"}, "unknown source 'fax'"),
        ({"created_at": "yesterday"}, "created_at: 'yesterday' is not an ISO 8601 time"),
        ({"created_at": "2030-01-01"}, "created_at is in the future"),
        ({"requester_email": "not-an-address"}, "requester_email 'not-an-address' is not an email address"),
        ({"number": "abc"}, "number 'abc' is not a whole number"),
        ({"messages": "hello"}, "messages must be an array"),
        ({"messages": [{"body": ""}]}, "message 1: body is empty"),
        ({"messages": [{"body": "x", "author_type": "robot"}]}, "message 1: unknown author_type 'robot'"),
        ({"custom_fields": ["a"]}, "custom_fields must be an object"),
    ],
)
def test_bad_records_say_why(raw: dict[str, object], reason: str) -> None:
    assert _reason(**raw).startswith(reason)


def test_an_unknown_status_word_is_kept_as_an_admin_status_name() -> None:
    case = _parse(status="Waiting for parts")
    assert case.status_name == "Waiting for parts"  # type: ignore[attr-defined]


def test_csv_rows_report_the_line_they_start_on() -> None:
    messages = json.dumps([{"author_type": "contact", "body": "line one\nline two"}])
    text = io.StringIO()
    text.write("external_id,title,description,custom.seats,messages\n")
    text.write('A-1,First,"two\nlines",3,"' + messages.replace('"', '""') + '"\n')
    text.write("A-2,Second,,,not json\n")
    text.write("A-3,Third,,,,extra\n")
    records = list(read_records(io.StringIO(text.getvalue()), "csv"))
    assert [line for line, _ in records] == [2, 4, 5]
    first = records[0][1]
    assert isinstance(first, dict)
    assert first["custom_fields"] == {"seats": "3"} and first["description"] == "two\nlines"
    assert parse_case(first, 2, now=NOW).messages[0].body_text == "line one\nline two"
    second = records[1][1]
    assert isinstance(second, dict)
    with pytest.raises(RowInvalid, match="messages is not a JSON array"):
        parse_case(second, 4, now=NOW)
    assert isinstance(records[2][1], RowInvalid)


def test_jsonl_lines_that_are_not_objects_are_reported() -> None:
    stream = io.StringIO('{"external_id": "1", "title": "a"}\n\nnot json\n[1, 2]\n')
    records = list(read_records(stream, "jsonl"))
    assert [line for line, _ in records] == [1, 3, 4]
    assert isinstance(records[1][1], RowInvalid) and isinstance(records[2][1], RowInvalid)


def test_format_from_the_file_name() -> None:
    assert guess_format("export.JSONL") == "jsonl" and guess_format("x.csv") == "csv"
    with pytest.raises(ValueError, match="--format"):
        guess_format("export.xlsx")


def test_derived_columns_follow_the_conversation() -> None:
    t = [datetime(2026, 1, d, tzinfo=UTC) for d in range(1, 5)]
    rows = [
        message_row(author_type="contact", body_text="a", created_at=t[0], visibility="public", channel="email"),
        message_row(author_type="agent", body_text="b", created_at=t[1], visibility="public", channel="email"),
        message_row(author_type="contact", body_text="c", created_at=t[2], visibility="public", channel="email"),
        message_row(author_type="agent", body_text="d", created_at=t[3], visibility="internal", channel="web"),
    ]
    case: dict[str, object] = {}
    derived_case_values(case, rows)
    assert case["first_response_at"] == t[1]
    assert case["last_customer_message_at"] == t[2]  # unanswered: the note is no reply
    assert case["last_agent_reply_at"] == t[1]
    assert rows[3]["kind"] == "note" and rows[0]["kind"] == "reply"
