"""The work on a case (tasks, attachments, time, templates, links) over RPC against the real worker, PostgreSQL and
RabbitMQ: every change has its event and history."""

from __future__ import annotations

import base64
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text

from chassis.testing import SyncRpc
from contracts.case_work import AttachmentContent, CaseLinks, MessageForwarded, TaskRead, TimeTotals
from contracts.errors import DomainError


def _new_case(cases: Any, admin: dict[str, Any], **data: Any) -> dict[str, Any]:
    data.setdefault("title", f"Work {uuid.uuid4().hex[:6]}")
    return cases.call("create_case", data=data, actor=admin)


def _error(call: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    return info.value


def _history(cases: Any, case_id: int) -> list[tuple[str, str | None, str | None]]:
    rows = cases.rows(
        "SELECT field, old_value, new_value FROM case_history WHERE case_id = :id ORDER BY id", id=case_id
    )
    return [tuple(r) for r in rows]


def _count(cases: Any, sql: str, **params: Any) -> int:
    return int(cases.rows(sql, **params)[0][0])


def test_forward_is_a_side_conversation(cases: Any, admin: dict[str, Any]) -> None:
    case = _new_case(cases, admin, requester_email="nina@customer.example")
    data = {"recipients": ["Vendor@Partner.example"], "cc": ["boss@partner.example"], "body": "Can you fix this?"}
    message = cases.call("forward_case", case_id=case["id"], data=data, actor=admin)
    assert message["kind"] == "forward" and message["visibility"] == "internal"
    assert message["recipients"] == ["vendor@partner.example", "boss@partner.example"]

    event = cases.events.wait_for("message_forwarded", case__id=case["id"])[0]
    payload = MessageForwarded.model_validate(event["payload"])
    assert payload.recipients == ["vendor@partner.example"] and payload.cc == ["boss@partner.example"]
    assert payload.message.body_text == "Can you fix this?" and payload.subject.startswith("Fwd: ")
    assert payload.case.version == 2
    assert ("forwarded", None, "vendor@partner.example, boss@partner.example") in _history(cases, case["id"])
    assert [m["kind"] for m in cases.call("list_messages", case_id=case["id"])] == ["forward"]

    before = _count(cases, "SELECT count(*) FROM message WHERE case_id = :id", id=case["id"])
    bad = _error(
        lambda: cases.call("forward_case", case_id=case["id"], data={"recipients": [], "body": "x"}, actor=admin)
    )
    assert bad.code == "validation_error"
    unknown = {"recipients": ["a@b.example"], "body": "x", "attachment_ids": [987654]}
    assert _error(lambda: cases.call("forward_case", case_id=case["id"], data=unknown, actor=admin)).code == (
        "validation_error"
    )
    assert _count(cases, "SELECT count(*) FROM message WHERE case_id = :id", id=case["id"]) == before


def test_tasks_and_approvals(cases: Any, admin: dict[str, Any]) -> None:
    case = _new_case(cases, admin, requester_email="approver@customer.example")
    contact_id = case["requester"]["id"]
    task = TaskRead.model_validate(
        cases.call(
            "add_task",
            case_id=case["id"],
            data={"title": "Order a new toner", "assignee_id": admin["id"], "due_at": "2026-12-01T09:00:00Z"},
            actor=admin,
        )
    )
    assert task.kind == "task" and not task.done and task.assignee_id == admin["id"]
    cases.events.wait_for("task_changed", task__id=task.id, change="created")

    done = cases.call("update_task", case_id=case["id"], task_id=task.id, changes={"done": True}, actor=admin)
    assert done["done"] and done["done_at"] is not None
    event = cases.events.wait_for("task_changed", task__id=task.id, change="updated")[0]
    assert event["payload"]["changes"]["done"] == {"old": False, "new": True}

    approval = cases.call(
        "add_task",
        case_id=case["id"],
        data={"title": "Approve the purchase", "kind": "approval", "approver_contact_id": contact_id},
        actor=admin,
    )
    # only the approver contact sees (and decides) it
    other = _error(
        lambda: cases.call("decide_approval", task_id=approval["id"], contact_id=999999, decision="approved")
    )
    assert other.code == "not_found"
    assert (
        _error(
            lambda: cases.call(
                "update_task", case_id=case["id"], task_id=approval["id"], changes={"done": True}, actor=admin
            )
        ).code
        == "invalid_transition"
    )
    decided = cases.call("decide_approval", task_id=approval["id"], contact_id=contact_id, decision="rejected")
    assert decided["decision"] == "rejected" and decided["decided_by_contact_id"] == contact_id and decided["done"]
    assert decided["decided_at"] is not None
    event = cases.events.wait_for("task_changed", task__id=approval["id"], change="decided")[0]
    assert event["payload"]["actor"]["type"] == "contact"
    again = _error(
        lambda: cases.call("decide_approval", task_id=approval["id"], contact_id=contact_id, decision="approved")
    )
    assert again.code == "already_decided"
    assert [t["id"] for t in cases.call("list_approvals_for_contact", contact_id=contact_id)] == [approval["id"]]

    history = _history(cases, case["id"])
    assert ("task_added", None, f"#{task.id} Order a new toner") in history
    assert ("task.done", "False", f"#{task.id}: True") in history
    assert ("approval", None, f"#{approval['id']} rejected") in history

    # bad input changes nothing
    n = _count(cases, "SELECT count(*) FROM case_task WHERE case_id = :id", id=case["id"])
    no_approver = {"title": "x", "kind": "approval"}
    assert _error(lambda: cases.call("add_task", case_id=case["id"], data=no_approver, actor=admin)).code == (
        "validation_error"
    )
    no_agent = {"title": "x", "assignee_id": 424242}
    assert _error(lambda: cases.call("add_task", case_id=case["id"], data=no_agent, actor=admin)).code == (
        "validation_error"
    )
    assert _count(cases, "SELECT count(*) FROM case_task WHERE case_id = :id", id=case["id"]) == n
    assert len(cases.call("list_tasks", case_id=case["id"])) == 2


def test_attachments_round_trip_and_limit(cases: Any, admin: dict[str, Any]) -> None:
    case = _new_case(cases, admin)
    content = "Résumé 🙂\n".encode()
    added = cases.call(
        "add_attachment",
        case_id=case["id"],
        filename="../../etc/Résumé\x00.txt",
        content_type="text/plain; charset=utf-8",
        content_base64=base64.b64encode(content).decode(),
        actor=admin,
    )
    assert added["filename"] == "Résumé_.txt" and added["content_type"] == "text/plain"
    assert added["size"] == len(content)
    cases.events.wait_for("attachment_added", attachment__id=added["id"])
    got = AttachmentContent.model_validate(cases.call("get_attachment", case_id=case["id"], attachment_id=added["id"]))
    assert base64.b64decode(got.content_base64) == content
    assert ("attachment_added", None, "Résumé_.txt") in _history(cases, case["id"])

    limit = cases.call("attachment_limit")["max_attachment_bytes"]
    assert limit == 5 * 1024 * 1024
    big = base64.b64encode(b"x" * (limit + 1)).decode()
    too_big = _error(
        lambda: cases.call("add_attachment", case_id=case["id"], filename="big.bin", content_base64=big, actor=admin)
    )
    assert too_big.code == "payload_too_large" and too_big.details["limit"] == limit
    garbage = _error(
        lambda: cases.call("add_attachment", case_id=case["id"], filename="a", content_base64="!!", actor=admin)
    )
    assert garbage.code == "validation_error"
    other = _new_case(cases, admin)
    assert _error(lambda: cases.call("get_attachment", case_id=other["id"], attachment_id=added["id"])).code == (
        "not_found"
    )
    assert len(cases.call("list_attachments", case_id=case["id"])) == 1


def test_time_entries_timers_and_totals(cases: Any, admin: dict[str, Any]) -> None:
    case = _new_case(cases, admin)
    cases.call("log_time", case_id=case["id"], data={"minutes": 30, "billable": True, "note": "call"}, actor=admin)
    cases.call("log_time", case_id=case["id"], data={"minutes": 15, "billable": False}, actor=admin)
    started = cases.call("start_timer", case_id=case["id"], actor=admin)
    assert started["running"]
    other = _new_case(cases, admin)
    busy = _error(lambda: cases.call("start_timer", case_id=other["id"], actor=admin))
    assert busy.code == "invalid_transition"
    stopped = cases.call("stop_timer", case_id=case["id"], actor=admin)
    assert not stopped["running"] and stopped["minutes"] == 1
    assert _error(lambda: cases.call("stop_timer", case_id=case["id"], actor=admin)).code == "invalid_transition"
    cases.events.wait_for("time_logged", entry__case_id=case["id"], count=4)

    totals = TimeTotals.model_validate(cases.call("case_time", case_id=case["id"]))
    assert (totals.minutes, totals.billable_minutes) == (46, 31)
    assert [(a.agent_id, a.minutes, a.billable_minutes) for a in totals.by_agent] == [(admin["id"], 46, 31)]
    assert cases.call("agent_time", agent_id=admin["id"])["minutes"] >= 46
    fields = [h[0] for h in _history(cases, case["id"])]
    assert fields.count("time_logged") == 3 and "timer_started" in fields

    system = {"type": "system", "name": "importer", "channel": "api"}
    no_agent = _error(lambda: cases.call("log_time", case_id=case["id"], data={"minutes": 5}, actor=system))
    assert no_agent.code == "validation_error"
    zero = _error(lambda: cases.call("log_time", case_id=case["id"], data={"minutes": 0}, actor=admin))
    assert zero.code == "validation_error"
    assert TimeTotals.model_validate(cases.call("case_time", case_id=case["id"])).minutes == 46


def test_templates_and_canned_replies(cases: Any, admin: dict[str, Any]) -> None:
    name = f"Onboarding {uuid.uuid4().hex[:6]}"
    template = cases.call(
        "create_template",
        data={
            "name": name,
            "title": "New employee",
            "description": "Create accounts",
            "default_priority": "high",
            "default_status": "open",
            "assignee_id": admin["id"],
            "instructions": "Check the HR form first",
        },
    )
    assert template["default_status"] == "open"
    case = cases.call(
        "case_from_template", template_id=template["id"], data={"requester_email": "hr@c.example"}, actor=admin
    )
    assert (case["title"], case["priority"], case["status"]) == ("New employee", "high", "open")
    assert case["assignee"]["id"] == admin["id"]
    cases.events.wait_for("case_created", case__id=case["id"])
    cases.events.wait_for("case_updated", case__id=case["id"])
    assert [h[0] for h in _history(cases, case["id"])] == ["created", "template", "status"]
    origin = cases.call("template_of_case", case_id=case["id"])
    assert origin["id"] == template["id"] and origin["instructions"] == "Check the HR form first"
    assert cases.call("template_of_case", case_id=_new_case(cases, admin)["id"]) is None

    changed = {**{k: template[k] for k in ("name", "title", "description")}, "instructions": "Use form B"}
    updated = cases.call("update_template", template_id=template["id"], data=changed)
    assert updated["instructions"] == "Use form B" and updated["default_status"] == "new"
    assert cases.call("template_of_case", case_id=case["id"])["instructions"] == "Use form B"
    assert _error(lambda: cases.call("update_template", template_id=987654, data=changed)).code == "not_found"
    copy = cases.call("template_from_case", case_id=case["id"], data={"name": name + " copy"})
    assert copy["title"] == "New employee" and copy["default_priority"] == "high"
    taken = _error(lambda: cases.call("template_from_case", case_id=case["id"], data={"name": name}))
    assert taken.code == "validation_error"
    assert (
        _error(lambda: cases.call("case_from_template", template_id=987654, data={}, actor=admin)).code == "not_found"
    )
    names = [t["name"] for t in cases.call("list_templates")]
    assert name in names and name + " copy" in names

    # a quick case: closed by default, owned by the agent who makes it; never scheduled without an owner
    quick = cases.call("create_template", data={"name": name + " quick", "title": "Toner", "default_status": "closed"})
    closed = cases.call("case_from_template", template_id=quick["id"], data={}, actor=admin)
    assert closed["status"] == "closed" and closed["assignee"]["id"] == admin["id"] and closed["closed_at"]
    event = cases.events.wait_for("case_updated", case__id=closed["id"])[0]["payload"]
    assert event["changes"] == {
        "assignee_id": {"old": None, "new": admin["id"]},
        "status": {"old": "new", "new": "closed"},
    }
    unowned = {"template_id": quick["id"], "every": 1, "unit": "day", "start_at": "2026-01-01T00:00:00Z"}
    assert _error(lambda: cases.call("create_recurrence", data=unowned)).code == "invalid_transition"
    assert cases.call("list_recurrences") == []

    reply = cases.call("create_canned_reply", data={"title": f"Thanks {name}", "body": "Thank you for waiting."})
    assert reply in cases.call("list_canned_replies")
    cases.call("delete_canned_reply", reply_id=reply["id"])
    assert reply not in cases.call("list_canned_replies")
    assert _error(lambda: cases.call("delete_canned_reply", reply_id=reply["id"])).code == "not_found"


def test_signature_precedence(cases: Any, admin: dict[str, Any]) -> None:
    mailbox = f"sales-{uuid.uuid4().hex[:6]}@example.com"
    cases.call("set_signature", data={"greeting": "Hello,", "signature": "-- The help desk"})
    assert cases.call("resolve_signature", agent_id=admin["id"], mailbox=mailbox)["signature_from"] in {
        "general",
        "personal",
    }
    cases.call("set_signature", data={"mailbox": mailbox.upper(), "signature": "-- Sales"})
    cases.call("set_signature", data={"agent_id": admin["id"], "mailbox": mailbox, "greeting": "Hi there,"})
    resolved = cases.call("resolve_signature", agent_id=admin["id"], mailbox=mailbox)
    assert resolved["greeting"] == "Hi there," and resolved["greeting_from"] == "personal_mailbox"
    assert resolved["signature"] == "-- Sales" and resolved["signature_from"] == "mailbox"
    assert _error(lambda: cases.call("set_signature", data={"agent_id": 999999, "signature": "x"})).code == (
        "validation_error"
    )


def test_merge_moves_conversation_and_closes_duplicate(cases: Any, admin: dict[str, Any]) -> None:
    survivor = _new_case(cases, admin)
    duplicate = _new_case(cases, admin)
    cases.call(
        "add_message", case_id=duplicate["id"], data={"body": "same problem", "visibility": "internal"}, actor=admin
    )
    attachment = cases.call(
        "add_attachment", case_id=duplicate["id"], filename="log.txt", content_base64="aGk=", actor=admin
    )
    merged = cases.call("merge_cases", case_id=survivor["id"], duplicate_id=duplicate["id"], actor=admin)
    assert merged["id"] == survivor["id"]
    event = cases.events.wait_for("cases_merged", survivor__id=survivor["id"])[0]["payload"]
    assert event["duplicate"]["status"] == "closed" and event["moved_attachment_ids"] == [attachment["id"]]
    moved = cases.call("list_messages", case_id=survivor["id"])
    assert [(m["body_text"], m["kind"]) for m in moved] == [
        ("same problem", "note"),
        (f"Case #{duplicate['number']} ({duplicate['title']}) was merged into this case.", "system"),
    ]
    left = cases.call("list_messages", case_id=duplicate["id"])
    assert [(m["kind"], m["body_text"]) for m in left] == [
        ("system", f"This case was merged into case #{survivor['number']}.")
    ]
    assert [a["id"] for a in cases.call("list_attachments", case_id=survivor["id"])] == [attachment["id"]]
    links = CaseLinks.model_validate(cases.call("case_links", case_id=duplicate["id"]))
    assert links.merged_into == survivor["id"]
    assert CaseLinks.model_validate(cases.call("case_links", case_id=survivor["id"])).merged_from == [duplicate["id"]]
    assert ("merged_from", None, str(duplicate["number"])) in _history(cases, survivor["id"])
    dup_history = _history(cases, duplicate["id"])
    assert ("merged_into", None, str(survivor["number"])) in dup_history and ("status", "new", "closed") in dup_history

    again = _error(lambda: cases.call("merge_cases", case_id=survivor["id"], duplicate_id=duplicate["id"], actor=admin))
    assert again.code == "invalid_transition"
    itself = _error(lambda: cases.call("merge_cases", case_id=survivor["id"], duplicate_id=survivor["id"], actor=admin))
    assert itself.code == "validation_error"


def test_links_master_and_children(cases: Any, admin: dict[str, Any]) -> None:
    master = _new_case(cases, admin, assignee_id=admin["id"])
    child_a, child_b, related = (_new_case(cases, admin) for _ in range(3))
    for child in (child_a, child_b):
        cases.call(
            "link_cases", case_id=child["id"], data={"other_case_id": master["id"], "kind": "parent"}, actor=admin
        )
    cases.call("link_cases", case_id=master["id"], data={"other_case_id": related["id"]}, actor=admin)
    cases.events.wait_for("case_linked", link__other_case_id=master["id"], count=2)
    links = CaseLinks.model_validate(cases.call("case_links", case_id=master["id"]))
    assert links.children == [child_a["id"], child_b["id"]] and links.related == [related["id"]]
    assert CaseLinks.model_validate(cases.call("case_links", case_id=related["id"])).related == [master["id"]]
    assert ("parent_id", None, str(master["id"])) in _history(cases, child_a["id"])

    cycle = _error(
        lambda: cases.call(
            "link_cases", case_id=master["id"], data={"other_case_id": child_a["id"], "kind": "parent"}, actor=admin
        )
    )
    assert cycle.code == "invalid_transition"
    twice = _error(
        lambda: cases.call("link_cases", case_id=master["id"], data={"other_case_id": related["id"]}, actor=admin)
    )
    assert twice.code == "validation_error"

    result = cases.call("close_with_children", case_id=master["id"], actor=admin)
    assert result["case"]["status"] == "closed"
    assert sorted(c["id"] for c in result["closed_children"]) == [child_a["id"], child_b["id"]]
    assert cases.call("get_case", case_id=child_b["id"])["status"] == "closed"
    assert ("closed_with_master", None, str(master["number"])) in _history(cases, child_b["id"])

    unowned = _new_case(cases, admin)
    refused = _error(lambda: cases.call("close_with_children", case_id=unowned["id"], actor=admin))
    assert refused.code == "invalid_transition"
    assert cases.call("get_case", case_id=unowned["id"])["status"] == "new"


def test_attachments_on_messages_and_in_forwards(cases: Any, admin: dict[str, Any]) -> None:
    case, other = _new_case(cases, admin), _new_case(cases, admin)
    note = cases.call(
        "add_message", case_id=case["id"], data={"body": "log attached", "visibility": "internal"}, actor=admin
    )
    elsewhere = cases.call(
        "add_message", case_id=other["id"], data={"body": "x", "visibility": "internal"}, actor=admin
    )
    content = base64.b64encode(b"error 42").decode()
    on_message = cases.call(
        "add_attachment",
        case_id=case["id"],
        filename="err.log",
        content_base64=content,
        message_id=note["id"],
        actor=admin,
    )
    assert on_message["message_id"] == note["id"] and on_message["content_type"] == "application/octet-stream"
    wrong = _error(
        lambda: cases.call(
            "add_attachment",
            case_id=case["id"],
            filename="x",
            content_base64=content,
            message_id=elsewhere["id"],
            actor=admin,
        )
    )
    assert wrong.code == "validation_error"
    assert len(cases.call("list_attachments", case_id=case["id"])) == 1

    data = {"recipients": ["support@vendor.example"], "body": "See the log", "attachment_ids": [on_message["id"]]}
    cases.call("forward_case", case_id=case["id"], data=data, actor=admin)
    event = cases.events.wait_for("message_forwarded", case__id=case["id"])[0]["payload"]
    assert [a["sha256"] for a in event["attachments"]] == [on_message["sha256"]]
    foreign = {"recipients": ["a@b.example"], "body": "x", "attachment_ids": [on_message["id"]]}
    assert _error(lambda: cases.call("forward_case", case_id=other["id"], data=foreign, actor=admin)).code == (
        "validation_error"
    )


def test_parallel_timer_starts_by_one_agent_leave_one_running(cases: Any, admin: dict[str, Any]) -> None:
    # an agent of its own, so other tests' timers do not interfere
    email = f"timer-{uuid.uuid4().hex[:6]}@example.com"
    insert = text(
        "INSERT INTO agent (email, name, role, active, created_at) VALUES (:e, 'T', 'agent', true, now()) RETURNING id"
    )
    with cases.db.begin() as conn:
        agent_id = conn.execute(insert, {"e": email}).scalar_one()
    actor = {**admin, "id": agent_id, "email": email}
    targets = [_new_case(cases, admin)["id"] for _ in range(4)]

    def start(case_id: int) -> str:
        rpc = SyncRpc(cases.amqp_uri)
        try:
            rpc.call("cases", "start_timer", case_id=case_id, actor=actor)
            return "started"
        except DomainError as exc:
            return exc.code
        finally:
            rpc.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = sorted(pool.map(start, targets))
    assert outcomes == ["invalid_transition"] * 3 + ["started"]
    running = _count(cases, "SELECT count(*) FROM time_entry WHERE agent_id = :a AND running", a=agent_id)
    assert running == 1
