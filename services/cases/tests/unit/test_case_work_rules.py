"""Pure rules of the work on a case (tasks, time, templates, links, attachments): no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cases.attachments import rules as attachments
from cases.links import rules as links
from cases.tasks import rules as tasks
from cases.templates import rules as recurrence
from cases.templates import rules_signatures as signatures
from cases.time import rules as timer
from contracts.case_work import ApprovalDecision, RecurrenceUnit, TaskKind
from contracts.errors import DomainError

T0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


def _code(call: object) -> str:
    with pytest.raises(DomainError) as info:
        call()  # type: ignore[operator]
    return info.value.code


def test_approval_tasks_need_an_approver_and_are_decided_once_by_them() -> None:
    assert _code(lambda: tasks.check_new_task(kind=TaskKind.APPROVAL, approver_contact_id=None)) == "validation_error"
    assert _code(lambda: tasks.check_new_task(kind=TaskKind.TASK, approver_contact_id=3)) == "validation_error"
    tasks.check_new_task(kind=TaskKind.APPROVAL, approver_contact_id=3)
    tasks.check_decision(kind=TaskKind.APPROVAL, approver_contact_id=3, contact_id=3, decision=None)
    other = lambda: tasks.check_decision(kind=TaskKind.APPROVAL, approver_contact_id=3, contact_id=4, decision=None)  # noqa: E731
    assert _code(other) == "not_found"
    plain = lambda: tasks.check_decision(kind=TaskKind.TASK, approver_contact_id=None, contact_id=3, decision=None)  # noqa: E731
    assert _code(plain) == "not_found"
    twice = lambda: tasks.check_decision(  # noqa: E731
        kind=TaskKind.APPROVAL, approver_contact_id=3, contact_id=3, decision=ApprovalDecision.APPROVED
    )
    assert _code(twice) == "already_decided"
    ticked = lambda: tasks.check_done_change(kind=TaskKind.APPROVAL, done=True, decision=None)  # noqa: E731
    assert _code(ticked) == "invalid_transition"
    tasks.check_done_change(kind=TaskKind.TASK, done=True, decision=None)


def test_timer_rules_and_totals() -> None:
    assert _code(lambda: timer.check_start(running_elsewhere=True)) == "invalid_transition"
    assert _code(lambda: timer.check_stop(has_running=False)) == "invalid_transition"
    assert timer.elapsed_minutes(started_at=T0, ended_at=T0) == 1
    assert timer.elapsed_minutes(started_at=T0, ended_at=T0 + timedelta(seconds=61)) == 2
    entries = [
        timer.Entry(1, 30, True),
        timer.Entry(1, 15, False),
        timer.Entry(2, 10, True),
        timer.Entry(2, 0, True, running=True),
    ]
    assert timer.totals(entries) == (55, 40, {1: (45, 30), 2: (10, 10)})


def test_recurrence_slots() -> None:
    assert recurrence.slot(start_at=T0, every=2, unit=RecurrenceUnit.DAY, index=3) == T0 + timedelta(days=6)
    assert recurrence.slot(start_at=T0, every=1, unit=RecurrenceUnit.WEEK, index=2) == T0 + timedelta(weeks=2)
    # Jan 31 monthly: Feb 28, then Mar 31 (the start's day, clamped per month)
    assert recurrence.slot(start_at=T0, every=1, unit=RecurrenceUnit.MONTH, index=1).date().isoformat() == "2026-02-28"
    assert recurrence.slot(start_at=T0, every=1, unit=RecurrenceUnit.MONTH, index=2).date().isoformat() == "2026-03-31"
    assert recurrence.slot(start_at=T0, every=6, unit=RecurrenceUnit.MONTH, index=2).date().isoformat() == "2027-01-31"
    after = T0 + timedelta(days=10, hours=1)
    assert recurrence.next_after(start_at=T0, every=1, unit=RecurrenceUnit.DAY, after=after) == T0 + timedelta(days=11)
    assert recurrence.next_after(start_at=T0, every=1, unit=RecurrenceUnit.WEEK, after=T0) == T0 + timedelta(weeks=1)
    nxt = recurrence.next_after(start_at=T0, every=1, unit=RecurrenceUnit.MONTH, after=T0 + timedelta(days=40))
    assert nxt.date().isoformat() == "2026-03-31"
    assert recurrence.due(next_at=T0, now=T0) and not recurrence.due(next_at=T0 + timedelta(seconds=1), now=T0)


def test_signature_precedence_most_specific_wins_per_part() -> None:
    levels = [
        signatures.Level(None, None, "Hello,", "-- Help desk"),
        signatures.Level(None, "sales@x.example", "", "-- Sales"),
        signatures.Level(7, None, "Hi, Kari here.", ""),
        signatures.Level(7, "sales@x.example", "", "-- Kari, Sales"),
        signatures.Level(8, None, "Not mine", "Not mine"),
    ]
    assert signatures.resolve(levels, agent_id=7, mailbox="SALES@x.example") == (
        "Hi, Kari here.",
        "-- Kari, Sales",
        "personal",
        "personal_mailbox",
    )
    assert signatures.resolve(levels, agent_id=9, mailbox="sales@x.example") == (
        "Hello,",
        "-- Sales",
        "general",
        "mailbox",
    )
    assert signatures.resolve([], agent_id=1, mailbox=None) == ("", "", None, None)
    assert signatures.scope_key(agent_id=None, mailbox=None) == "*|*"


def test_merge_and_parent_rules() -> None:
    assert (
        _code(lambda: links.check_merge(survivor_id=1, duplicate_id=1, survivor_merged=False, duplicate_merged=False))
        == "validation_error"
    )
    assert (
        _code(lambda: links.check_merge(survivor_id=1, duplicate_id=2, survivor_merged=False, duplicate_merged=True))
        == "invalid_transition"
    )
    assert (
        _code(lambda: links.check_merge(survivor_id=1, duplicate_id=2, survivor_merged=True, duplicate_merged=False))
        == "invalid_transition"
    )
    parents = {2: 1, 3: 2}
    links.check_parent(case_id=4, parent_id=3, parent_of=parents.get)
    assert _code(lambda: links.check_parent(case_id=1, parent_id=3, parent_of=parents.get)) == "invalid_transition"
    assert _code(lambda: links.check_parent(case_id=1, parent_id=1, parent_of=parents.get)) == "validation_error"


def test_attachment_size_names_and_types() -> None:
    attachments.check_size(size=5, limit=5)
    assert _code(lambda: attachments.check_size(size=6, limit=5)) == "payload_too_large"
    assert _code(lambda: attachments.check_size(size=0, limit=5)) == "validation_error"
    assert attachments.clean_filename("C:\\Users\\me\\report.pdf") == "report.pdf"
    assert attachments.clean_filename('../a"b\r\n.txt') == "a_b_.txt"
    assert attachments.clean_filename("...") == "attachment"
    assert attachments.clean_filename("evil\u202etxt.exe") == "eviltxt.exe"  # not shown as "evilexe.txt"
    assert attachments.clean_content_type("Text/HTML; charset=utf-8") == "text/html"
    assert attachments.clean_content_type("nonsense") == "application/octet-stream"


def test_a_task_due_date_without_a_zone_is_taken_as_utc() -> None:
    assert tasks.due_in_utc(None) is None
    assert tasks.due_in_utc(datetime(2031, 5, 4, 9, 30)) == datetime(2031, 5, 4, 9, 30, tzinfo=UTC)
    oslo = datetime.fromisoformat("2031-05-04T11:30+02:00")
    assert tasks.due_in_utc(oslo) == datetime(2031, 5, 4, 9, 30, tzinfo=UTC)
    assert tasks.due_in_utc(oslo).tzinfo is UTC  # type: ignore[union-attr]
