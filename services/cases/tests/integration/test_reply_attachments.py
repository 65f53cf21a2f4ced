"""A message names files already uploaded to its case (decision 0102): each file joins one message
of its own case only, and the message and its `message_added` event list them with their ids.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest

from contracts.errors import DomainError


def _new_case(cases: Any, admin: dict[str, Any]) -> dict[str, Any]:
    return cases.call("create_case", data={"title": f"Files {uuid.uuid4().hex[:6]}"}, actor=admin)


def _upload(cases: Any, admin: dict[str, Any], case_id: int, name: str, content: bytes) -> dict[str, Any]:
    return cases.call(
        "add_attachment",
        case_id=case_id,
        filename=name,
        content_type="application/pdf",
        content_base64=base64.b64encode(content).decode(),
        actor=admin,
    )


def _error(call: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    return info.value


def test_a_reply_carries_the_files_it_names_and_its_event_says_which(cases: Any, admin: dict[str, Any]) -> None:
    case = _new_case(cases, admin)
    first = _upload(cases, admin, case["id"], "offer.pdf", b"%PDF offer")
    second = _upload(cases, admin, case["id"], "terms.pdf", b"%PDF terms")
    reply = cases.call(
        "add_message",
        case_id=case["id"],
        data={"body": "Offer and terms attached.", "attachment_ids": [second["id"], first["id"]]},
        actor=admin,
    )
    assert [(a["filename"], a["attachment_id"], a["size"]) for a in reply["attachments"]] == [
        ("terms.pdf", second["id"], len(b"%PDF terms")),
        ("offer.pdf", first["id"], len(b"%PDF offer")),
    ]
    [event] = cases.events.wait_for("message_added", message__id=reply["id"])
    assert [a["attachment_id"] for a in event["payload"]["message"]["attachments"]] == [second["id"], first["id"]]
    listed = {a["id"]: a["message_id"] for a in cases.call("list_attachments", case_id=case["id"])}
    assert listed == {first["id"]: reply["id"], second["id"]: reply["id"]}


def test_files_of_another_case_or_of_another_message_are_refused_and_nothing_is_posted(
    cases: Any, admin: dict[str, Any]
) -> None:
    case, other = _new_case(cases, admin), _new_case(cases, admin)
    foreign = _upload(cases, admin, other["id"], "theirs.pdf", b"%PDF theirs")
    noted = _upload(cases, admin, case["id"], "internal.pdf", b"%PDF internal")
    note = cases.call(
        "add_message",
        case_id=case["id"],
        data={"body": "INTERNAL: contract", "visibility": "internal", "attachment_ids": [noted["id"]]},
        actor=admin,
    )
    assert [a["attachment_id"] for a in note["attachments"]] == [noted["id"]]

    not_found = _error(
        lambda: cases.call(
            "add_message", case_id=case["id"], data={"body": "x", "attachment_ids": [foreign["id"]]}, actor=admin
        )
    )
    assert not_found.code == "not_found" and not_found.details == {"attachment_id": foreign["id"]}
    # a note's file never becomes a public reply's (the customer would receive it)
    taken = _error(
        lambda: cases.call(
            "add_message", case_id=case["id"], data={"body": "x", "attachment_ids": [noted["id"]]}, actor=admin
        )
    )
    assert taken.code == "validation_error" and str(note["id"]) in taken.message
    twice = _error(
        lambda: cases.call(
            "add_message", case_id=other["id"], data={"body": "x", "attachment_ids": [foreign["id"]] * 2}, actor=admin
        )
    )
    assert twice.code == "validation_error"
    bodies = [m["body_text"] for m in cases.call("list_messages", case_id=case["id"])]
    assert bodies.count("x") == 0
    assert {a["id"]: a["message_id"] for a in cases.call("list_attachments", case_id=other["id"])} == {
        foreign["id"]: None
    }
