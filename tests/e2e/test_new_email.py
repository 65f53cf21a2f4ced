"""An agent starts a case by writing to a contact (A7), and the case's choice of how its contact is informed (B16).

Real processes throughout: the API, cases, notifications out through the mailbox's own SMTP server (a second
sink), the contact's answer in over real SMTP through the mail gateway, threaded back onto the case.
"""

from __future__ import annotations

import base64
import uuid

from look import mail_to as _mail_to
from look import messages as _messages
from look import processed_inbound as _inbound
from look import wait_until
from mail import customer_mail, deliver
from system import SmtpSink

SALES = "sales@example.com"
ANY = {"If-Match": "*"}


def _text(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def test_a_new_email_goes_out_from_its_mailbox_and_the_answer_joins_the_case(system):
    sys_, global_sink = system
    api = sys_.api()
    own_server = SmtpSink().start()
    try:
        saved = api.post(
            "/api/v1/mailboxes",
            json={
                "address": SALES,
                "name": "Sales",
                "smtp_host": "127.0.0.1",
                "smtp_port": own_server.port,
                "smtp_security": "none",
            },
        )
        assert saved.status_code == 201, saved.text
        contact = f"nora.{uuid.uuid4().hex[:8]}@customer.example"

        # bad input changes nothing: a mailbox that is not ours, a contact who is never informed
        for wrong in ({"mailbox": "ceo@elsewhere.example"}, {"inform_contact": "never"}):
            refused = api.post(
                "/api/v1/cases/email",
                json={"to_email": contact, "subject": "Refused", "body": "x", "mailbox": SALES, **wrong},
            )
            assert refused.status_code == 422, refused.text
            assert refused.json()["error"]["code"] == "validation_error"
        assert api.get("/api/v1/cases", params={"q": "Refused"}).json()["items"] == []

        started = api.post(
            "/api/v1/cases/email",
            json={
                "to_email": contact,
                "to_name": "Nora Berg",
                "subject": "Your renewal offer",
                "body": "Hello Nora, here is the offer we talked about.",
                "mailbox": SALES,
                "source": "phone",
                "attachments": [
                    {
                        "filename": "offer.txt",
                        "content_type": "text/plain",
                        "content_base64": base64.b64encode(b"12 months").decode(),
                    }
                ],
            },
        )
        assert started.status_code == 201, started.text
        case = started.json()
        assert (case["source"], case["mailbox"], case["requester"]["email"]) == ("phone", SALES, contact)
        assert case["status"] == "waiting"  # the agent's reply waits on the contact

        # the mailbox's own server carries it, from the mailbox, no "Re:", with the file; no confirmation
        [first] = wait_until(lambda: _mail_to(own_server, contact), what="the new email through the mailbox's server")
        assert first["From"].addresses[0].addr_spec == SALES
        assert first["Subject"].startswith(f"[#{case['number']}-") and first["Subject"].endswith("] Your renewal offer")
        assert "here is the offer" in _text(first)
        assert [p.get_filename() for p in first.iter_attachments()] == ["offer.txt"]
        assert _mail_to(global_sink, contact) == []

        # the contact answers the way a mail program does; it threads onto the case by our Message-ID
        answer = customer_mail(
            sender=f"Nora Berg <{contact}>",
            subject=f"Re: {first['Subject']}",
            body="Thanks, we accept the offer.",
            in_reply_to=first["Message-ID"],
            references=[first["Message-ID"]],
        )
        del answer["To"]
        answer["To"] = first["Reply-To"] or SALES
        deliver(sys_.smtp_port, answer)
        inbound = wait_until(lambda: _inbound(sys_.amqp_uri, answer["Message-ID"]), what="answer processed")
        assert (inbound["thread_reason"], inbound["thread_case_id"]) == ("signed_message_id", case["id"])
        bodies = wait_until(
            lambda: (b := [m["body_text"] for m in _messages(api, case["id"])]) and len(b) == 2 and b,
            what="the answer on the case",
        )
        assert "we accept the offer" in bodies[1]
        # by now a confirmation would long have gone: the contact got the agent's mail and nothing else
        assert len(_mail_to(own_server, contact)) == 1 and _mail_to(global_sink, contact) == []
    finally:
        own_server.stop()


def test_the_cases_choice_decides_what_the_contact_gets(system):
    sys_, sink = system
    api = sys_.api()
    contact = f"ola.{uuid.uuid4().hex[:8]}@customer.example"
    made = api.post("/api/v1/cases", json={"title": "Printer", "requester_email": contact, "source": "walk_in"})
    assert made.status_code == 201, made.text
    case = made.json()
    assert (case["source"], case["inform_contact"]) == ("walk_in", None)

    def reply(text: str) -> None:
        sent = api.post(f"/api/v1/cases/{case['id']}/messages", json={"body": text, "visibility": "public"})
        assert sent.status_code == 201, sent.text

    # link only: a mail with the signed link, never the text
    changed = api.patch(f"/api/v1/cases/{case['id']}", json={"inform_contact": "link"}, headers=ANY)
    assert changed.status_code == 200, changed.text
    assert changed.json()["inform_contact"] == "link"
    reply("The toner code is SECRET-TONER-42.")
    [linked] = wait_until(lambda: _mail_to(sink, contact), what="the link-only mail")
    assert "SECRET-TONER-42" not in linked.as_string()
    assert f"{sys_.portal_url}/c/" in _text(linked)

    # never: no mail at all, the delivery log says why
    assert api.patch(f"/api/v1/cases/{case['id']}", json={"inform_contact": "never"}, headers=ANY).status_code == 200
    reply("Never mailed: SILENT-99.")
    suppressed = wait_until(
        lambda: [
            d
            for d in api.get("/api/v1/deliveries", params={"case": case["id"]}).json()["items"]
            if d["status"] == "suppressed"
        ],
        what="the suppressed reply",
    )
    assert suppressed[0]["last_error"] == "case setting: never email the customer"
    assert len(_mail_to(sink, contact)) == 1

    # a case's mailbox must be one of ours: mail never leaves from someone else's address
    spoofed = api.post("/api/v1/cases", json={"title": "Spoof", "requester_email": contact, "mailbox": "ceo@x.example"})
    assert spoofed.status_code == 422, spoofed.text
    assert spoofed.json()["error"]["details"] == {"mailbox": "ceo@x.example"}

    # an unknown or malformed source is refused, and nothing changes
    for source in ("fax", "Walk-In"):
        refused = api.patch(f"/api/v1/cases/{case['id']}", json={"source": source}, headers=ANY)
        assert refused.status_code == 422, refused.text
    assert api.get(f"/api/v1/cases/{case['id']}").json()["source"] == "walk_in"


def test_a_source_set_to_confirm_mails_the_requester_the_case_link(system):
    sys_, sink = system
    api = sys_.api()
    contact = f"per.{uuid.uuid4().hex[:8]}@customer.example"
    quiet = f"kim.{uuid.uuid4().hex[:8]}@customer.example"
    # before: a case an agent takes on the phone is not confirmed (only mail was)
    made = api.post("/api/v1/cases", json={"title": "Called about VPN", "requester_email": quiet, "source": "phone"})
    assert made.status_code == 201, made.text
    changed = api.put("/api/v1/sources/phone", json={"name": "Phone", "confirm": True})
    assert changed.status_code == 200, changed.text
    assert changed.json()["confirm"] is True
    try:
        made = api.post(
            "/api/v1/cases", json={"title": "Called about the VPN", "requester_email": contact, "source": "phone"}
        )
        assert made.status_code == 201, made.text
        [confirmation] = wait_until(lambda: _mail_to(sink, contact), what="the confirmation of a phone case")
        assert f"#{made.json()['number']}" in confirmation["Subject"]
        assert f"{sys_.portal_url}/c/" in _text(confirmation)
        assert _mail_to(sink, quiet) == []
    finally:
        api.put("/api/v1/sources/phone", json={"name": "Phone", "confirm": False})
