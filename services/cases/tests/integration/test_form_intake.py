"""A portal form submission (`form_submitted`) opens the contact's case once, with the mapped fields, every
answer kept and returned by `get_case` as `form`, and the files attached to the request's message."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

from contracts.forms import FormAnswer, FormFieldType, FormFile
from contracts.portal import FormSubmitted


def _submission(contact_id: int, form_id: int, group_id: int, tag: str) -> FormSubmitted:
    answers = [
        FormAnswer(
            key="subject", label="Subject", type=FormFieldType.TEXT, page="One", value=f"Door {tag}", maps_to="title"
        ),
        FormAnswer(
            key="urgency", label="Urgency", type=FormFieldType.SELECT, page="One", value="urgent", maps_to="priority"
        ),
        FormAnswer(key="rooms", label="Rooms", type=FormFieldType.MULTI_SELECT, page="Two", value=["A", "B"]),
        FormAnswer(key="photo", label="Photo", type=FormFieldType.FILE, page="Two", value="door.txt"),
    ]
    return FormSubmitted(
        submission_id=str(uuid.uuid4()),
        contact_id=contact_id,
        form_id=form_id,
        form_name="Facilities",
        group_id=group_id,
        answers=answers,
        files=[
            FormFile(
                key="photo",
                filename="door.txt",
                content_type="text/plain",
                content_base64=base64.b64encode(b"hinge broken").decode(),
            )
        ],
        submitted_at=datetime.now(UTC),
    )


def test_a_submission_opens_one_case_with_every_answer_even_when_delivered_twice(
    cases: Any, admin: dict[str, Any]
) -> None:
    tag = uuid.uuid4().hex[:6]
    group = cases.call("list_groups")[0]
    form = cases.call(
        "save_form",
        data={
            "name": "Facilities",
            "group_id": group["id"],
            "published": True,
            "pages": [{"title": "One", "fields": [{"key": "subject", "label": "Subject", "type": "text"}]}],
        },
    )
    assert [f["id"] for f in cases.call("list_published_forms")] == [form["id"]]
    opened = cases.call(
        "create_case", data={"title": "seed contact", "requester_email": f"kim.{tag}@example.com"}, actor=admin
    )
    contact_id = opened["requester"]["id"]
    envelope = cases.envelope(_submission(contact_id, form["id"], group["id"], tag), source="portal")
    cases.publish("portal", envelope)
    cases.publish("portal", envelope)  # redelivered: the same event again
    again = {**envelope, "event_id": str(uuid.uuid4())}
    cases.publish("portal", again)  # the same submission under another event id (a relay retry)

    found = cases.wait_until(
        lambda: cases.rows('SELECT id FROM "case" WHERE title = :t', t=f"Door {tag}"), what="the form's case"
    )
    case = cases.call("get_case", case_id=found[0][0])
    assert (case["source"], case["priority"], case["group"]["id"]) == ("portal", "urgent", group["id"])
    assert case["requester"]["id"] == contact_id
    assert case["form"]["form_id"] == form["id"] and case["form"]["form_name"] == "Facilities"
    assert [(a["key"], a["value"]) for a in case["form"]["answers"]] == [
        ("subject", f"Door {tag}"),
        ("urgency", "urgent"),
        ("rooms", ["A", "B"]),
        ("photo", "door.txt"),
    ]
    [first] = cases.call("list_messages", case_id=case["id"])
    assert (first["author_type"], first["visibility"], first["channel"]) == ("contact", "public", "portal")
    assert "Rooms: A, B" in first["body_text"]
    [attachment] = cases.call("list_attachments", case_id=case["id"])
    assert (attachment["filename"], attachment["message_id"]) == ("door.txt", first["id"])
    content = cases.call("get_attachment", case_id=case["id"], attachment_id=attachment["id"])
    assert base64.b64decode(content["content_base64"]) == b"hinge broken"
    # the retry under another event id was consumed too, and opened nothing more
    cases.wait_until(
        lambda: cases.rows("SELECT 1 FROM processed_event WHERE event_id = :e", e=again["event_id"]),
        what="the retry consumed",
    )
    assert len(cases.rows('SELECT id FROM "case" WHERE title = :t', t=f"Door {tag}")) == 1
    # an ordinary case carries no form
    assert cases.call("get_case", case_id=opened["id"])["form"] is None
