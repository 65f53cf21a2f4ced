"""Web Push for agents through the gateway (E2): the public key, my subscriptions, the service worker, the opt-in.

A case in my group ends as a push to a local fake push service, decrypted here with the browser's key.
"""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Stack, agent_page, wait_until
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import expect

from chassis.testing import ServiceProcess

# the fake push service and browser keys are shared with the notifications service's own tests
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "notifications" / "tests"))
from push_kit import Browser, FakePushService, unb64, vapid_claims


@pytest.fixture(scope="module")
def push_service() -> Iterator[FakePushService]:
    service = FakePushService().start()
    yield service
    service.stop()


def test_the_public_key_and_my_subscriptions(
    api: httpx.Client, stack: Stack, notifications: ServiceProcess, push_service: FakePushService
) -> None:
    key = api.get("/api/v1/push/vapid-public-key")
    assert key.status_code == 200, key.text
    point = unb64(key.json()["public_key"])
    assert len(point) == 65 and point[0] == 4

    browser = Browser.at(push_service)
    created = api.post("/api/v1/me/push-subscriptions", json=browser.subscription())
    assert created.status_code == 201, created.text
    assert created.json()["endpoint"] == browser.endpoint
    assert browser.endpoint in [s["endpoint"] for s in api.get("/api/v1/me/push-subscriptions").json()]

    bad = api.post("/api/v1/me/push-subscriptions", json={"endpoint": browser.endpoint, "keys": {"p256dh": "x"}})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
    wrong_keys = {**browser.subscription(), "keys": {"p256dh": "A" * 87, "auth": "A" * 22}}
    refused = api.post("/api/v1/me/push-subscriptions", json=wrong_keys)
    assert refused.status_code == 422 and refused.json()["error"]["details"][0]["field"] == "keys.p256dh"

    gone = api.request("DELETE", "/api/v1/me/push-subscriptions", json={"endpoint": browser.endpoint})
    assert gone.status_code == 204, gone.text
    again = api.request("DELETE", "/api/v1/me/push-subscriptions", json={"endpoint": browser.endpoint})
    assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"
    with stack.anonymous() as anonymous:
        assert anonymous.post("/api/v1/me/push-subscriptions", json=browser.subscription()).status_code == 401


def test_a_case_in_my_group_is_pushed_to_my_browser(
    api: httpx.Client,
    partner: httpx.Client,
    support_group: dict[str, Any],
    notifications: ServiceProcess,
    push_service: FakePushService,
) -> None:
    browser = Browser.at(push_service)
    assert api.post("/api/v1/me/push-subscriptions", json=browser.subscription()).status_code == 201
    title = f"Pushed {uuid.uuid4().hex[:6]}"
    created = partner.post("/api/v1/cases", json={"title": title, "group_id": support_group["id"]})
    assert created.status_code == 201, created.text

    [request] = wait_until(lambda: push_service.to(browser.path), timeout=20, what="a push")
    payload = browser.decrypt(request)
    assert payload["body"] == title and payload["case_id"] == created.json()["id"]
    assert payload["title"].startswith("New case in your group: #")
    public_key = api.get("/api/v1/push/vapid-public-key").json()["public_key"]
    assert vapid_claims(request, public_key)["aud"] == f"http://127.0.0.1:{push_service.port}"
    api.request("DELETE", "/api/v1/me/push-subscriptions", json={"endpoint": browser.endpoint})


def test_my_sms_number(api: httpx.Client, notifications: ServiceProcess) -> None:
    assert api.get("/api/v1/me/sms-number").json() == {"phone": None}
    changed = api.put("/api/v1/me/sms-number", json={"phone": "0047 912 34 567"})
    assert changed.status_code == 200 and changed.json() == {"phone": "+4791234567"}, changed.text
    assert api.get("/api/v1/me/sms-number").json() == {"phone": "+4791234567"}
    bad = api.put("/api/v1/me/sms-number", json={"phone": "not a number"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
    prefs = api.put("/api/v1/notifications/preferences/sla_breached/sms", json={"enabled": True})
    assert prefs.status_code == 200 and prefs.json()["sla_breached"]["sms"] is True
    assert api.delete("/api/v1/me/sms-number").status_code == 204
    assert api.delete("/api/v1/me/sms-number").status_code == 404


def test_the_service_worker_is_served_for_the_whole_ui(stack: Stack) -> None:
    with stack.anonymous() as anonymous:
        resp = anonymous.get("/push-sw.js")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/javascript")
    assert resp.headers["service-worker-allowed"] == "/"
    assert 'addEventListener("push"' in resp.text


@pytest.mark.browser
def test_the_opt_in_button_and_a_cookie_session_needs_its_csrf_token(
    stack: Stack, chromium: Chromium, notifications: ServiceProcess, push_service: FakePushService
) -> None:
    with agent_page(chromium, stack) as page:
        # the service worker registered and this browser is not subscribed yet; the button is in the account menu
        expect(page.locator("#push-optin")).not_to_have_attribute("hidden", re.compile(".*"), timeout=15_000)
        page.locator("#account-menu").click()
        expect(page.get_by_role("button", name="Turn on push notifications")).to_be_visible()
        # `ready` waits for the worker to be active (getRegistration raced it on a busy machine); 15 s at most
        scope = page.evaluate(
            """() => Promise.race([
                navigator.serviceWorker.ready.then(r => r.scope),
                new Promise(resolve => setTimeout(() => resolve("no active service worker"), 15000)),
            ])"""
        )
        assert scope.endswith("/"), scope

        # what push.js sends after PushManager.subscribe(), with and without the page's CSRF token
        post = """async ([sub, withToken]) => {
            const token = document.querySelector("input[name=csrf_token]").value;
            const headers = {"Content-Type": "application/json"};
            if (withToken) headers["X-CSRF-Token"] = token;
            const r = await fetch("/api/v1/me/push-subscriptions",
                {method: "POST", credentials: "same-origin", headers, body: JSON.stringify(sub)});
            return r.status;
        }"""
        browser = Browser.at(push_service)
        assert page.evaluate(post, [browser.subscription(), False]) == 403
        assert page.evaluate(post, [browser.subscription(), True]) == 201
