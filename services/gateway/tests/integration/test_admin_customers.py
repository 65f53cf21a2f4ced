"""The admin console's customer areas against the real gateway, cases, notifications and mail gateway: signatures
at their levels with the preview, organisations and their customer mail, contacts (approve a held one, all their
cases) and the workspace's customer mail settings. Errors and conflicts over HTTP, one path in Chromium."""

from __future__ import annotations

import re
import smtplib
import uuid
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from conftest import Stack, agent_page, wait_until
from playwright.sync_api import Browser, expect
from test_admin_console import SCREENSHOTS, admin_http, agent_http, csrf, hidden, plain_agent

from chassis.testing import ServiceProcess

__all__ = ["admin_http", "agent_http", "plain_agent"]  # fixtures this module uses


@pytest.fixture(scope="module", autouse=True)
def services(notifications: ServiceProcess, mail: dict[str, Any]) -> dict[str, Any]:
    """Customer mail lives in notifications and the mailboxes in the mail gateway: both run for every test here."""
    return mail


def send_mail(port: int, sender: str, subject: str, **headers: str) -> bytes:
    """A mail from `sender` to the seeded support mailbox, through the mail gateway's SMTP listener; its bytes."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@customer.example>"
    for name, value in headers.items():
        msg[name] = value
    msg.set_content("Hello, the printer is on fire.\n")
    raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
        client.sendmail(sender, ["support@example.com"], raw)
    return raw


# -- signatures ---------------------------------------------------------------------------------------------


def test_set_a_general_signature_then_edit_it_and_the_preview_shows_it(
    admin_http: httpx.Client, api: httpx.Client, admin_agent: dict[str, Any]
) -> None:
    page = admin_http.get("/admin/signatures")
    assert page.status_code == 200 and "support@example.com" in page.text  # the mailbox picker knows the mailbox
    token = csrf(page.text)
    saved = admin_http.post(
        "/admin/signatures",
        data={"csrf_token": token, "version": "new", "greeting": "Hello,", "signature": "The Support Team"},
    )
    assert saved.status_code == 303, saved.text
    assert f"preview_agent={admin_agent['id']}" in saved.headers["location"]
    levels = api.get("/api/v1/signatures").json()["items"]
    general = next(lv for lv in levels if lv["level"] == "general")
    assert (general["greeting"], general["signature"]) == ("Hello,", "The Support Team")
    preview = admin_http.get(saved.headers["location"])
    assert "The Support Team" in preview.text and "from the general" in preview.text

    # the list's Edit link opens the level with its version; saving it changes that level only
    edit_link = _link_before(preview.text, "Edit<span")
    form = admin_http.get(edit_link).text
    assert "Edit a signature" in form and ">The Support Team</textarea>" in form
    edited = admin_http.post(
        "/admin/signatures",
        data={"csrf_token": token, "version": hidden(form, "version"), "greeting": "Hi,", "signature": "Support"},
    )
    assert edited.status_code == 303, edited.text
    general = [lv for lv in api.get("/api/v1/signatures").json()["items"] if lv["level"] == "general"]
    assert [(lv["greeting"], lv["signature"]) for lv in general] == [("Hi,", "Support")]
    log = api.get("/api/v1/audit", params={"object_type": "signature"}).json()["items"]
    assert [e["after"]["signature"] for e in log if e["actor"]["channel"] == "web"][:2] == [
        "Support",
        "The Support Team",
    ]


def test_an_edit_of_a_level_carries_its_version_and_a_stale_one_is_a_conflict(
    admin_http: httpx.Client, api: httpx.Client, admin_agent: dict[str, Any]
) -> None:
    agent_id = admin_agent["id"]
    assert api.put("/api/v1/signatures", json={"agent_id": agent_id, "signature": "Ada"}).status_code == 200
    form = admin_http.get("/admin/signatures", params={"edit": "1", "agent": agent_id}).text
    assert "Edit a signature" in form and ">Ada</textarea>" in form
    token, version = csrf(form), hidden(form, "version")
    assert version != "new"
    # another admin changes the same level meanwhile
    assert api.put("/api/v1/signatures", json={"agent_id": agent_id, "signature": "Ada (theirs)"}).status_code == 200
    mine = admin_http.post(
        "/admin/signatures",
        data={"csrf_token": token, "version": version, "agent_id": str(agent_id), "signature": "Ada (mine)"},
    )
    assert mine.status_code == 409 and "Another admin changed this signature" in mine.text
    assert "Ada (theirs)" in mine.text
    # a "new" form for a level that exists is a conflict too: nothing is overwritten unseen
    again = admin_http.post(
        "/admin/signatures",
        data={"csrf_token": token, "version": "new", "agent_id": str(agent_id), "signature": "Ada (blind)"},
    )
    assert again.status_code == 409
    stored = [lv for lv in api.get("/api/v1/signatures").json()["items"] if lv["level"] == "personal"]
    assert [lv["signature"] for lv in stored] == ["Ada (theirs)"]


def test_a_bad_mailbox_is_shown_next_to_its_field(admin_http: httpx.Client, api: httpx.Client) -> None:
    before = api.get("/api/v1/signatures").json()["items"]
    token = csrf(admin_http.get("/admin/signatures").text)
    bad = admin_http.post(
        "/admin/signatures", data={"csrf_token": token, "version": "new", "mailbox": "ab", "signature": "Nope"}
    )
    assert bad.status_code == 422
    assert 'id="f-mailbox-help"' in bad.text and "is-invalid" in bad.text
    assert api.get("/api/v1/signatures").json()["items"] == before


@pytest.mark.browser
def test_set_a_mailbox_signature_and_see_it_in_the_preview(chromium: Browser, stack: Stack, api: httpx.Client) -> None:
    # an agent with no signature of their own, so the mailbox's level is what applies to them
    email = f"preview-{uuid.uuid4().hex[:6]}@example.com"
    agent = api.post("/api/v1/agents", json={"email": email, "name": "Petra Preview"}).json()
    text = f"Support desk {uuid.uuid4().hex[:4]}"
    with agent_page(chromium, stack) as page:
        page.goto("/admin")
        page.get_by_role("link", name="Signatures").first.click()
        expect(page.get_by_role("heading", name="Signatures", exact=True)).to_be_visible()
        page.select_option("#f-mailbox", "support@example.com")
        page.get_by_label("Signature", exact=True).fill(text)
        page.get_by_role("button", name="Save signature").click()
        expect(page.get_by_role("status")).to_contain_text("Mailbox signature saved")
        page.select_option("#preview-agent", str(agent["id"]))
        page.select_option("#preview-mailbox", "support@example.com")
        page.get_by_role("button", name="Show preview").click()
        preview = page.get_by_test_id("signature-preview")
        expect(preview).to_contain_text(text)
        expect(preview).to_contain_text("from the mailbox level")
        # the same agent writing from no particular mailbox does not get the mailbox's signature
        page.select_option("#preview-mailbox", "")
        page.get_by_role("button", name="Show preview").click()
        expect(page.get_by_test_id("signature-preview")).not_to_contain_text(text)


# -- organisations and their customer mail --------------------------------------------------------------------


def test_add_and_rename_an_organisation_with_a_field_error_first(admin_http: httpx.Client, api: httpx.Client) -> None:
    token = csrf(admin_http.get("/admin/organisations").text)
    bad = admin_http.post("/admin/organisations", data={"csrf_token": token, "name": ""})
    assert bad.status_code == 422 and 'id="f-name-help"' in bad.text
    name = f"Acme {uuid.uuid4().hex[:4]}"
    created = admin_http.post("/admin/organisations", data={"csrf_token": token, "name": name})
    assert created.status_code == 303
    org_id = int(created.headers["location"].rsplit("/", 1)[1])
    form = admin_http.get(f"/admin/organisations/{org_id}").text
    renamed = admin_http.post(
        f"/admin/organisations/{org_id}",
        data={"csrf_token": token, "version": hidden(form, "version"), "name": name + " Ltd"},
    )
    assert renamed.status_code == 303
    stored = {o["id"]: o["name"] for o in api.get("/api/v1/organisations").json()["items"]}
    assert stored[org_id] == name + " Ltd"
    stale = admin_http.post(
        f"/admin/organisations/{org_id}",
        data={"csrf_token": token, "version": hidden(form, "version"), "name": name + " GmbH"},
    )
    assert stale.status_code == 409 and "Another admin changed this organisation" in stale.text
    # its mail domains and whether colleagues join publicly; a free-mail domain is refused next to the field
    form = admin_http.get(f"/admin/organisations/{org_id}").text
    free = admin_http.post(
        f"/admin/organisations/{org_id}",
        data={"csrf_token": token, "version": hidden(form, "version"), "name": name + " Ltd", "domains": "gmail.com"},
    )
    assert free.status_code == 422 and 'id="f-domains-help"' in free.text and "free-mail" in free.text
    domains = admin_http.post(
        f"/admin/organisations/{org_id}",
        data={
            "csrf_token": token,
            "version": hidden(form, "version"),
            "name": name + " Ltd",
            "domains": "Acme.example\nacme-group.example",
            "colleagues_join_publicly": "1",
            "members_see_cases": "1",
        },
    )
    assert domains.status_code == 303
    saved = next(o for o in api.get("/api/v1/organisations").json()["items"] if o["id"] == org_id)
    assert saved["domains"] == ["acme.example", "acme-group.example"] and saved["colleagues_join_publicly"] is True
    assert saved["members_see_cases"] is True


def test_an_organisation_overrides_customer_mail_and_a_bad_sender_is_shown_by_its_field(
    admin_http: httpx.Client, api: httpx.Client
) -> None:
    org = api.post("/api/v1/organisations", json={"name": f"Globex {uuid.uuid4().hex[:4]}"}).json()
    page = admin_http.get(f"/admin/organisations/{org['id']}").text
    token = csrf(page)
    mail_version = re.findall(r'name="version" value="([^"]*)"', page)[1]  # the second form: customer mail
    url = f"/admin/organisations/{org['id']}/customer-mail"
    bad = admin_http.post(url, data={"csrf_token": token, "version": mail_version, "sender_address": "not an address"})
    assert bad.status_code == 422 and 'id="f-sender_address-help"' in bad.text
    ok = admin_http.post(
        url,
        data={
            "csrf_token": token,
            "version": mail_version,
            "conversation": "link",
            "sender_address": "help@globex.example",
            "cc_followers": "no",
        },
    )
    assert ok.status_code == 303, ok.text
    stored = api.get(f"/api/v1/organisations/{org['id']}/customer-mail").json()
    assert stored["stored"]["conversation"] == "link"
    assert stored["stored"]["sender_address"] == "help@globex.example"
    assert stored["stored"]["cc_followers"] is False and stored["stored"]["closing_greeting"] is None


# -- the workspace's customer mail ------------------------------------------------------------------------------


def test_workspace_customer_mail_saves_and_a_concurrent_change_is_a_conflict(
    admin_http: httpx.Client, api: httpx.Client
) -> None:
    page = admin_http.get("/admin/customer-mail").text
    token, version = csrf(page), hidden(page, "version")
    bad = admin_http.post(
        "/admin/customer-mail", data={"csrf_token": token, "version": version, "sender_address": "@@"}
    )
    assert bad.status_code == 422 and 'id="f-sender_address-help"' in bad.text
    saved = admin_http.post(
        "/admin/customer-mail",
        data={
            "csrf_token": token,
            "version": version,
            "conversation": "full",
            "sender_name": "Acme Support",
            "closing_greeting": "Kind regards,\nthe support team",
        },
    )
    assert saved.status_code == 303
    stored = api.get("/api/v1/settings/customer-mail").json()["stored"]
    assert stored["sender_name"] == "Acme Support" and stored["closing_greeting"].startswith("Kind regards")
    # the form opened before that save is stale now
    stale = admin_http.post(
        "/admin/customer-mail", data={"csrf_token": token, "version": version, "conversation": "never"}
    )
    assert stale.status_code == 409 and "Another admin changed this setting" in stale.text
    assert api.get("/api/v1/settings/customer-mail").json()["stored"]["conversation"] == "full"


# -- contacts ---------------------------------------------------------------------------------------------------


def test_a_held_contact_is_approved_and_their_case_is_released(
    admin_http: httpx.Client, api: httpx.Client, services: dict[str, Any]
) -> None:
    page = admin_http.get("/admin/contacts").text
    assert "Hold unknown senders for approval" in page
    switched = admin_http.post(
        "/admin/contacts/hold", data={"csrf_token": csrf(page), "hold": "on", "next": "https://evil.example/"}
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/admin/contacts"  # never elsewhere
    assert api.get("/api/v1/settings/cases").json()["hold_unknown_senders"] is True
    try:
        sender = f"stranger-{uuid.uuid4().hex[:6]}@customer.example"
        send_mail(services["smtp_port"], sender, "Please help")

        def held() -> list[dict[str, Any]]:
            return api.get("/api/v1/contacts", params={"q": sender, "approved": "false"}).json()["items"]

        [contact] = wait_until(held, timeout=30, what="the unknown sender held")
    finally:
        api.patch("/api/v1/settings/cases", json={"hold_unknown_senders": False})
    listing = admin_http.get("/admin/contacts", params={"show": "held"})
    assert sender in listing.text and f"/admin/contacts/{contact['id']}/approve" in listing.text
    [case] = api.get(f"/api/v1/contacts/{contact['id']}/cases").json()["items"]
    assert case["held_for_approval"] is True
    approved = admin_http.post(
        f"/admin/contacts/{contact['id']}/approve",
        data={"csrf_token": csrf(listing.text), "next": "/admin/contacts?show=held"},
    )
    assert approved.status_code == 303 and approved.headers["location"] == "/admin/contacts?show=held"
    assert api.get(f"/api/v1/contacts/{contact['id']}").json()["approved"] is True
    assert api.get(f"/api/v1/cases/{case['id']}").json()["held_for_approval"] is False
    # the audit log names the approval, from the console, with the contact before and after
    [entry] = api.get("/api/v1/audit", params={"object_type": "contact", "object_id": str(contact["id"])}).json()[
        "items"
    ]
    assert (entry["action"], entry["outcome"], entry["actor"]["channel"]) == ("approve", "succeeded", "web")
    assert entry["before"]["approved"] is False and entry["after"]["approved"] is True
    # the contact's page lists the case, linking to the case page
    page = admin_http.get(f"/admin/contacts/{contact['id']}")
    assert f'href="/cases/{case["id"]}"' in page.text and "Please help" in page.text


def test_edit_a_contact_with_a_bad_address_shown_by_its_field(admin_http: httpx.Client, api: httpx.Client) -> None:
    email = f"edit-{uuid.uuid4().hex[:6]}@customer.example"
    contact = api.post("/api/v1/contacts", json={"name": "Erin", "emails": [email]}).json()
    org = api.post("/api/v1/organisations", json={"name": f"Initech {uuid.uuid4().hex[:4]}"}).json()
    form = admin_http.get(f"/admin/contacts/{contact['id']}").text
    token, version = csrf(form), hidden(form, "version")
    base = {"csrf_token": token, "version": version, "name": "Erin Example", "preferred_channel": "email"}
    bad = admin_http.post(f"/admin/contacts/{contact['id']}", data={**base, "emails": "not-an-address"})
    assert bad.status_code == 422 and 'id="f-emails-help"' in bad.text
    assert api.get(f"/api/v1/contacts/{contact['id']}").json()["name"] == "Erin"
    ok = admin_http.post(
        f"/admin/contacts/{contact['id']}",
        data={**base, "emails": f"{email}\nerin@initech.example", "organisation_id": str(org["id"]), "approved": "1"},
    )
    assert ok.status_code == 303, ok.text
    stored = api.get(f"/api/v1/contacts/{contact['id']}").json()
    assert stored["name"] == "Erin Example" and stored["organisation"]["id"] == org["id"]
    assert sorted(stored["emails"]) == sorted([email, "erin@initech.example"])
    found = admin_http.get("/admin/contacts", params={"q": "erin@initech", "organisation": org["id"]})
    assert f"/admin/contacts/{contact['id']}" in found.text


def test_the_contact_list_pages_as_the_api_does(admin_http: httpx.Client, api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:6]
    for i in range(27):
        assert (
            api.post(
                "/api/v1/contacts", json={"name": f"Pager {tag} {i}", "emails": [f"p{i}-{tag}@x.example"]}
            ).status_code
            == 201
        )
    first = admin_http.get("/admin/contacts", params={"q": tag})
    assert first.text.count(f">Pager {tag} ") == 25 and "Next page" in first.text
    second = admin_http.get(_link_before(first.text, "Next page"))
    assert second.status_code == 200 and second.text.count(f">Pager {tag} ") == 2 and "First page" in second.text


def _link_before(html: str, label: str) -> str:
    """The href of the first link whose text starts with `label`."""
    end = html.index(f">{label}")
    start = html.rindex('href="', 0, end) + len('href="')
    return html[start : html.index('"', start)].replace("&amp;", "&")


def test_customer_pages_are_for_admins_only(agent_http: httpx.Client) -> None:
    for path in ("/admin/signatures", "/admin/organisations", "/admin/contacts", "/admin/customer-mail"):
        assert agent_http.get(path).status_code == 403, path
    token = csrf(agent_http.get("/").text)
    refused = agent_http.post("/admin/signatures", data={"csrf_token": token, "signature": "Sneaky"})
    assert refused.status_code == 403


@pytest.mark.browser
def test_the_customer_pages_fit_a_phone_and_a_desktop(chromium: Browser, stack: Stack, api: httpx.Client) -> None:
    org = api.post("/api/v1/organisations", json={"name": f"Umbrella {uuid.uuid4().hex[:4]}"}).json()
    contact = api.post(
        "/api/v1/contacts", json={"name": "Sam Shot", "emails": [f"sam-{uuid.uuid4().hex[:4]}@x.example"]}
    ).json()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = (
        ("/admin/signatures", "admin-signatures"),
        ("/admin/organisations", "admin-organisations"),
        (f"/admin/organisations/{org['id']}", "admin-organisation"),
        ("/admin/contacts", "admin-contacts"),
        (f"/admin/contacts/{contact['id']}", "admin-contact"),
        ("/admin/customer-mail", "admin-customer-mail"),
    )
    for width, suffix in ((1400, ""), (390, "-phone")):
        with agent_page(chromium, stack) as page:
            page.set_viewport_size({"width": width, "height": 900})
            for path, name in pages:
                page.goto(path)
                expect(page.get_by_role("main")).to_be_visible()
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
                page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"), full_page=False)
