"""Cc'd people become followers of a case opened by mail; followers and participants may reply on it (A2, E6)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from conftest import mail_received

from contracts.errors import DomainError
from contracts.mail_gateway import MailAddress, MailReceived, OutsiderReply, ThreadDecision


def _send(cases: Any, mail: MailReceived) -> None:
    cases.publish("mail_gateway", cases.envelope(mail, source="mail_gateway"))


def _open(cases: Any, sender: str, cc: list[str]) -> dict[str, Any]:
    mail = mail_received(sender, "", cc=[MailAddress(email=a, name=a.split("@")[0].title()) for a in cc])
    _send(cases, mail)
    return dict(cases.events.wait_for("case_created", case__title=mail.subject)[0]["payload"]["case"])


def _reply(
    cases: Any,
    case: dict[str, Any],
    sender: str,
    cc: tuple[str, ...] = (),
    outsider_reply: OutsiderReply = OutsiderReply.INTERNAL,
) -> MailReceived:
    mail = mail_received(
        sender,
        "",
        subject=f"Re: {case['title']} {uuid.uuid4().hex[:4]}",
        thread=ThreadDecision(case_id=case["id"], reason="known_message_id"),
        cc=[MailAddress(email=a, name=a.split("@")[0].title()) for a in cc],
        outsider_reply=outsider_reply,
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


def test_a_mailbox_set_to_new_linked_case_gives_a_non_participant_a_related_case(cases: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    case = _open(cases, f"req.{tag}@customer.example", [])
    stranger = _reply(cases, case, f"eve.{tag}@elsewhere.example", outsider_reply=OutsiderReply.NEW_LINKED_CASE)
    own_id = _landed_on(cases, stranger)
    assert own_id != case["id"]
    links = cases.rows(
        "SELECT case_id, other_case_id, kind FROM case_link WHERE case_id = :a OR other_case_id = :a", a=own_id
    )
    assert [(r.case_id, r.other_case_id, r.kind) for r in links] == [(own_id, case["id"], "related")]
    linked = cases.events.wait_for("case_linked", link__case_id=own_id)[0]["payload"]["link"]
    assert linked["other_case_id"] == case["id"]
    assert cases.call("case_links", case_id=case["id"])["related"] == [own_id]
    assert ("mail_joined", f"eve.{tag}@elsewhere.example") in _history(cases, case["id"])


def _history(cases: Any, case_id: int) -> list[tuple[str, str | None]]:
    return [(h["field"], h["old_value"]) for h in cases.call("get_case_history", case_id=case_id)]


def _message(cases: Any, case_id: int, mail: MailReceived) -> dict[str, Any]:
    found = [m for m in cases.call("list_messages", case_id=case_id) if m["email_message_id"] == mail.message_id]
    assert len(found) == 1
    return dict(found[0])


def test_a_stranger_joins_as_an_internal_entry_flagged_and_the_agent_can_answer_it(
    cases: Any, admin: dict[str, Any]
) -> None:
    tag = uuid.uuid4().hex[:6]
    case = _open(cases, f"req.{tag}@customer.example", [])
    stranger = _reply(cases, case, f"eve.{tag}@elsewhere.example")
    assert _landed_on(cases, stranger) == case["id"]  # no case of its own
    added = cases.events.wait_for("message_added", case__id=case["id"], message__email_message_id=stranger.message_id)
    message = added[0]["payload"]["message"]
    assert (message["visibility"], message["from_outsider"], message["author_id"]) == ("internal", True, None)
    assert cases.rows("SELECT id FROM case_link WHERE case_id = :a OR other_case_id = :a", a=case["id"]) == []
    joined = [h for h in cases.call("get_case_history", case_id=case["id"]) if h["field"] == "mail_joined"]
    assert [(h["old_value"], h["new_value"].split(":")[0]) for h in joined] == [
        (f"eve.{tag}@elsewhere.example", "internal, flagged")
    ]
    # nobody new follows, the requester's view of the case does not show it
    assert cases.call("get_case", case_id=case["id"])["followers"] == []
    public = cases.call("list_messages", case_id=case["id"], visibility="public")
    assert stranger.message_id not in [m["email_message_id"] for m in public]

    # the agent's answers: add the sender as a follower, then make the mail public
    followed = cases.call("add_sender_as_follower", case_id=case["id"], message_id=message["id"], actor=admin)
    assert [f["email"] for f in followed["followers"]] == [f"eve.{tag}@elsewhere.example"]
    made = cases.call("make_message_public", case_id=case["id"], message_id=message["id"], actor=admin)
    assert (made["visibility"], made["from_outsider"]) == ("public", True)
    assert _message(cases, case["id"], stranger)["visibility"] == "public"
    fields = [f for f, _ in _history(cases, case["id"])]
    assert "message_made_public" in fields and "followers" in fields
    # and now Eve belongs: her next mail is an ordinary public reply
    again = _reply(cases, case, f"eve.{tag}@elsewhere.example")
    assert _landed_on(cases, again) == case["id"]
    assert _message(cases, case["id"], again)["visibility"] == "public"


def test_only_a_flagged_entry_can_be_made_public_or_its_sender_added(cases: Any, admin: dict[str, Any]) -> None:
    tag = uuid.uuid4().hex[:6]
    case = _open(cases, f"req.{tag}@customer.example", [])
    note = cases.call("add_message", case_id=case["id"], data={"body": "secret", "visibility": "internal"}, actor=admin)
    for method in ("make_message_public", "add_sender_as_follower"):
        with pytest.raises(DomainError) as info:
            cases.call(method, case_id=case["id"], message_id=note["id"], actor=admin)
        assert info.value.code == "not_from_outsider"
    assert _message_visibility(cases, note["id"]) == "internal"


def _message_visibility(cases: Any, message_id: int) -> str:
    return str(cases.rows("SELECT visibility FROM message WHERE id = :i", i=message_id)[0].visibility)


def test_a_colleague_joins_publicly_and_follows_when_the_organisation_says_so(
    cases: Any, admin: dict[str, Any]
) -> None:
    tag = uuid.uuid4().hex[:6]
    org = cases.call(
        "save_organisation",
        data={"name": f"Customer {tag}", "domains": [f"@Customer-{tag}.example"], "colleagues_join_publicly": True},
    )
    assert org["domains"] == [f"customer-{tag}.example"] and org["colleagues_join_publicly"] is True
    requester = f"req@customer-{tag}.example"
    cases.call("save_contact", data={"name": "Req", "emails": [requester], "organisation_id": org["id"]}, actor=admin)
    case = _open(cases, requester, [])
    colleague = _reply(cases, case, f"ola@customer-{tag}.example")
    assert _landed_on(cases, colleague) == case["id"]
    assert _message(cases, case["id"], colleague)["visibility"] == "public"
    assert [f["email"] for f in cases.call("get_case", case_id=case["id"])["followers"]] == [
        f"ola@customer-{tag}.example"
    ]
    # an address elsewhere (here at a free-mail provider) is a stranger, and so is a colleague with the setting off
    gmail = _reply(cases, case, f"ola.{tag}@gmail.com")
    assert _landed_on(cases, gmail) == case["id"]
    assert _message(cases, case["id"], gmail)["visibility"] == "internal"
    cases.call("save_organisation", organisation_id=org["id"], data={"name": org["name"], "domains": org["domains"]})
    other = _reply(cases, case, f"per@customer-{tag}.example")
    _landed_on(cases, other)
    assert _message(cases, case["id"], other)["visibility"] == "internal"


def test_a_mailbox_set_to_public_follower_lets_anyone_on_the_thread_join(cases: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    case = _open(cases, f"req.{tag}@customer.example", [])
    stranger = _reply(cases, case, f"eve.{tag}@elsewhere.example", outsider_reply=OutsiderReply.PUBLIC_FOLLOWER)
    assert _landed_on(cases, stranger) == case["id"]
    assert _message(cases, case["id"], stranger)["visibility"] == "public"
    assert [f["email"] for f in cases.call("get_case", case_id=case["id"])["followers"]] == [
        f"eve.{tag}@elsewhere.example"
    ]


def test_a_free_mail_domain_cannot_be_an_organisation_domain(cases: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    for domain, code in (
        ("Gmail.com", "free_mail_domain"),
        ("gmx.net", "free_mail_domain"),
        ("nodot", "validation_error"),
    ):
        with pytest.raises(DomainError) as info:
            cases.call("save_organisation", data={"name": f"Org {tag} {domain}", "domains": ["ok.example", domain]})
        assert info.value.code == code
    assert cases.rows("SELECT id FROM organisation WHERE name LIKE :n", n=f"Org {tag}%") == []


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
