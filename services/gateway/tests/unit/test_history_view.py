"""The case history timeline: intake rows in words, inbound mails with why they landed (0110, 0148)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contracts import cases as c
from contracts import mail_gateway as mg
from contracts.case_config import HistoryEntry
from gateway.ui.history_view import field_name, timeline

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _entry(field: str, new: str | None, minutes: int = 0) -> HistoryEntry:
    return HistoryEntry(
        id=minutes + 1,
        case_id=7,
        field=field,
        new_value=new,
        actor_type=c.AuthorType.CONTACT,
        actor_name="Nina",
        channel=c.Channel.EMAIL,
        created_at=T0 + timedelta(minutes=minutes),
    )


def _mail(reason: str | None, minutes: int, thread_case_id: int | None = 7, **extra: object) -> mg.InboundMailRead:
    data: dict[str, object] = {
        "id": minutes + 100,
        "mailbox": "support@example.com",
        "from_email": "nina@customer.example",
        "subject": f"mail {minutes}",
        "raw_sha256": "0" * 64,
        "raw_size": 10,
        "status": "processed",
        "thread_reason": reason,
        "thread_case_id": thread_case_id,
        "case_id": 7,
        "received_at": T0 + timedelta(minutes=minutes),
    }
    return mg.InboundMailRead.model_validate({**data, **extra})


def test_intake_rows_read_as_sentences_with_field_names_in_words():
    rows = timeline(
        [
            _entry("required_fields_missing", "follower_ids, custom_fields.contract", 1),
            _entry("followers_not_added", "ola@c.example, eve@c.example (followers field hidden)", 2),
            _entry("priority", "high", 3),
        ],
        [],
        7,
    )
    changed, skipped, missing = rows  # newest first
    assert (missing.what, missing.new) == ("Required fields still empty", "followers, contract (custom field)")
    assert "fill them in" in missing.note and missing.css == "history-notice"
    assert (skipped.what, skipped.new) == ("Cc not added as followers", "ola@c.example, eve@c.example")
    assert skipped.note == "Why: followers field hidden."
    assert (changed.what, changed.old, changed.new, changed.note) == ("priority", "—", "high", "")


def test_each_mail_says_why_it_landed_on_the_case_and_sorts_into_the_history():
    rows = timeline(
        [_entry("created", None, 0)],
        [
            _mail("new_case", 0, thread_case_id=None),
            _mail("signed_subject_token", 5),
            _mail("signed_message_id", 6, kind="auto_reply"),
            _mail("known_message_id", 7, thread_case_id=3),  # a stranger on case 3's thread
        ],
        7,
    )
    assert [r.what for r in rows] == [
        "Mail received",
        "Mail received (auto reply)",
        "Mail received",
        "created",
        "Mail received",
    ]
    stranger, auto, token, _created, first = rows
    assert first.note == "Why here: nothing tied it to an existing case, so it opened a new one."
    assert token.note == "Why here: this case's signed token in the subject."
    assert "our signed Message-ID" in auto.note
    assert "answers case 3" in stranger.note and "not on that case" in stranger.note
    assert first.who == "nina@customer.example" and first.new == "mail 0" and first.channel == "email via smtp"


def test_field_names():
    assert field_name("custom_fields.contract") == "contract (custom field)"
    assert field_name(" type_id") == "type"
    assert field_name("something_new") == "something new"


def test_how_a_mail_from_someone_not_on_the_case_joined_reads_as_a_sentence():
    entry = _entry("mail_joined", "internal, flagged: the sender is not on this case (mailbox setting internal)")
    [row] = timeline([entry.model_copy(update={"old_value": "eve@elsewhere.example"})], [], 7)
    assert (row.what, row.old, row.new) == (
        "Mail from someone not on this case",
        "eve@elsewhere.example",
        "internal, flagged",
    )
    assert row.note == "Why: the sender is not on this case (mailbox setting internal)."
    assert row.css == "history-notice"
