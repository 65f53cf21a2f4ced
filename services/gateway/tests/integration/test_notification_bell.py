"""The bell list (E2, C7): notifications that came before the page was opened are listed on page load."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from conftest import Stack, agent_page, my_notifications, wait_until
from playwright.sync_api import Browser, expect

from chassis.testing import ServiceProcess


@pytest.mark.browser
def test_the_bell_lists_earlier_notifications_on_page_load_and_new_ones_once(
    chromium: Browser,
    stack: Stack,
    api: httpx.Client,
    partner: httpx.Client,
    support_group: dict[str, Any],
    notifications: ServiceProcess,
) -> None:
    # two alerts while the agent has no page open; the older one is then marked read
    titles = [f"Before page load {n} {uuid.uuid4().hex[:6]}" for n in range(2)]
    created = []
    for title in titles:
        made = partner.post("/api/v1/cases", json={"title": title, "group_id": support_group["id"]})
        assert made.status_code == 201, made.text
        created.append(made.json())
    stored = wait_until(
        lambda: (p := my_notifications(api)) and {t for t in titles} <= {n["title"] for n in p["items"]} and p,
        timeout=20,
        what="stored alerts",
    )
    older = next(n for n in stored["items"] if n["title"] == titles[0])
    marked = api.post("/api/v1/notifications/read", json={"up_to_id": older["id"]})
    assert marked.status_code == 200, marked.text
    unread = my_notifications(api)["unread"]

    with agent_page(chromium, stack) as page:
        expect(page.locator("body")).to_have_attribute("data-notifications", "loaded", timeout=10_000)

        alerts = page.get_by_role("list", name="New notifications")
        expect(alerts).to_be_hidden()  # in the bell's dropdown, not pushed into the page
        page.locator("#notif-bell").click()
        expect(alerts).to_be_visible()
        newer_link = alerts.get_by_role("link", name=re.compile(rf"New case in your group: #\d+ {titles[1]}"))
        older_link = alerts.get_by_role("link", name=re.compile(rf"New case in your group: #\d+ {titles[0]}"))
        expect(newer_link).to_have_attribute("href", f"/cases/{created[1]['id']}")
        expect(older_link).to_be_visible()
        # newest first; the read one is shown as read, the unread count is the stored one
        items = alerts.get_by_role("listitem")
        texts = items.all_inner_texts()
        assert texts.index(next(t for t in texts if titles[1] in t)) < texts.index(
            next(t for t in texts if titles[0] in t)
        )
        expect(items.filter(has_text=titles[0])).to_have_class("notif-read")
        expect(items.filter(has_text=titles[1])).not_to_have_class("notif-read")
        expect(page.locator("#notif-count")).to_have_text(str(unread))

        # a new alert arrives over the stream: listed on top, once, and counted
        expect(page.locator("body")).to_have_attribute("data-stream", "open")
        live = f"After page load {uuid.uuid4().hex[:6]}"
        made = partner.post("/api/v1/cases", json={"title": live, "group_id": support_group["id"]})
        assert made.status_code == 201, made.text
        live_link = alerts.get_by_role("link", name=re.compile(rf"#\d+ {live}"))
        expect(live_link).to_have_count(1, timeout=15_000)
        assert live in items.first.inner_text()
        expect(page.locator("#notif-count")).to_have_text(str(unread + 1))

        # reloading lists it from the store, still once
        page.reload()
        expect(page.locator("body")).to_have_attribute("data-notifications", "loaded", timeout=10_000)
        page.locator("#notif-bell").click()
        expect(alerts.get_by_role("link", name=re.compile(rf"#\d+ {live}"))).to_have_count(1)
        expect(alerts.get_by_role("link", name=re.compile(rf"#\d+ {titles[0]}"))).to_have_count(1)
