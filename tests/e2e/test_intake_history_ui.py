"""The case history in the agent UI says why mail landed on the case and what intake could not do (0110, 0148).

Real SMTP in, the real services, and Chromium reading the history page an agent reads.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from look import messages, wait_until
from mail import customer_mail, deliver
from playwright.sync_api import Browser, Page, expect

from chassis.testing import launched_chromium

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-e2e-password"  # tests/system.py


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with launched_chromium() as browser:
        yield browser


def _titled(api: httpx.Client, title: str) -> dict[str, Any] | None:
    # the system is this module's own: the newest cases hold the test's
    items = api.get("/api/v1/cases", params={"limit": 100}).json()["items"]
    return next((c for c in items if c["title"] == title), None)


def _field(api: httpx.Client, name: str, **config: Any) -> None:
    resp = api.put(f"/api/v1/field-config/{name}", json={"used": True, "hidden": False, "required": False, **config})
    assert resp.status_code == 200, resp.text


@pytest.mark.browser
def test_history_shows_missing_required_fields_skipped_cc_and_why_each_mail_landed(system, chromium: Browser):
    sys_, _sink = system
    api = sys_.api()
    tag = uuid.uuid4().hex[:6]
    # an admin made tags required and switched the followers field off: a customer's mail still opens a case
    _field(api, "tags", required=True)
    _field(api, "follower_ids", used=False)
    try:
        first = customer_mail(sender=f"Nina <nina.{tag}@customer.example>", subject=f"Scanner jam {tag}", body="Jam.")
        first["Cc"] = f"Ola <ola.{tag}@customer.example>"
        deliver(sys_.smtp_port, first)
        case = wait_until(lambda: _titled(api, first["Subject"]), timeout=60, what="case from mail")
    finally:
        _field(api, "tags")
        _field(api, "follower_ids")
    answer = customer_mail(
        sender=f"Nina <nina.{tag}@customer.example>",
        subject=f"Re: {first['Subject']}",
        body="It jams again.",
        in_reply_to=first["Message-ID"],
        references=[first["Message-ID"]],
    )
    deliver(sys_.smtp_port, answer)
    wait_until(
        lambda: any("jams again" in m["body_text"] for m in messages(api, case["id"])), timeout=60, what="answer"
    )

    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=sys_.gateway_url)
    page: Page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Email").fill(ADMIN_EMAIL)
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Cases")).to_be_visible()
        page.goto(f"/cases/{case['id']}/history")
        table = page.get_by_role("table")

        missing = table.get_by_role("row").filter(has_text="Required fields still empty")
        expect(missing).to_have_count(1)
        expect(missing).to_contain_text("tags")
        expect(missing).to_contain_text("The customer's message opened the case without them")

        skipped = table.get_by_role("row").filter(has_text="Cc not added as followers")
        expect(skipped).to_have_count(1)
        expect(skipped).to_contain_text(f"ola.{tag}@customer.example")
        expect(skipped).to_contain_text("Why: followers field not in use.")

        mails = table.get_by_role("row").filter(has_text="Mail received")
        expect(mails).to_have_count(2)
        # newest first: the answer threaded by its In-Reply-To, then the mail that opened the case
        expect(mails.nth(0)).to_contain_text(answer["Subject"])
        expect(mails.nth(0)).to_contain_text("Why here: a reply to a mail already on this case (known Message-ID).")
        expect(mails.nth(1)).to_contain_text(re.compile(rf"nina\.{tag}@customer\.example"))
        expect(mails.nth(1)).to_contain_text("nothing tied it to an existing case, so it opened a new one")
        assert "required_fields_missing" not in page.content() and "followers_not_added" not in page.content()
    finally:
        context.close()
