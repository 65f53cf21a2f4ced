"""The admin console's case set-up areas over HTTP and in Chromium against the real gateway, cases and
PostgreSQL: custom fields, field configuration, case settings, business calendars, SLA policies, templates,
canned replies and recurring cases. Per area: create, edit, and an error shown next to its field."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from conftest import Stack, agent_page
from playwright.sync_api import Browser, Page, expect
from test_admin_console import SCREENSHOTS, admin_http, csrf, hidden

__all__ = ["admin_http"]  # the fixture, imported for pytest


def _uid() -> str:
    return uuid.uuid4().hex[:6]


def _items(api: httpx.Client, path: str) -> list[dict[str, Any]]:
    resp = api.get(path)
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


def _one(api: httpx.Client, path: str, **match: Any) -> dict[str, Any]:
    found = [i for i in _items(api, path) if all(i.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"{match} in {path}: {found}"
    return found[0]


def _week(**days: tuple[str, str]) -> dict[str, str]:
    """Form fields of a calendar's opening hours: one window per given weekday, every other day closed."""
    form: dict[str, str] = {}
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        start, end = days.get(day, ("", ""))
        form[f"hours-{day}-from"], form[f"hours-{day}-to"] = start, end
    return form


def test_the_index_links_the_case_setup_areas(admin_http: httpx.Client) -> None:
    page = admin_http.get("/admin").text
    for path in (
        "/admin/custom-fields",
        "/admin/field-config",
        "/admin/case-settings",
        "/admin/calendars",
        "/admin/sla-policies",
        "/admin/templates",
        "/admin/canned-replies",
        "/admin/recurrences",
    ):
        assert f'href="{path}"' in page, path
        assert admin_http.get(path).status_code == 200, path


# -- custom fields and field configuration ---------------------------------------------------------


def test_custom_field_create_edit_and_a_select_without_choices(admin_http: httpx.Client, api: httpx.Client) -> None:
    token = csrf(admin_http.get("/admin/custom-fields").text)
    key = f"contract_{_uid()}"
    base = {"csrf_token": token, "label": "Contract", "key": key, "type": "select", "used": "1"}
    bad = admin_http.post("/admin/custom-fields", data={**base, "options": ""})
    assert bad.status_code == 422
    assert 'id="f-options-help"' in bad.text and "a select field needs options" in bad.text
    assert all(f["key"] != key for f in _items(api, "/api/v1/custom-fields"))

    ok = admin_http.post("/admin/custom-fields", data={**base, "options": "Gold\n Silver \n\nBronze"})
    assert ok.status_code == 303, ok.text
    stored = _one(api, "/api/v1/custom-fields", key=key)
    assert stored["options"] == ["Gold", "Silver", "Bronze"] and stored["type"] == "select"

    form = admin_http.get(f"/admin/custom-fields/{stored['id']}").text
    assert "Gold\nSilver\nBronze" in form and 'name="key"' not in form  # the key cannot change
    edited = admin_http.post(
        f"/admin/custom-fields/{stored['id']}",
        data={
            "csrf_token": token,
            "version": hidden(form, "version"),
            "label": "Contract level",
            "options": "Gold\nSilver",
            "used": "1",
            "required": "1",
        },
    )
    assert edited.status_code == 303, edited.text
    after = _one(api, "/api/v1/custom-fields", key=key)
    assert (after["label"], after["options"], after["required"]) == ("Contract level", ["Gold", "Silver"], True)


def test_a_bad_key_is_shown_next_to_the_key(admin_http: httpx.Client) -> None:
    token = csrf(admin_http.get("/admin/custom-fields").text)
    bad = admin_http.post(
        "/admin/custom-fields", data={"csrf_token": token, "label": "Serial", "key": "Serial No", "type": "text"}
    )
    assert bad.status_code == 422 and 'id="f-key-help"' in bad.text


def test_field_configuration_one_choice_per_field(admin_http: httpx.Client, api: httpx.Client) -> None:
    page = admin_http.get("/admin/field-config").text
    token, version = csrf(page), hidden(page, "version")
    bad = admin_http.post("/admin/field-config", data={"csrf_token": token, "version": version, "tags": "both"})
    assert bad.status_code == 422 and 'id="fc-tags-help"' in bad.text

    ok = admin_http.post(
        "/admin/field-config",
        data={"csrf_token": token, "version": version, "external_ref": "required", "solution": "hidden"},
    )
    assert ok.status_code == 303, ok.text
    configs = {c["field"]: c for c in _items(api, "/api/v1/field-config")}
    assert (configs["external_ref"]["required"], configs["external_ref"]["hidden"]) == (True, False)
    log = api.get("/api/v1/audit", params={"object_type": "field_config", "object_id": "external_ref"})
    assert log.json()["items"][0]["after"]["required"] is True
    assert (configs["solution"]["hidden"], configs["solution"]["used"]) == (True, True)

    # the form we opened before is now stale: another save would overwrite that change
    stale = admin_http.post(
        "/admin/field-config", data={"csrf_token": token, "version": version, "external_ref": "off"}
    )
    assert stale.status_code == 409 and "Another admin changed" in stale.text
    fresh = admin_http.get("/admin/field-config").text
    reset = admin_http.post(
        "/admin/field-config",
        data={"csrf_token": token, "version": hidden(fresh, "version"), "external_ref": "shown", "solution": "shown"},
    )
    assert reset.status_code == 303


# -- case settings ----------------------------------------------------------------------------------


def test_case_settings_save_refuse_bad_input_and_conflicts(admin_http: httpx.Client, api: httpx.Client) -> None:
    page = admin_http.get("/admin/case-settings").text
    token, version = csrf(page), hidden(page, "version")
    before = api.get("/api/v1/settings/cases").json()
    form = {
        "csrf_token": token,
        "version": version,
        "agent_reply_sets_waiting": "1",
        "contact_reply_reopens": "1",
        "concurrency": "strict",
    }
    bad = admin_http.post("/admin/case-settings", data={**form, "closed_reply": "explode"})
    assert bad.status_code == 422 and 'id="f-closed_reply-help"' in bad.text
    assert api.get("/api/v1/settings/cases").json() == before

    ok = admin_http.post("/admin/case-settings", data={**form, "closed_reply": "follow_up"})
    assert ok.status_code == 303, ok.text
    after = api.get("/api/v1/settings/cases").json()
    assert after["closed_reply"] == "follow_up" and after["hold_unknown_senders"] is False

    stale = admin_http.post("/admin/case-settings", data={**form, "closed_reply": "reopen"})
    assert stale.status_code == 409 and "Another admin changed" in stale.text
    assert api.get("/api/v1/settings/cases").json()["closed_reply"] == "follow_up"
    assert api.patch("/api/v1/settings/cases", json={"closed_reply": before["closed_reply"]}).status_code == 200


# -- calendars and SLA policies ---------------------------------------------------------------------


def test_calendar_create_edit_and_errors_next_to_their_field(admin_http: httpx.Client, api: httpx.Client) -> None:
    token = csrf(admin_http.get("/admin/calendars").text)
    name = f"Berlin office {_uid()}"
    form = {
        "csrf_token": token,
        "name": name,
        "timezone": "Europe/Berlin",
        "country": "DE",
        "subdivision": "BE",
        "closed_dates": "2026-12-24, 2026-12-31",
        **_week(mon=("08:00", "16:00"), sat=("9", "12:00")),
    }
    bad_time = admin_http.post("/admin/calendars", data=form)
    assert bad_time.status_code == 422 and 'id="hours-sat-help"' in bad_time.text
    assert "Saturday" in bad_time.text
    bad_country = admin_http.post("/admin/calendars", data={**form, **_week(mon=("08:00", "16:00")), "country": "XX"})
    assert bad_country.status_code == 422 and 'id="f-country-help"' in bad_country.text
    bad_date = admin_http.post("/admin/calendars", data={**form, **_week(), "closed_dates": "2026-13-01"})
    assert bad_date.status_code == 422 and 'id="f-closed_dates-help"' in bad_date.text
    assert all(c["name"] != name for c in _items(api, "/api/v1/business-calendars"))

    # "+ hours" gives Tuesday a second window without saving anything
    more = admin_http.post("/admin/calendars", data={**form, **_week(tue=("08:00", "12:00")), "add_hours": "tue"})
    assert more.status_code == 200 and 'id="h-tue-2-from"' in more.text
    assert all(c["name"] != name for c in _items(api, "/api/v1/business-calendars"))

    week = _week(mon=("08:00", "16:00"), tue=("08:00", "12:00"))
    ok = admin_http.post(
        "/admin/calendars",
        data={**form, **week, "hours-tue-from": ["08:00", "13:00"], "hours-tue-to": ["12:00", "17:00"]},
    )
    assert ok.status_code == 303, ok.text
    stored = _one(api, "/api/v1/business-calendars", name=name)
    assert stored["hours"] == {"mon": [["08:00", "16:00"]], "tue": [["08:00", "12:00"], ["13:00", "17:00"]]}
    assert (stored["country"], stored["subdivision"]) == ("DE", "BE")
    assert stored["closed_dates"] == ["2026-12-24", "2026-12-31"]

    page = admin_http.get(f"/admin/calendars/{stored['id']}").text
    assert 'value="13:00"' in page and "2026-12-24, 2026-12-31" in page
    edited = admin_http.post(
        f"/admin/calendars/{stored['id']}",
        data={
            "csrf_token": token,
            "version": hidden(page, "version"),
            "name": name,
            "timezone": "Europe/Berlin",
            "country": "DE",
            "subdivision": "",
            "closed_dates": "",
            **_week(mon=("07:00", "15:00")),
        },
    )
    assert edited.status_code == 303, edited.text
    after = _one(api, "/api/v1/business-calendars", name=name)
    assert after["hours"] == {"mon": [["07:00", "15:00"]]} and after["closed_dates"] == []
    assert after["subdivision"] is None
    # both changes are in the audit log, as the console's, with before and after
    log = api.get("/api/v1/audit", params={"object_type": "business_calendar", "object_id": str(stored["id"])})
    entries = {e["action"]: e for e in log.json()["items"]}
    assert entries["create"]["actor"]["channel"] == "web" and entries["create"]["outcome"] == "succeeded"
    assert entries["update"]["before"]["subdivision"] == "BE" and entries["update"]["after"]["subdivision"] is None


def test_sla_policy_with_a_calendar_and_a_calendar_in_use(admin_http: httpx.Client, api: httpx.Client) -> None:
    calendar = api.post("/api/v1/business-calendars", json={"name": f"Oslo {_uid()}", "timezone": "Europe/Oslo"})
    assert calendar.status_code == 201, calendar.text
    cal = calendar.json()
    token = csrf(admin_http.get("/admin/sla-policies").text)
    name = f"Urgent {_uid()}"
    form = {
        "csrf_token": token,
        "name": name,
        "calendar_id": str(cal["id"]),
        "priority": "urgent",
        "warning_percent": "",
        "active": "1",
    }
    bad = admin_http.post("/admin/sla-policies", data=form)
    assert bad.status_code == 422 and "a policy needs first_response_minutes or resolution_minutes" in bad.text
    assert all(p["name"] != name for p in _items(api, "/api/v1/sla-policies"))

    ok = admin_http.post("/admin/sla-policies", data={**form, "first_response_minutes": "60"})
    assert ok.status_code == 303, ok.text
    policy = _one(api, "/api/v1/sla-policies", name=name)
    assert (policy["calendar_id"], policy["priority"], policy["warning_percent"]) == (cal["id"], "urgent", 80)
    listing = admin_http.get("/admin/sla-policies").text
    assert cal["name"] in listing and "urgent priority" in listing

    page = admin_http.get(f"/admin/sla-policies/{policy['id']}").text
    edited = admin_http.post(
        f"/admin/sla-policies/{policy['id']}",
        data={
            **form,
            "version": hidden(page, "version"),
            "first_response_minutes": "30",
            "resolution_minutes": "480",
            "warning_percent": "75",
        },
    )
    assert edited.status_code == 303, edited.text
    after = _one(api, "/api/v1/sla-policies", name=name)
    assert (after["first_response_minutes"], after["resolution_minutes"], after["warning_percent"]) == (30, 480, 75)

    cal_page = admin_http.get(f"/admin/calendars/{cal['id']}").text
    refused = admin_http.post(
        f"/admin/calendars/{cal['id']}/delete", data={"csrf_token": token, "version": hidden(cal_page, "version")}
    )
    assert refused.status_code == 409
    assert "SLA policies use it" in refused.text and name in refused.text
    assert any(c["id"] == cal["id"] for c in _items(api, "/api/v1/business-calendars"))

    page = admin_http.get(f"/admin/sla-policies/{policy['id']}").text
    gone = admin_http.post(
        f"/admin/sla-policies/{policy['id']}/delete", data={"csrf_token": token, "version": hidden(page, "version")}
    )
    assert gone.status_code == 303
    deleted = admin_http.post(
        f"/admin/calendars/{cal['id']}/delete", data={"csrf_token": token, "version": hidden(cal_page, "version")}
    )
    assert deleted.status_code == 303
    assert all(c["id"] != cal["id"] for c in _items(api, "/api/v1/business-calendars"))


# -- templates, canned replies, recurring cases --------------------------------------------------------


def _template(api: httpx.Client) -> dict[str, Any]:
    created = api.post("/api/v1/templates", json={"name": f"Onboarding {_uid()}", "title": "New employee"})
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


def test_template_create_edit_and_a_missing_title(admin_http: httpx.Client, api: httpx.Client) -> None:
    token = csrf(admin_http.get("/admin/templates").text)
    name = f"Laptop {_uid()}"
    form = {
        "csrf_token": token,
        "name": name,
        "title": "",
        "default_priority": "high",
        "default_status": "open",
        "description": "Order a laptop.",
    }
    bad = admin_http.post("/admin/templates", data=form)
    assert bad.status_code == 422 and 'id="f-title-help"' in bad.text
    assert all(t["name"] != name for t in _items(api, "/api/v1/templates"))

    ok = admin_http.post("/admin/templates", data={**form, "title": "Laptop for a new employee"})
    assert ok.status_code == 303, ok.text
    stored = _one(api, "/api/v1/templates", name=name)
    assert (stored["default_priority"], stored["default_status"]) == ("high", "open")

    page = admin_http.get(f"/admin/templates/{stored['id']}").text
    edited = admin_http.post(
        f"/admin/templates/{stored['id']}",
        data={**form, "version": hidden(page, "version"), "title": "Laptop and phone", "default_priority": "low"},
    )
    assert edited.status_code == 303, edited.text
    after = _one(api, "/api/v1/templates", name=name)
    assert (after["title"], after["default_priority"]) == ("Laptop and phone", "low")


def test_canned_reply_create_open_and_delete(admin_http: httpx.Client, api: httpx.Client) -> None:
    token = csrf(admin_http.get("/admin/canned-replies").text)
    title = f"Thanks {_uid()}"
    bad = admin_http.post("/admin/canned-replies", data={"csrf_token": token, "title": title, "body": ""})
    assert bad.status_code == 422 and 'id="f-body-help"' in bad.text
    ok = admin_http.post(
        "/admin/canned-replies", data={"csrf_token": token, "title": title, "body": "Thank you for writing."}
    )
    assert ok.status_code == 303, ok.text
    stored = _one(api, "/api/v1/canned-replies", title=title)
    page = admin_http.get(f"/admin/canned-replies/{stored['id']}")
    assert page.status_code == 200 and "Thank you for writing." in page.text and "Delete canned reply" in page.text
    assert admin_http.post(f"/admin/canned-replies/{stored['id']}", data={"csrf_token": token}).status_code == 405
    gone = admin_http.post(
        f"/admin/canned-replies/{stored['id']}/delete",
        data={"csrf_token": token, "version": hidden(page.text, "version")},
    )
    assert gone.status_code == 303
    assert all(r["title"] != title for r in _items(api, "/api/v1/canned-replies"))


def test_recurrence_create_pause_and_a_bad_interval(admin_http: httpx.Client, api: httpx.Client) -> None:
    template = _template(api)
    token = csrf(admin_http.get("/admin/recurrences").text)
    form = {
        "csrf_token": token,
        "template_id": str(template["id"]),
        "every": "0",
        "unit": "week",
        "start_at": "2027-01-04T09:00",
        "active": "1",
    }
    bad = admin_http.post("/admin/recurrences", data=form)
    assert bad.status_code == 422 and 'id="f-every-help"' in bad.text
    assert all(r["template_id"] != template["id"] for r in _items(api, "/api/v1/recurrences"))

    ok = admin_http.post("/admin/recurrences", data={**form, "every": "2"})
    assert ok.status_code == 303, ok.text
    stored = _one(api, "/api/v1/recurrences", template_id=template["id"])
    assert (stored["every"], stored["unit"], stored["active"]) == (2, "week", True)
    assert template["name"] in admin_http.get("/admin/recurrences").text

    page = admin_http.get(f"/admin/recurrences/{stored['id']}").text
    paused = admin_http.post(
        f"/admin/recurrences/{stored['id']}", data={"csrf_token": token, "version": hidden(page, "version")}
    )
    assert paused.status_code == 303, paused.text
    assert _one(api, "/api/v1/recurrences", template_id=template["id"])["active"] is False


# -- in the browser -----------------------------------------------------------------------------------


def _pick(page: Page, label: str, option: str) -> None:
    """Choose in a Tom Select picker as a person does: open it, click the option. (A required field's name
    ends in the toolkit's "*", so the label is matched as a prefix.)"""
    page.get_by_role("combobox", name=label).locator("xpath=..").click()  # the picker's box
    page.get_by_role("listbox", name=label).get_by_role("option", name=option, exact=True).click()


@pytest.mark.browser
def test_a_calendar_then_an_sla_policy_on_it_then_a_template(
    chromium: Browser, stack: Stack, api: httpx.Client
) -> None:
    calendar, policy, template = f"Support hours {_uid()}", f"Standard {_uid()}", f"Password reset {_uid()}"
    with agent_page(chromium, stack) as page:
        page.get_by_role("link", name="Admin").click()
        page.get_by_role("link", name="Business calendars").first.click()
        page.get_by_label("Name").fill(calendar)
        page.get_by_label("Public holidays of").fill("NO")
        page.get_by_label("Saturday from", exact=True).fill("10:00")
        page.get_by_label("Saturday to", exact=True).fill("14:00")
        page.get_by_role("button", name="+ hours on Monday").click()
        page.get_by_label("Monday to", exact=True).fill("12:00")
        page.get_by_label("Monday from (2)").fill("13:00")
        page.get_by_label("Monday to (2)").fill("17:00")
        page.get_by_label("Extra days off").fill("2026-12-24, 2026-12-31")
        page.keyboard.press("Escape")  # the date picker's calendar closes
        page.get_by_role("button", name="Add calendar").click()
        expect(page.get_by_role("status")).to_contain_text("added")
        expect(page.get_by_role("cell", name=calendar, exact=True)).to_be_visible()

        page.get_by_role("link", name="SLA policies").first.click()
        page.get_by_label("Name").fill(policy)
        page.get_by_label("First response within (minutes)").fill("120")
        page.get_by_label("Resolved within (minutes)").fill("960")
        _pick(page, "Business calendar", calendar)
        page.get_by_role("button", name="Add policy").click()
        expect(page.get_by_role("status")).to_contain_text("added")
        expect(page.get_by_role("cell", name=policy, exact=True)).to_be_visible()

        page.get_by_role("link", name="Case templates").first.click()
        page.get_by_label("Template name").fill(template)
        page.get_by_label("Case title").fill("Reset a password")
        _pick(page, "Priority", "High")
        page.get_by_role("button", name="Add template").click()
        expect(page.get_by_role("status")).to_contain_text("added")

    cal = _one(api, "/api/v1/business-calendars", name=calendar)
    assert cal["country"] == "NO" and cal["closed_dates"] == ["2026-12-24", "2026-12-31"]
    assert cal["hours"]["mon"] == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert cal["hours"]["sat"] == [["10:00", "14:00"]] and "sun" not in cal["hours"]
    stored = _one(api, "/api/v1/sla-policies", name=policy)
    assert (stored["calendar_id"], stored["first_response_minutes"], stored["active"]) == (cal["id"], 120, True)
    assert _one(api, "/api/v1/templates", name=template)["default_priority"] == "high"


# the innermost elements that reach past the window's right edge, to say what makes a page scroll sideways
WIDER_THAN_THE_WINDOW = """
[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && e.children.length === 0)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))
"""


@pytest.mark.browser
def test_the_case_setup_pages_fit_a_phone_and_a_desktop(chromium: Browser, stack: Stack, api: httpx.Client) -> None:
    cal = api.post("/api/v1/business-calendars", json={"name": f"Screens {_uid()}", "country": "GB"}).json()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    paths = (
        "/admin/custom-fields",
        "/admin/field-config",
        "/admin/case-settings",
        "/admin/calendars",
        f"/admin/calendars/{cal['id']}",
        "/admin/sla-policies",
        "/admin/templates",
        "/admin/canned-replies",
        "/admin/recurrences",
    )
    for width, suffix in ((1400, ""), (390, "-phone")):
        with agent_page(chromium, stack) as page:
            page.set_viewport_size({"width": width, "height": 900})
            for path in paths:
                page.goto(path)
                expect(page.get_by_role("main")).to_be_visible()
                name = "admin" + path.replace("/admin", "").replace("/", "-")
                page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"), full_page=True)
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                wide = page.evaluate(WIDER_THAN_THE_WINDOW) if overflow > 0 else []
                assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px: {wide}"
