"""The walking skeleton, end to end through the real front doors: SMTP in, REST API, SMTP out, portal."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import httpx
from look import wait_until
from mail import customer_mail, deliver

from contracts.tokens import case_id_from_message_id


def find_case(api: httpx.Client, title: str) -> dict[str, Any] | None:
    items = api.get("/api/v1/cases", params={"q": title, "limit": 100}).json()["items"]
    matches = [c for c in items if c["title"] == title]
    return matches[0] if matches else None


def test_mail_becomes_a_case_the_reply_threads_back_and_notes_stay_inside(system):
    sys_, sink = system
    api = sys_.api()
    first = customer_mail(
        sender="Nina Nordmann <nina@customer.example>",
        subject="Skriveren på 3. etasje virker ikke",
        body="Hei!\nSkriveren skriver ut tomme ark. Stien er C:\\Users\\nina\\new_folder.\nNina",
    )
    started = time.monotonic()
    deliver(sys_.smtp_port, first)
    case = wait_until(lambda: find_case(api, first["Subject"]), what="case from mail")
    visible_after = time.monotonic() - started
    assert visible_after < 5, f"case took {visible_after:.1f}s to appear"
    assert case["status"] == "new" and case["source"] == "email"
    assert case["requester"]["email"] == "nina@customer.example"
    assert case["group"]["name"] == "Support"

    messages = api.get(f"/api/v1/cases/{case['id']}/messages").json()
    items = messages["items"] if isinstance(messages, dict) else messages
    assert len(items) == 1
    assert "C:\\Users\\nina\\new_folder" in items[0]["body_text"]
    assert items[0]["email_message_id"] == first["Message-ID"].strip("<>")

    # the customer is told, loop-safely, that the case exists
    confirmation = sink.wait_for(lambda m: m["To"] and "nina@customer.example" in m["To"], what="confirmation")
    assert confirmation["Auto-Submitted"] == "auto-replied"
    assert first["Message-ID"] in confirmation["In-Reply-To"]

    # an internal note, then a public reply
    note = api.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"body": "INTERNAL: printer is on the blocklist", "visibility": "internal"},
    )
    assert note.status_code == 201, note.text
    reply = api.post(
        f"/api/v1/cases/{case['id']}/messages", json={"body": "We have ordered a new toner.", "visibility": "public"}
    )
    assert reply.status_code == 201, reply.text
    answer = sink.wait_for(lambda m: "new toner" in m.get_body(("plain",)).get_content(), what="agent reply mail")
    assert answer["To"] and "nina@customer.example" in answer["To"]
    assert first["Message-ID"] in answer["In-Reply-To"]
    assert first["Message-ID"] in answer["References"]
    ours = answer["Message-ID"].strip("<>")
    assert case_id_from_message_id(ours, secret=sys_.env["HELPDESK_SECRET_KEY"]) == case["id"]

    # the agent message exposes the Message-ID it went out with
    def sent_id() -> str | None:
        data = api.get(f"/api/v1/cases/{case['id']}/messages").json()
        rows = data["items"] if isinstance(data, dict) else data
        return next((m["email_message_id"] for m in rows if "new toner" in m["body_text"]), None)

    assert wait_until(sent_id, what="email_message_id on the agent reply") == ours

    # the customer's answer to our mail lands on the same case
    second = customer_mail(
        sender="nina@customer.example",
        subject=f"Re: {answer['Subject']}",
        body="Takk, det virker nå!",
        in_reply_to=answer["Message-ID"],
        references=[first["Message-ID"], answer["Message-ID"]],
    )
    deliver(sys_.smtp_port, second)

    def customer_answer() -> list[dict[str, Any]]:
        data = api.get(f"/api/v1/cases/{case['id']}/messages").json()
        rows = data["items"] if isinstance(data, dict) else data
        return [m for m in rows if "det virker" in m["body_text"]]

    assert len(wait_until(customer_answer, what="customer answer on the same case")) == 1
    assert find_case(api, second["Subject"]) is None, "the answer opened a second case"

    # nothing the relay received ever carried the internal note
    time.sleep(1.0)
    for _rcpts, msg in sink.messages:
        assert "blocklist" not in msg.as_string()


def test_portal_shows_the_customer_their_case_and_no_other(system):
    sys_, sink = system
    api = sys_.api()
    # unique per run: the portal rate-limits sign-in links per address in (shared) Redis
    ola = f"ola.{uuid.uuid4().hex[:8]}@customer.example"
    mine = customer_mail(sender=f"Ola <{ola}>", subject="Ola sitt nettverk er nede", body="Ingen nett.")
    deliver(sys_.smtp_port, mine)
    case = wait_until(lambda: find_case(api, mine["Subject"]), what="Ola's case")
    other = api.post("/api/v1/cases", json={"title": "Kari sin hemmelige sak", "requester_email": "kari@other.example"})
    assert other.status_code == 201, other.text
    api.post(
        f"/api/v1/cases/{case['id']}/messages", json={"body": "INTERNAL: check switch 7", "visibility": "internal"}
    )

    with httpx.Client(base_url=sys_.portal_url, follow_redirects=True, timeout=30) as portal:
        login_page = portal.get("/login")
        assert login_page.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text)
        form = {"email": ola}
        if token:
            form["csrf_token"] = token.group(1)
        assert portal.post("/login", data=form).status_code == 200
        link_mail = sink.wait_for(
            lambda m: m["To"] and ola in m["To"] and "/auth/" in m.get_body(("plain",)).get_content(),
            what="magic link mail",
        )
        link = re.search(r"https?://\S+/auth/\S+", link_mail.get_body(("plain",)).get_content()).group(0)
        home = portal.get(link)
        assert home.status_code == 200
        assert "Ola sitt nettverk er nede" in home.text
        assert "Kari sin hemmelige sak" not in home.text
        page = portal.get(f"/cases/{case['id']}")
        assert page.status_code == 200 and "Ingen nett." in page.text
        assert "check switch 7" not in page.text
        assert portal.get(f"/cases/{other.json()['id']}").status_code == 404
