"""The agent UI's contacts and organisations against the real gateway and cases service: open a contact from a
case and from the list, edit it, see all its cases; an organisation with its members and cases; a bad edit
keeps what was typed and says what is wrong next to the field; a light agent reads only, and only their
groups' cases."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Stack, agent_page
from playwright.sync_api import Browser, expect

from gateway import access

SCREENSHOTS = Path(os.environ.get("HELPDESK_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="agent-contacts-"))
PASSWORD = "correct horse battery staple 7"


def _made(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code in (200, 201), resp.text
    return dict(resp.json())


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} in the page"
    return match.group(1)


def _signed_in(stack: Stack, email: str) -> httpx.Client:
    access.set_agent_password(factory=stack.db(), email=email, password=PASSWORD)
    client = httpx.Client(base_url=stack.base_url, timeout=20)
    token = _csrf(client.get("/login").text)
    resp = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert resp.status_code == 303, resp.text
    return client


@pytest.fixture(scope="module")
def world(api: httpx.Client) -> Iterator[dict[str, Any]]:
    """An organisation with two contacts; one of them has a case in the light agent's group and one elsewhere."""
    tag = uuid.uuid4().hex[:6]
    org = _made(api.post("/api/v1/organisations", json={"name": f"Fjord Freight {tag}"}))
    kari = _made(
        api.post(
            "/api/v1/contacts",
            json={
                "name": f"Kari Nordmann {tag}",
                "emails": [f"kari-{tag}@fjord.example"],
                "organisation_id": org["id"],
            },
        )
    )
    ola = _made(
        api.post(
            "/api/v1/contacts",
            json={"name": f"Ola Hansen {tag}", "emails": [f"ola-{tag}@fjord.example"], "organisation_id": org["id"]},
        )
    )
    light = _made(
        api.post("/api/v1/agents", json={"email": f"li-{tag}@example.com", "name": "Lise", "role": "light_agent"})
    )
    field = _made(api.post("/api/v1/groups", json={"name": f"Field {tag}", "member_ids": [light["id"]]}))
    other = _made(api.post("/api/v1/groups", json={"name": f"Office {tag}"}))

    def case(title: str, requester: dict[str, Any], group: dict[str, Any]) -> dict[str, Any]:
        body = {
            "title": f"{title} {tag}",
            "requester_email": requester["emails"][0],
            "group_id": group["id"],
            "organisation_id": org["id"],  # a case's organisation is its own field, set here as an agent would
        }
        made = _made(api.post("/api/v1/cases", json=body))
        assert made["requester"]["id"] == requester["id"], made["requester"]
        return made

    cases = {
        "crane": case("Crane stuck", kari, field),
        "invoice": case("Invoice twice", kari, other),
        "pallet": case("Pallet missing", ola, field),
    }
    yield {"tag": tag, "org": org, "kari": kari, "ola": ola, "light": light, "cases": cases}


@pytest.mark.browser
def test_open_a_contact_from_the_case_list_edit_it_and_see_all_its_cases(
    chromium: Browser, stack: Stack, api: httpx.Client, world: dict[str, Any]
) -> None:
    kari, cases = world["kari"], world["cases"]
    new_name = f"Kari Nordmann-Berg {world['tag']}"
    with agent_page(chromium, stack) as page:
        # from the case page's requester
        page.goto(f"/cases/{cases['crane']['id']}")
        page.get_by_role("link", name=kari["name"], exact=True).first.click()
        expect(page).to_have_url(re.compile(f"/contacts/{kari['id']}$"))
        # and from the case list's requester column
        page.goto(f"/?q={world['tag']}")
        page.get_by_role("link", name=kari["name"], exact=True).first.click()
        expect(page.get_by_role("heading", name=kari["name"], exact=True)).to_be_visible()
        cases_card = page.locator("#cases")
        expect(cases_card.get_by_role("link", name=re.compile(cases["crane"]["title"]))).to_be_visible()
        expect(cases_card.get_by_role("link", name=re.compile(cases["invoice"]["title"]))).to_be_visible()
        expect(cases_card.get_by_role("link", name=re.compile(cases["pallet"]["title"]))).to_have_count(0)
        page.get_by_label("Name", exact=True).fill(new_name)
        page.get_by_label("Phone").fill("+47 22 33 44 55")
        page.get_by_role("button", name="Save contact").click()
        expect(page.get_by_role("status")).to_contain_text("saved")
        expect(page.get_by_role("heading", name=new_name, exact=True)).to_be_visible()
        expect(page.get_by_label("Phone")).to_have_value("+47 22 33 44 55")
        # the organisation page: its members and every case of theirs
        page.get_by_role("link", name=world["org"]["name"]).first.click()
        expect(page.get_by_role("heading", name=world["org"]["name"], exact=True)).to_be_visible()
        members = page.locator("#members")
        expect(members.get_by_role("link", name=new_name)).to_be_visible()
        expect(members.get_by_role("link", name=world["ola"]["name"])).to_be_visible()
        org_cases = page.locator("#cases")
        for key in ("crane", "invoice", "pallet"):
            expect(org_cases.get_by_role("link", name=re.compile(cases[key]["title"]))).to_be_visible()
        # an admin is pointed at the console for the mail domains
        expect(page.get_by_role("link", name=re.compile("Mail domains"))).to_have_attribute(
            "href", f"/admin/organisations/{world['org']['id']}"
        )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width, height in ((1400, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"/contacts/{kari['id']}")
            page.screenshot(path=str(SCREENSHOTS / f"contact-{width}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            page.goto(f"/organisations/{world['org']['id']}")
            page.screenshot(path=str(SCREENSHOTS / f"organisation-{width}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            page.goto(f"/contacts?q={world['tag']}")
            page.screenshot(path=str(SCREENSHOTS / f"contacts-{width}.png"), full_page=True)
    stored = _made(api.get(f"/api/v1/contacts/{kari['id']}"))
    assert (stored["name"], stored["phone"]) == (new_name, "+47 22 33 44 55")
    assert stored["emails"] == kari["emails"]  # the fields not touched stay as they were


def test_a_bad_edit_is_shown_next_to_its_field_and_keeps_what_was_typed(
    stack: Stack, api: httpx.Client, world: dict[str, Any], admin_agent: dict[str, Any]
) -> None:
    ola = world["ola"]
    before = _made(api.get(f"/api/v1/contacts/{ola['id']}"))
    with closing(_signed_in(stack, admin_agent["email"])) as browser:
        form = browser.get(f"/contacts/{ola['id']}").text
        data = {
            "csrf_token": _csrf(form),
            "version": _hidden(form, "version"),
            "name": "Ola Typed",
            "emails": "not an address",
            "phone": "+47 99 88 77 66",
            "preferred_channel": "email",
            "approved": "1",
        }
        bad = browser.post(f"/contacts/{ola['id']}", data=data)
        assert bad.status_code == 422, bad.text
        assert 'id="f-emails-help"' in bad.text and "is-invalid" in bad.text
        assert ">not an address</textarea>" in bad.text
        assert 'value="Ola Typed"' in bad.text and 'value="+47 99 88 77 66"' in bad.text
        # without the CSRF token nothing is read at all
        forged = browser.post(f"/contacts/{ola['id']}", data={**data, "csrf_token": "x", "emails": "a@b.example"})
        assert forged.status_code in (400, 403), forged.text
        # an organisation without a name
        page = browser.get(f"/organisations/{world['org']['id']}").text
        empty = browser.post(
            f"/organisations/{world['org']['id']}",
            data={"csrf_token": _csrf(page), "version": _hidden(page, "version"), "name": ""},
        )
        assert empty.status_code == 422, empty.text
        assert 'id="f-name-help"' in empty.text
    assert _made(api.get(f"/api/v1/contacts/{ola['id']}")) == before
    assert _made(api.get(f"/api/v1/organisations/{world['org']['id']}"))["name"] == world["org"]["name"]


def test_a_contact_changed_meanwhile_is_a_conflict_that_shows_their_version(
    stack: Stack, api: httpx.Client, world: dict[str, Any], admin_agent: dict[str, Any]
) -> None:
    ola = world["ola"]
    with closing(_signed_in(stack, admin_agent["email"])) as browser:
        form = browser.get(f"/contacts/{ola['id']}").text
        theirs = api.patch(f"/api/v1/contacts/{ola['id']}", json={"phone": "+47 11 22 33 44"})
        assert theirs.status_code == 200, theirs.text
        mine = browser.post(
            f"/contacts/{ola['id']}",
            data={
                "csrf_token": _csrf(form),
                "version": _hidden(form, "version"),
                "name": ola["name"],
                "emails": ola["emails"][0],
                "phone": "+47 55 55 55 55",
                "preferred_channel": "email",
                "approved": "1",
            },
        )
        assert mine.status_code == 409, mine.text
        assert "Someone changed this contact" in mine.text and 'value="+47 11 22 33 44"' in mine.text
    assert _made(api.get(f"/api/v1/contacts/{ola['id']}"))["phone"] == "+47 11 22 33 44"


def test_an_agent_renames_an_organisation_and_its_mail_domains_stay(
    stack: Stack, api: httpx.Client, world: dict[str, Any]
) -> None:
    tag = world["tag"]
    org = _made(
        api.post(
            "/api/v1/organisations",
            json={
                "name": f"Harbour {tag}",
                "domains": [f"harbour-{tag}.example"],
                "colleagues_join_publicly": True,
                "members_see_cases": True,
            },
        )
    )
    agent = _made(api.post("/api/v1/agents", json={"email": f"ag-{tag}@example.com", "name": "Agnes"}))
    with closing(_signed_in(stack, agent["email"])) as browser:
        page = browser.get(f"/organisations/{org['id']}").text
        assert "/admin/organisations/" not in page  # the console's link is for admins
        saved = browser.post(
            f"/organisations/{org['id']}",
            data={"csrf_token": _csrf(page), "version": _hidden(page, "version"), "name": f"Harbour Ltd {tag}"},
        )
        assert saved.status_code == 303, saved.text
    stored = _made(api.get(f"/api/v1/organisations/{org['id']}"))
    assert stored["name"] == f"Harbour Ltd {tag}"
    assert (stored["domains"], stored["colleagues_join_publicly"]) == ([f"harbour-{tag}.example"], True)
    assert stored["members_see_cases"] is True  # who sees the organisation's cases in the portal stays too


def test_a_light_agent_reads_only_and_sees_only_their_groups_cases(
    stack: Stack, api: httpx.Client, world: dict[str, Any]
) -> None:
    kari, cases = world["kari"], world["cases"]
    with closing(_signed_in(stack, world["light"]["email"])) as light:
        page = light.get(f"/contacts/{kari['id']}")
        assert page.status_code == 200, page.text
        assert "Save contact" not in page.text and 'id="contact-form"' not in page.text
        assert "you can read contacts but not change them" in page.text
        assert cases["crane"]["title"] in page.text
        assert cases["invoice"]["title"] not in page.text  # not in the light agent's group
        org_page = light.get(f"/organisations/{world['org']['id']}")
        assert org_page.status_code == 200 and "Save name" not in org_page.text
        assert cases["pallet"]["title"] in org_page.text and cases["invoice"]["title"] not in org_page.text
        token = _csrf(page.text)
        refused = light.post(f"/contacts/{kari['id']}", data={"csrf_token": token, "name": "Changed by Lise"})
        assert refused.status_code == 403, refused.text
        renamed = light.post(f"/organisations/{world['org']['id']}", data={"csrf_token": token, "name": "Lise Ltd"})
        assert renamed.status_code == 403, renamed.text
    assert _made(api.get(f"/api/v1/contacts/{kari['id']}"))["name"] != "Changed by Lise"
    assert _made(api.get(f"/api/v1/organisations/{world['org']['id']}"))["name"] != "Lise Ltd"
