"""The admin console's mail health pages against the real gateway, cases, notifications and mail gateway: the
suppression list (clear one), the delivery log, and the inbound mail audit with its raw-message download."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from conftest import Stack, agent_page, wait_until
from playwright.sync_api import Browser, expect
from test_admin_console import SCREENSHOTS, admin_http, agent_http, csrf, plain_agent
from test_admin_customers import send_mail

from chassis.amqp import ConfirmedPublisher, event_exchange
from chassis.testing import ServiceProcess
from contracts.envelope import Envelope
from contracts.mail_gateway import MailBounced

__all__ = ["admin_http", "agent_http", "plain_agent"]  # fixtures this module uses


@pytest.fixture(scope="module", autouse=True)
def services(notifications: ServiceProcess, mail: dict[str, Any]) -> dict[str, Any]:
    """Deliveries and suppressions live in notifications, inbound mail in the mail gateway."""
    return mail


def bounce(stack: Stack, address: str) -> None:
    """A hard bounce of our mail to `address`, as the mail gateway reports it."""
    publisher = ConfirmedPublisher(stack.amqp_uri, declare=[event_exchange("mail_gateway")])
    try:
        envelope = Envelope.wrap(
            MailBounced(inbound_mail_id=1, recipient=address, status="5.1.1"), source="mail_gateway"
        )
        publisher.publish(
            envelope.model_dump(mode="json"),
            exchange=event_exchange("mail_gateway"),
            routing_key=envelope.event_type,
            message_id=envelope.event_id,
        )
    finally:
        publisher.close()


def test_a_suppressed_address_is_listed_and_cleared(stack: Stack, admin_http: httpx.Client, api: httpx.Client) -> None:
    address = f"bounced-{uuid.uuid4().hex[:6]}@customer.example"
    bounce(stack, address)
    wait_until(
        lambda: api.get("/api/v1/suppressions", params={"address": address}).json()["items"],
        timeout=30,
        what="the suppression",
    )
    page = admin_http.get("/admin/suppressions", params={"address": address})
    assert page.status_code == 200 and address in page.text and "hard bounce 5.1.1" in page.text
    too_long = admin_http.get("/admin/suppressions", params={"address": "x" * 321})
    assert too_long.status_code == 422 and 'id="filter-address-error"' in too_long.text

    token = csrf(page.text)
    cleared = admin_http.post("/admin/suppressions/clear", data={"csrf_token": token, "address": address})
    assert cleared.status_code == 303
    assert api.get("/api/v1/suppressions", params={"address": address}).json()["items"] == []
    [entry] = api.get("/api/v1/audit", params={"object_type": "suppression", "object_id": address}).json()["items"]
    assert (entry["action"], entry["actor"]["channel"], entry["before"]["address"]) == ("clear", "web", address)
    assert f"Mail goes to {address} again" in admin_http.get("/admin/suppressions").text
    again = admin_http.post("/admin/suppressions/clear", data={"csrf_token": token, "address": address})
    assert again.status_code == 303
    assert "is not suppressed" in admin_http.get("/admin/suppressions").text
    forged = admin_http.post("/admin/suppressions/clear", data={"address": address})
    assert forged.status_code == 403


def test_the_delivery_log_filters_by_case_and_shows_a_bad_filter_by_its_field(
    admin_http: httpx.Client, api: httpx.Client
) -> None:
    requester = f"log-{uuid.uuid4().hex[:6]}@customer.example"
    case = api.post("/api/v1/cases", json={"title": "Delivery log page", "requester_email": requester}).json()
    reply = api.post(f"/api/v1/cases/{case['id']}/messages", json={"body": "On it.", "visibility": "public"})
    assert reply.status_code == 201, reply.text

    def logged() -> str | None:
        page = admin_http.get("/admin/deliveries", params={"case": case["id"]})
        return page.text if requester in page.text and ">sent<" in page.text else None

    html = wait_until(logged, timeout=30, what="the reply in the delivery log")
    assert f'href="/cases/{case["id"]}"' in html
    by_recipient = admin_http.get("/admin/deliveries", params={"recipient": requester.upper()})
    assert requester in by_recipient.text
    bad = admin_http.get("/admin/deliveries", params={"case": "abc"})
    assert bad.status_code == 422 and 'id="filter-case-error"' in bad.text


def test_the_inbound_audit_lists_a_mail_and_an_admin_downloads_it_raw(
    admin_http: httpx.Client, agent_http: httpx.Client, api: httpx.Client, services: dict[str, Any]
) -> None:
    subject = f"Raw please {uuid.uuid4().hex[:6]}"
    raw = send_mail(services["smtp_port"], "nina@customer.example", subject)

    def listed() -> dict[str, Any] | None:
        items = api.get("/api/v1/inbound-mail", params={"limit": 20}).json()["items"]
        return next((i for i in items if i["subject"] == subject and i["case_id"]), None)

    entry = wait_until(listed, timeout=30, what="the mail became a case")
    page = admin_http.get("/admin/inbound-mail", params={"case_id": entry["case_id"]})
    assert page.status_code == 200 and subject in page.text
    assert f'href="/admin/inbound-mail/{entry["id"]}/raw"' in page.text
    assert f'href="/cases/{entry["case_id"]}"' in page.text
    bounces = admin_http.get("/admin/inbound-mail", params={"classification": "bounce"})
    assert subject not in bounces.text
    bad = admin_http.get("/admin/inbound-mail", params={"case_id": "abc"})
    assert bad.status_code == 422 and 'id="filter-case_id-error"' in bad.text

    got = admin_http.get(f"/admin/inbound-mail/{entry['id']}/raw")
    assert got.status_code == 200 and got.content == raw
    assert got.headers["content-type"] == "message/rfc822"
    assert got.headers["content-disposition"] == f'attachment; filename="inbound-{entry["id"]}.eml"'
    assert got.headers["etag"] == api.get(entry["raw_url"]).headers["etag"]
    assert admin_http.get("/admin/inbound-mail/2147483000/raw").status_code == 404
    refused = agent_http.get(f"/admin/inbound-mail/{entry['id']}/raw")
    assert refused.status_code == 403 and raw not in refused.content


def test_mail_health_pages_are_for_admins_only(agent_http: httpx.Client) -> None:
    for path in ("/admin/suppressions", "/admin/deliveries", "/admin/inbound-mail"):
        assert agent_http.get(path).status_code == 403, path


@pytest.mark.browser
def test_filter_the_inbound_audit_in_the_browser(chromium: Browser, stack: Stack, services: dict[str, Any]) -> None:
    subject = f"Out of office {uuid.uuid4().hex[:4]}"
    send_mail(services["smtp_port"], "away@customer.example", subject, **{"Auto-Submitted": "auto-replied"})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with agent_page(chromium, stack) as page:
        page.goto("/admin")
        page.get_by_role("link", name="Inbound mail").first.click()
        page.get_by_label("Classification").select_option("auto_reply")

        def shown() -> bool:
            page.get_by_role("button", name="Filter").click()
            return page.get_by_text(subject).count() > 0

        wait_until(shown, timeout=30, what="the auto-reply listed")
        expect(page.get_by_role("link", name=f"Download .eml of {subject}")).to_be_visible()
    for width, suffix in ((1400, ""), (390, "-phone")):
        with agent_page(chromium, stack) as page:
            page.set_viewport_size({"width": width, "height": 900})
            for path, name in (
                ("/admin/suppressions", "admin-suppressions"),
                ("/admin/deliveries", "admin-deliveries"),
                ("/admin/inbound-mail", "admin-inbound-mail"),
            ):
                page.goto(path)
                expect(page.get_by_role("main")).to_be_visible()
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
                page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"), full_page=False)
