"""A reply on a case's thread from someone not on the case, over real SMTP (decision 0220).

A stranger's mail (threaded through References only) joins the case as an internal entry flagged "from
someone not on this case" and is mailed to nobody; a colleague at the requester's organisation joins publicly
and follows; a mailbox set to `new_linked_case` keeps the old behaviour; the agent answers a flagged entry
from the conversation in Chromium.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from look import mail_to, messages, wait_until
from mail import customer_mail, deliver
from playwright.sync_api import Browser, Page, expect

from chassis.testing import launched_chromium

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-e2e-password"  # tests/system.py


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with launched_chromium() as browser:
        yield browser


def _titled(api: httpx.Client, title: str) -> list[dict[str, Any]]:
    # the system is this module's own: the newest cases hold the test's
    return [c for c in api.get("/api/v1/cases", params={"limit": 100}).json()["items"] if c["title"] == title]


def _first_case(sys_: Any, api: httpx.Client, sender: str, subject: str) -> tuple[dict[str, Any], Any]:
    first = customer_mail(sender=sender, subject=subject, body="The printer is on fire.")
    deliver(sys_.smtp_port, first)
    [case] = wait_until(lambda: _titled(api, subject), timeout=60, what="case from mail")
    return case, first


def _text(mail: Any) -> str:
    body = mail.get_body(("plain",))
    return str(body.get_content()) if body is not None else ""


def _on_case(api: httpx.Client, case_id: int, text: str) -> dict[str, Any]:
    found = wait_until(
        lambda: [m for m in messages(api, case_id) if text in m["body_text"]], timeout=60, what=f"{text!r} on case"
    )
    return found[0]


def test_a_stranger_through_references_only_joins_internally_and_nothing_is_mailed(system):
    sys_, sink = system
    api = sys_.api()
    tag = uuid.uuid4().hex[:6]
    nina = f"nina.{tag}@customer.example"
    case, first = _first_case(sys_, api, f"Nina <{nina}>", f"Printer fire {tag}")

    # Eve's mail program keeps only References (no In-Reply-To): the gateway still knows the Message-ID
    stranger = customer_mail(
        sender=f"Eve <eve.{tag}@elsewhere.example>",
        subject=f"Re: {first['Subject']}",
        body="I was forwarded this, the fire is out.",
        references=[first["Message-ID"]],
    )
    assert stranger["In-Reply-To"] is None
    deliver(sys_.smtp_port, stranger)
    entry = _on_case(api, case["id"], "the fire is out")
    assert (entry["visibility"], entry["from_outsider"]) == ("internal", True)
    assert _titled(api, stranger["Subject"]) == []  # no case of its own
    assert api.get(f"/api/v1/cases/{case['id']}").json()["followers"] == []

    # an agent's reply goes out to Nina (proof the mail path works); Eve's text goes to nobody
    reply = api.post(f"/api/v1/cases/{case['id']}/messages", json={"body": f"Glad to hear it {tag}."})
    assert reply.status_code == 201, reply.text
    sink.wait_for(lambda m: f"Glad to hear it {tag}" in _text(m), timeout=60, what="agent reply")
    assert mail_to(sink, f"eve.{tag}@elsewhere.example") == []
    for sent in mail_to(sink, nina):
        assert "the fire is out" not in _text(sent)


def test_a_colleague_joins_publicly_and_a_free_mail_domain_is_refused(system):
    sys_, _sink = system
    api = sys_.api()
    tag = uuid.uuid4().hex[:6]
    domain = f"acme-{tag}.example"
    refused = api.post("/api/v1/organisations", json={"name": f"Acme {tag}", "domains": [domain, "gmail.com"]})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "free_mail_domain", refused.text
    org = api.post(
        "/api/v1/organisations", json={"name": f"Acme {tag}", "domains": [domain], "colleagues_join_publicly": True}
    )
    assert org.status_code == 201, org.text
    assert (org.json()["domains"], org.json()["colleagues_join_publicly"]) == ([domain], True)

    case, first = _first_case(sys_, api, f"Kari <kari@{domain}>", f"Badge reader {tag}")
    contact_id = case["requester"]["id"]
    moved = api.patch(f"/api/v1/contacts/{contact_id}", json={"organisation_id": org.json()["id"]})
    assert moved.status_code == 200, moved.text

    colleague = customer_mail(
        sender=f"Ola <ola@{domain}>",
        subject=f"Re: {first['Subject']}",
        body="Mine does not work either.",
        in_reply_to=first["Message-ID"],
        references=[first["Message-ID"]],
    )
    deliver(sys_.smtp_port, colleague)
    entry = _on_case(api, case["id"], "Mine does not work either")
    assert (entry["visibility"], entry["from_outsider"]) == ("public", False)
    followers = api.get(f"/api/v1/cases/{case['id']}").json()["followers"]
    assert [f["email"] for f in followers] == [f"ola@{domain}"]


def test_a_mailbox_set_to_new_linked_case_keeps_the_old_behaviour(system):
    sys_, _sink = system
    api = sys_.api()
    tag = uuid.uuid4().hex[:6]
    [mailbox] = [m for m in api.get("/api/v1/mailboxes").json() if m["address"] == "support@example.com"]
    changed = api.put(f"/api/v1/mailboxes/{mailbox['id']}", json={**mailbox, "outsider_reply": "new_linked_case"})
    assert changed.status_code == 200 and changed.json()["outsider_reply"] == "new_linked_case", changed.text
    try:
        case, first = _first_case(sys_, api, f"Nils <nils.{tag}@customer.example>", f"Monitor flicker {tag}")
        stranger = customer_mail(
            sender=f"Zed <zed.{tag}@elsewhere.example>",
            subject=f"Re: {first['Subject']} (fwd)",
            body="Forwarded to me.",
            in_reply_to=first["Message-ID"],
            references=[first["Message-ID"]],
        )
        deliver(sys_.smtp_port, stranger)
        [own] = wait_until(lambda: _titled(api, stranger["Subject"]), timeout=60, what="stranger's own case")
        assert own["id"] != case["id"]
        related = wait_until(lambda: api.get(f"/api/v1/cases/{own['id']}/links").json()["related"], what="related link")
        assert related == [case["id"]]
    finally:
        api.put(f"/api/v1/mailboxes/{mailbox['id']}", json={**mailbox, "outsider_reply": "internal"})


@pytest.mark.browser
def test_the_agent_makes_a_flagged_mail_public_and_adds_its_sender_as_follower(system, chromium: Browser):
    sys_, _sink = system
    api = sys_.api()
    tag = uuid.uuid4().hex[:6]
    case, first = _first_case(sys_, api, f"Mona <mona.{tag}@customer.example>", f"Laptop battery {tag}")
    stranger = customer_mail(
        sender=f"Tor <tor.{tag}@elsewhere.example>",
        subject=f"Re: {first['Subject']}",
        body="Battery swelled here too.",
        in_reply_to=first["Message-ID"],
        references=[first["Message-ID"]],
    )
    deliver(sys_.smtp_port, stranger)
    entry = _on_case(api, case["id"], "Battery swelled")
    assert entry["visibility"] == "internal"

    for width, height in ((1400, 900), (390, 844)):
        context = chromium.new_context(viewport={"width": width, "height": height}, base_url=sys_.gateway_url)
        page: Page = context.new_page()
        try:
            page.goto("/login")
            page.get_by_label("Email").fill(ADMIN_EMAIL)
            page.get_by_label("Password").fill(ADMIN_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Cases")).to_be_visible()
            page.goto(f"/cases/{case['id']}")
            flagged = page.locator(f"#message-{entry['id']}")
            expect(flagged.get_by_text("From someone not on this case")).to_be_visible()
            flagged.scroll_into_view_if_needed()
            page.screenshot(path=f"/tmp/outsider-{width}.png", full_page=False)
            if width != 1400:
                continue
            flagged.get_by_role("button", name="Add sender as follower").click()
            expect(page.get_by_text("The sender now follows this case.")).to_be_visible()
            flagged = page.locator(f"#message-{entry['id']}")
            expect(flagged.get_by_role("button", name="Add sender as follower")).to_have_count(0)
            flagged.get_by_role("button", name="Make public").click()
            expect(page.get_by_text("The mail is now public.")).to_be_visible()
            expect(page.locator(f"#message-{entry['id']}").get_by_role("button", name="Make public")).to_have_count(0)
        finally:
            context.close()

    followers = api.get(f"/api/v1/cases/{case['id']}").json()["followers"]
    assert [f["email"] for f in followers] == [f"tor.{tag}@elsewhere.example"]
    [made] = [m for m in messages(api, case["id"]) if m["id"] == entry["id"]]
    assert (made["visibility"], made["from_outsider"]) == ("public", True)
