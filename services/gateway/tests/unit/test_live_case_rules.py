"""What open pages are told about a case change and which streams get it (0248, 0250), and a refused side-panel
edit said as a choice (0249)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.datastructures import FormData

from contracts import cases as c
from contracts.case_config import HistoryEntry
from gateway.domain import live
from gateway.realtime import EVENT_KEY, AgentStreams
from gateway.ui import case_conflict

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CASE = {"id": 7, "version": 4, "title": "Printer jams", "description": "secret words"}


def _case(**extra: object) -> c.CaseRead:
    data: dict[str, object] = {
        "id": 7,
        "number": 1007,
        "title": "Printer jams",
        "status": "open",
        "priority": "high",
        "source": "email",
        "version": 5,
        "created_at": T0,
        "updated_at": T0,
        **extra,
    }
    return c.CaseRead.model_validate(data)


def _entry(field: str, who: str, minutes: int) -> HistoryEntry:
    return HistoryEntry(
        id=minutes + 1,
        case_id=7,
        field=field,
        new_value="x",
        actor_type=c.AuthorType.AGENT,
        actor_name=who,
        channel=c.Channel.WEB,
        created_at=T0 + timedelta(minutes=minutes),
    )


def test_the_cases_an_event_concerns_come_from_where_each_event_names_them() -> None:
    assert live.case_ids("case_updated", {"case": CASE}) == [7]
    assert live.case_ids("task_changed", {"task": {"case_id": 9}}) == [9]
    assert live.case_ids("attachment_added", {"attachment": {"case_id": 9}}) == [9]
    assert live.case_ids("time_logged", {"entry": {"case_id": 9}}) == [9]
    assert live.case_ids("cases_merged", {"survivor": {"id": 1}, "duplicate": {"id": 2}}) == [1, 2]
    assert live.case_ids("case_linked", {"link": {"case_id": 3, "other_case_id": 4}}) == [3, 4]
    # nothing readable, or an event no page shows: nobody is told
    assert live.case_ids("case_updated", {"case": {"id": "7"}}) == []
    assert live.case_ids("case_updated", {}) == []
    assert live.case_ids("cases_imported", {"case": CASE}) == []
    assert set(live.LIST_EVENTS) <= set(live.CASE_EVENTS)


def test_a_page_is_told_what_changed_and_by_whom_never_the_content() -> None:
    payload = {
        "case": CASE,
        "changes": {"priority": {"old": "low", "new": "high"}, "title": {"old": "a", "new": "b"}},
        "actor": {"type": "agent", "id": 3, "name": "Ingrid", "email": "ingrid@example.com"},
    }
    push = live.page_push("case_updated", payload, 7)
    assert push == {
        "case_id": 7,
        "kind": "case_updated",
        "fields": ["priority", "title"],
        "version": 4,
        "by": {"type": "agent", "id": 3, "name": "Ingrid"},
    }
    message = live.page_push("message_added", {"case": CASE, "message": {"body_text": "private"}}, 7)
    assert "private" not in str(message) and "secret" not in str(message) and message["kind"] == "message_added"
    # a merge tells the duplicate's page too, with the survivor's version only on the survivor's page
    merged = {"survivor": {"id": 1, "version": 8}, "duplicate": {"id": 2, "version": 3}}
    assert live.page_push("cases_merged", merged, 1)["version"] == 8
    assert "version" not in live.page_push("cases_merged", merged, 2)


def test_the_choice_names_who_set_the_field_and_both_values() -> None:
    history = [_entry("priority", "Ingrid", 5), _entry("title", "Ola", 9), _entry("priority", "Kari", 1)]
    form = FormData([("priority", "urgent"), ("version", "4")])
    choice = case_conflict.conflict(form, "priority", _case(), history)
    assert choice == case_conflict.Conflict(
        field="priority", label="priority", mine=["urgent"], who="Ingrid", theirs="High"
    )
    names = case_conflict.choices({})
    assert case_conflict.mine_shown(choice, names) == "Urgent"


def test_a_status_is_found_under_its_history_name_and_an_unseen_field_names_the_last_changer() -> None:
    history = [_entry("status_name", "Ingrid", 2), _entry("title", "Ola", 3)]
    form = FormData([("status_id", "12")])
    choice = case_conflict.conflict(form, "status_id", _case(status_name="Parked at vendor"), history)
    assert choice is not None and (choice.who, choice.label, choice.theirs) == ("Ingrid", "status", "Parked at vendor")
    tags = case_conflict.conflict(FormData([("tags", "vip"), ("tags", "printer")]), "tags", _case(tags=["a"]), history)
    assert tags is not None and (tags.who, tags.mine, tags.theirs) == ("Ola", ["vip", "printer"], "a")
    nobody = case_conflict.conflict(FormData([("title", "x")]), "title", _case(), [])
    assert nobody is not None and nobody.who == "Someone"
    # a whole form posted without script, or dormancy: no single field to choose for
    assert case_conflict.conflict(form, None, _case(), history) is None
    assert case_conflict.conflict(form, "dormant", _case(), history) is None


def test_values_are_shown_as_people_read_them() -> None:
    case = _case(custom_fields={"seats": 12}, description="word " * 40)
    assert case_conflict.shown_value(case, "assignee_id") == "nobody"
    assert case_conflict.shown_value(case, "custom_fields.seats") == "12"
    assert case_conflict.shown_value(case, "custom_fields.other") == "empty"
    assert len(case_conflict.shown_value(case, "description")) == case_conflict.TOO_LONG
    choice = case_conflict.Conflict(field="assignee_id", label="assignee", mine=[""], who="Ola", theirs="Ada")
    assert case_conflict.mine_shown(choice, {"assignee_id": {"3": "Ada"}}) == "empty"


def test_a_change_reaches_the_streams_of_its_case_and_the_lists_only() -> None:
    streams = AgentStreams("amqp://unused")
    on_case = streams.subscribe(1, case_id=7)
    other_case = streams.subscribe(2, case_id=8)
    on_list = streams.subscribe(3, case_list=True)
    bell_only = streams.subscribe(4)
    streams.deliver_case_event("case_updated", {"case": CASE, "changes": {"priority": {}}})
    pushed = on_case.get_nowait()
    assert pushed[EVENT_KEY] == "case" and pushed["fields"] == ["priority"]
    assert on_list.get_nowait() == {EVENT_KEY: "cases"}  # a nudge without an id
    assert other_case.empty() and bell_only.empty() and on_case.empty()
    # a task changes a case's page, not the list's rows
    streams.deliver_case_event("task_changed", {"task": {"case_id": 7}})
    assert on_case.get_nowait()["kind"] == "task_changed" and on_list.empty()
    streams.unsubscribe(1, on_case, case_id=7)
    streams.unsubscribe(3, on_list)
    streams.deliver_case_event("case_updated", {"case": CASE, "changes": {}})
    assert on_case.empty() and on_list.empty()
