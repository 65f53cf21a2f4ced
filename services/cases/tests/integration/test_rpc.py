"""The cases RPC contract against the real worker, PostgreSQL and RabbitMQ."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from nameko.rpc import Rpc

from cases.worker import CasesService
from contracts.cases import CasePage, CaseRead, MessageRead
from contracts.errors import DomainError


def _new_case(cases: Any, admin: dict[str, Any], **data: Any) -> dict[str, Any]:
    data.setdefault("title", f"Printer {uuid.uuid4().hex[:6]}")
    return cases.call("create_case", data=data, actor=admin)


def _error(call: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    return info.value


def test_health(cases: Any) -> None:
    assert cases.call("health") == {"status": "ok"}


def test_create_then_get(cases: Any, admin: dict[str, Any]) -> None:
    created = _new_case(cases, admin, requester_email="Kari@Example.com", requester_name="Kari", priority="high")
    case = CaseRead.model_validate(created)
    assert case.status == "new" and case.priority == "high" and case.version == 1
    assert case.requester is not None and case.requester.email == "kari@example.com"
    assert cases.call("get_case", case_id=case.id) == {**created, "form": None}  # no form opened it

    event = cases.events.wait_for("case_created", case__id=case.id)[0]
    assert event["payload"]["case"]["number"] == case.number
    assert event["payload"]["actor"]["id"] == admin["id"]
    history = cases.rows("SELECT field, new_value, actor_id FROM case_history WHERE case_id = :id", id=case.id)
    assert [(h.field, h.new_value, h.actor_id) for h in history] == [("created", str(case.number), admin["id"])]

    # the same address, differently cased, is the same contact
    again = _new_case(cases, admin, requester_email="kari@example.COM")
    assert again["requester"]["id"] == case.requester.id
    assert again["number"] == case.number + 1
    assert cases.call("get_contact_by_email", email="KARI@example.com")["id"] == case.requester.id


def test_unknown_case_and_bad_input(cases: Any, admin: dict[str, Any]) -> None:
    assert _error(lambda: cases.call("get_case", case_id=987654)).code == "not_found"
    bad = _error(lambda: cases.call("create_case", data={"title": ""}, actor=admin))
    assert bad.code == "validation_error"
    assert bad.details[0]["loc"] == ["data", "title"]
    assert _error(lambda: cases.call("get_case", case_id="x")).code == "validation_error"
    assert _error(lambda: cases.call("get_agent_by_email", email="nobody@example.com")).code == "not_found"
    assert _error(lambda: cases.call("create_case", data={"title": "x", "assignee_id": 9999}, actor=admin)).code == (
        "validation_error"
    )


def test_list_filters_and_keyset_paging(cases: Any, admin: dict[str, Any]) -> None:
    token = uuid.uuid4().hex[:8]
    ids = [
        _new_case(cases, admin, title=f"VPN {token} {i}", requester_email=f"{token}@example.com")["id"]
        for i in range(3)
    ]
    _new_case(cases, admin, title="something else")

    first = CasePage.model_validate(cases.call("list_cases", filters={"q": token.upper(), "limit": 2}))
    assert [c.id for c in first.items] == [ids[2], ids[1]]
    assert first.next is not None
    second = CasePage.model_validate(cases.call("list_cases", filters={"q": token, "limit": 2, "cursor": first.next}))
    assert [c.id for c in second.items] == [ids[0]] and second.next is None

    requester_id = first.items[0].requester.id
    by_requester = cases.call("list_cases", filters={"requester_id": requester_id})
    assert [c["id"] for c in by_requester["items"]] == ids[::-1]
    assert cases.call("list_cases", filters={"q": token, "status": "closed"})["items"] == []
    # LIKE wildcards in q are literal characters
    assert cases.call("list_cases", filters={"q": "%"})["items"] == []
    assert _error(lambda: cases.call("list_cases", filters={"cursor": "garbage!"})).code == "validation_error"


def test_update_versions_history_and_conflicts(cases: Any, admin: dict[str, Any]) -> None:
    case = _new_case(cases, admin)
    updated = cases.call(
        "update_case", case_id=case["id"], changes={"priority": "urgent"}, expected_version=1, actor=admin
    )
    assert updated["priority"] == "urgent" and updated["version"] == 2
    event = cases.events.wait_for("case_updated", case__id=case["id"])[0]
    assert event["payload"]["changes"] == {"priority": {"old": "medium", "new": "urgent"}}

    conflict = _error(
        lambda: cases.call("update_case", case_id=case["id"], changes={"title": "x"}, expected_version=1, actor=admin)
    )
    assert conflict.code == "version_conflict"
    # the current case travels with its JSON types intact, ready for the 409 body
    assert CaseRead.model_validate(conflict.details["current"]).version == 2
    assert conflict.details["current"]["version"] == 2 and conflict.details["current"]["assignee"] is None

    refused = _error(
        lambda: cases.call(
            "update_case", case_id=case["id"], changes={"status": "open"}, expected_version=2, actor=admin
        )
    )
    assert refused.code == "invalid_transition"

    groups = cases.call("list_groups")
    support = next(g for g in groups if g["name"] == "Support")
    opened = cases.call(
        "update_case",
        case_id=case["id"],
        changes={"status": "open", "assignee_id": admin["id"], "group_id": support["id"]},
        expected_version=2,
        actor=admin,
    )
    assert (
        opened["status"] == "open" and opened["assignee"]["id"] == admin["id"] and opened["group"]["name"] == "Support"
    )
    assert opened["version"] == 3

    resolved = cases.call(
        "update_case", case_id=case["id"], changes={"status": "resolved"}, expected_version=None, actor=admin
    )
    assert resolved["resolved_at"] is not None and resolved["version"] == 4

    history = cases.rows(
        "SELECT field, old_value, new_value FROM case_history WHERE case_id = :id ORDER BY id", id=case["id"]
    )
    assert [tuple(h) for h in history][1:] == [
        ("priority", "medium", "urgent"),
        ("status", "new", "open"),
        ("assignee_id", None, str(admin["id"])),
        ("group_id", None, str(support["id"])),
        ("status", "open", "resolved"),
    ]
    # an update that changes nothing is not a new version
    same = cases.call(
        "update_case", case_id=case["id"], changes={"priority": "urgent"}, expected_version=4, actor=admin
    )
    assert same["version"] == 4


def test_messages_status_and_first_response(cases: Any, admin: dict[str, Any]) -> None:
    case = _new_case(cases, admin, requester_email="ola@example.com")
    note = MessageRead.model_validate(
        cases.call(
            "add_message", case_id=case["id"], data={"body": "check the toner", "visibility": "internal"}, actor=admin
        )
    )
    assert note.visibility == "internal" and note.author_type == "agent"
    added = cases.events.wait_for("message_added", message__id=note.id)[0]
    assert added["payload"]["case"]["first_response_at"] is None
    assert added["payload"]["case"]["status"] == "new"

    reply = cases.call("add_message", case_id=case["id"], data={"body": "We are on it"}, actor=admin)
    event = cases.events.wait_for("message_added", message__id=reply["id"])[0]
    after = event["payload"]["case"]
    # replying to an unowned new case takes it, then waits for the customer (B3)
    assert after["first_response_at"] is not None
    assert after["status"] == "waiting" and after["assignee"]["id"] == admin["id"]
    changed = cases.events.wait_for("case_updated", case__id=case["id"])[0]
    assert changed["payload"]["changes"]["status"] == {"old": "new", "new": "waiting"}

    everything = cases.call("list_messages", case_id=case["id"])
    public = cases.call("list_messages", case_id=case["id"], visibility="public")
    assert [m["id"] for m in everything] == [note.id, reply["id"]]
    assert [m["id"] for m in public] == [reply["id"]]


def test_idempotency_key(cases: Any, admin: dict[str, Any]) -> None:
    key = f"key-{uuid.uuid4().hex}"
    data = {"title": "Same request twice", "requester_email": "idem@example.com"}
    first = cases.call("create_case", data=data, actor=admin, idempotency_key=key)
    second = cases.call("create_case", data=data, actor=admin, idempotency_key=key)
    assert second["id"] == first["id"]
    clash = _error(lambda: cases.call("create_case", data={"title": "other"}, actor=admin, idempotency_key=key))
    assert clash.code == "idempotency_conflict"
    assert cases.rows("SELECT count(*) FROM \"case\" WHERE title = 'Same request twice'")[0][0] == 1


def test_directory(cases: Any) -> None:
    agents = cases.call("list_agents")
    support = next(g for g in cases.call("list_groups") if g["name"] == "Support")
    admin = next(a for a in agents if a["email"] == "admin@example.com")
    assert admin["is_admin"] is True and admin["group_ids"] == [support["id"]]


def test_portal_calls_see_only_the_contacts_own_cases(cases: Any, admin: dict[str, Any]) -> None:
    mine = _new_case(cases, admin, requester_email="anna@example.com")
    theirs = _new_case(cases, admin, requester_email="bo@example.com")
    anna = mine["requester"]["id"]
    cases.call("add_message", case_id=mine["id"], data={"body": "internal only", "visibility": "internal"}, actor=admin)
    cases.call("add_message", case_id=mine["id"], data={"body": "public answer"}, actor=admin)

    page = cases.call("list_cases_for_contact", contact_id=anna)
    assert [c["id"] for c in page["items"]] == [mine["id"]]
    view = cases.call("get_case_for_contact", case_id=mine["id"], contact_id=anna)
    assert view["case"]["id"] == mine["id"] and view["case"]["status"] == "waiting"
    assert [m["body_text"] for m in view["messages"]] == ["public answer"]

    assert _error(lambda: cases.call("get_case_for_contact", case_id=theirs["id"], contact_id=anna)).code == "not_found"
    assert (
        _error(lambda: cases.call("add_contact_message", case_id=theirs["id"], contact_id=anna, body="let me in")).code
        == "not_found"
    )
    assert cases.call("list_messages", case_id=theirs["id"]) == []

    answer = cases.call("add_contact_message", case_id=mine["id"], contact_id=anna, body="Thanks, it works now")
    assert answer["author_type"] == "contact" and answer["channel"] == "portal" and answer["visibility"] == "public"
    event = cases.events.wait_for("message_added", message__id=answer["id"])[0]
    assert event["payload"]["case"]["status"] == "open"  # a customer reply reopens a waiting case
    assert _error(lambda: cases.call("list_cases_for_contact", contact_id=anna, limit=0)).code == "validation_error"


def test_every_rpc_name_answers(cases: Any) -> None:
    """The worker composes every capability's entrypoints: each method is found (a call with an unknown
    argument is refused by its signature, not as a missing method)."""
    names = [
        n
        for n in dir(CasesService)
        if any(isinstance(e, Rpc) for e in getattr(getattr(CasesService, n), "nameko_entrypoints", ()))
    ]
    assert len(names) == 103  # the unit test test_rpc_names pins each name and its parameters
    for name in names:
        error = _error(lambda name=name: cases.call(name, no_such_argument=1))
        assert "IncorrectSignature" in error.message, (name, error.message)
