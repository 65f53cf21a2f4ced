"""Cc'd people become followers of a case opened by mail; followers and participants may reply on it (A2, E6)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from conftest import mail_received

from contracts.mail_gateway import MailAddress, MailReceived, ThreadDecision


def _send(cases: Any, mail: MailReceived) -> None:
    cases.publish("mail_gateway", cases.envelope(mail, source="mail_gateway"))


def _open(cases: Any, sender: str, cc: list[str]) -> dict[str, Any]:
    mail = mail_received(sender, "", cc=[MailAddress(email=a, name=a.split("@")[0].title()) for a in cc])
    _send(cases, mail)
    return dict(cases.events.wait_for("case_created", case__title=mail.subject)[0]["payload"]["case"])


def _reply(cases: Any, case: dict[str, Any], sender: str, cc: tuple[str, ...] = ()) -> MailReceived:
    mail = mail_received(
        sender,
        "",
        subject=f"Re: {case['title']} {uuid.uuid4().hex[:4]}",
        thread=ThreadDecision(case_id=case["id"]),
        cc=[MailAddress(email=a, name=a.split("@")[0].title()) for a in cc],
    )
    _send(cases, mail)
    return mail


def _landed_on(cases: Any, mail: MailReceived) -> int:
    rows = cases.wait_until(
        lambda: cases.rows("SELECT case_id FROM message WHERE inbound_mail_id = :i", i=mail.inbound_mail_id),
        what="mail applied",
    )
    return int(rows[0].case_id)


def test_cc_become_followers_and_a_follower_reply_all_joins(cases: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    sender = f"nina.{tag}@customer.example"
    cc = [f"ann.{tag}@customer.example", f"BOB.{tag}@partner.example", sender, f"ann.{tag}@customer.example"]
    case = _open(cases, sender, cc)
    followers = sorted(f["email"] for f in case["followers"])
    assert followers == [f"ann.{tag}@customer.example", f"bob.{tag}@partner.example"]  # not the sender, once each
    assert case["requester"]["email"] == sender

    reply = _reply(cases, case, f"bob.{tag}@partner.example")
    assert _landed_on(cases, reply) == case["id"]
    added = cases.events.wait_for("message_added", case__id=case["id"], message__email_message_id=reply.message_id)
    assert added[0]["payload"]["message"]["author_type"] == "contact"
    assert added[0]["payload"]["message"]["visibility"] == "public"


def test_a_participant_still_belongs_after_leaving_the_followers(cases: Any, admin: dict[str, Any]) -> None:
    tag = uuid.uuid4().hex[:6]
    case = _open(cases, f"req.{tag}@customer.example", [f"carl.{tag}@customer.example"])
    first = _reply(cases, case, f"carl.{tag}@customer.example")
    assert _landed_on(cases, first) == case["id"]
    cases.call("update_case", case_id=case["id"], changes={"follower_ids": []}, actor=admin)
    assert cases.call("get_case", case_id=case["id"])["followers"] == []
    again = _reply(cases, case, f"carl.{tag}@customer.example")  # wrote a public message: a participant
    assert _landed_on(cases, again) == case["id"]


def test_a_non_participant_gets_a_new_case_related_to_the_thread(cases: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    case = _open(cases, f"req.{tag}@customer.example", [])
    stranger = _reply(cases, case, f"eve.{tag}@elsewhere.example")
    own_id = _landed_on(cases, stranger)
    assert own_id != case["id"]
    links = cases.rows(
        "SELECT case_id, other_case_id, kind FROM case_link WHERE case_id = :a OR other_case_id = :a", a=own_id
    )
    assert [(r.case_id, r.other_case_id, r.kind) for r in links] == [(own_id, case["id"], "related")]
    linked = cases.events.wait_for("case_linked", link__case_id=own_id)[0]["payload"]["link"]
    assert linked["other_case_id"] == case["id"]
    assert cases.call("case_links", case_id=case["id"])["related"] == [own_id]


@pytest.mark.parametrize(
    ("config", "why"), [({"used": False}, "not in use"), ({"used": True, "hidden": True}, "hidden")]
)
def test_followers_switched_off_or_hidden_still_opens_the_case_and_says_why(
    cases: Any, config: dict[str, bool], why: str
) -> None:
    tag = uuid.uuid4().hex[:6]
    cases.call("save_field_config", data={"field": "follower_ids", **config})
    try:
        case = _open(cases, f"req.{tag}@customer.example", [f"dan.{tag}@customer.example"])
    finally:
        cases.call("save_field_config", data={"field": "follower_ids", "used": True})
    assert case["followers"] == []
    history = cases.call("get_case_history", case_id=case["id"])
    note = [h for h in history if h["field"] == "followers_not_added"]
    assert len(note) == 1 and f"dan.{tag}@customer.example" in note[0]["new_value"]
    assert why in note[0]["new_value"]
    assert not cases.rows("SELECT 1 FROM contact_email WHERE email = :e", e=f"dan.{tag}@customer.example")


def test_unknown_cc_contacts_wait_for_approval_when_senders_are_held(cases: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    cases.call("update_case_settings", changes={"hold_unknown_senders": True})
    try:
        case = _open(cases, f"req.{tag}@customer.example", [f"fay.{tag}@customer.example"])
    finally:
        cases.call("update_case_settings", changes={"hold_unknown_senders": False})
    assert case["held_for_approval"] is True
    rows = cases.rows(
        "SELECT c.approved FROM contact c JOIN contact_email e ON e.contact_id = c.id WHERE e.email = :e",
        e=f"fay.{tag}@customer.example",
    )
    assert [r.approved for r in rows] == [False]
    assert [f["email"] for f in case["followers"]] == [f"fay.{tag}@customer.example"]


def test_a_reply_all_from_a_follower_makes_the_people_it_copies_followers(cases: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    requester, ann, new = (f"{who}.{tag}@customer.example" for who in ("req", "ann", "new"))
    case = _open(cases, requester, [ann])
    created = cases.events.wait_for("case_created", case__id=case["id"])[0]["payload"]
    assert created["inbound_mail_id"] is not None  # the mail gateway's audit learns the case from it

    reply = _reply(cases, case, ann, cc=(requester, ann, new, f"NEW.{tag}@customer.example"))
    assert _landed_on(cases, reply) == case["id"]
    added = cases.events.wait_for("message_added", case__id=case["id"], message__email_message_id=reply.message_id)
    payload = added[0]["payload"]
    assert payload["inbound_mail_id"] == reply.inbound_mail_id
    assert sorted(f["email"] for f in payload["case"]["followers"]) == [ann, new]  # the requester is no follower
    history = cases.call("get_case_history", case_id=case["id"])
    [change] = [h for h in history if h["field"] == "followers"]
    assert change["actor_type"] == "contact" and len(change["new_value"].split(", ")) == 2

    again = _reply(cases, case, new, cc=(ann,))  # the one copied in now belongs, and nobody is added twice
    assert _landed_on(cases, again) == case["id"]
    assert sorted(f["email"] for f in cases.call("get_case", case_id=case["id"])["followers"]) == [ann, new]
    assert len([h for h in cases.call("get_case_history", case_id=case["id"]) if h["field"] == "followers"]) == 1


@pytest.mark.parametrize(
    ("config", "why"), [({"used": False}, "not in use"), ({"used": True, "hidden": True}, "hidden")]
)
def test_a_reply_all_with_followers_switched_off_still_joins_and_says_who_was_not_added(
    cases: Any, config: dict[str, bool], why: str
) -> None:
    tag = uuid.uuid4().hex[:6]
    case = _open(cases, f"req.{tag}@customer.example", [f"ann.{tag}@customer.example"])
    cases.call("save_field_config", data={"field": "follower_ids", **config})
    try:
        reply = _reply(cases, case, f"ann.{tag}@customer.example", cc=(f"eli.{tag}@customer.example",))
        assert _landed_on(cases, reply) == case["id"]
    finally:
        cases.call("save_field_config", data={"field": "follower_ids", "used": True})
    assert [f["email"] for f in cases.call("get_case", case_id=case["id"])["followers"]] == [
        f"ann.{tag}@customer.example"
    ]
    history = cases.call("get_case_history", case_id=case["id"])
    [note] = [h for h in history if h["field"] == "followers_not_added"]
    assert f"eli.{tag}@customer.example" in note["new_value"] and why in note["new_value"]
    assert not [h for h in history if h["field"] == "followers"]
    assert not cases.rows("SELECT 1 FROM contact_email WHERE email = :e", e=f"eli.{tag}@customer.example")
