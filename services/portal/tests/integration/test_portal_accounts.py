"""Passwords in the portal against the real cases worker, PostgreSQL, RabbitMQ and Redis: registration in each
mode, the mailed set-password link, password sign-in and its throttle, reset; my cases' search and the
organisation's cases; branding (decisions 0251-0253)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx
import pytest
from portal_testing import PortalClient, Stack, sign_in
from sqlalchemy import create_engine, text

from contracts import errors

GOOD = "purple otter juggles lanterns"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _token(link: str) -> str:
    return link.rsplit("/", 1)[1]


def register(stack: Stack, client: PortalClient, email: str, name: str = "New Customer") -> httpx.Response:
    return client.post_form("/register", {"email": email, "name": name})


def choose_password(client: PortalClient, link: str, password: str, confirm: str | None = None) -> httpx.Response:
    path = httpx.URL(link).path
    return client.post_form(path, {"password": password, "confirm": password if confirm is None else confirm})


@pytest.fixture(scope="module")
def acme(stack: Stack) -> dict[str, Any]:
    return stack.organisation("Acme Ltd", "acme.example", shares_cases=True)


def registered(stack: Stack, acme: dict[str, Any], local: str, password: str = GOOD) -> tuple[str, PortalClient]:
    """A customer at Acme who registered and chose `password` (signed in afterwards)."""
    email = f"{local}@acme.example"
    client = stack.client()
    assert register(stack, client, email).status_code == 200
    link = stack.password_link(email)["link_url"]
    assert choose_password(client, link, password).status_code == 303
    return email, client


def test_open_registration_at_a_known_organisation_sets_a_password_and_signs_in(
    stack: Stack, acme: dict[str, Any]
) -> None:
    email = "rita@acme.example"
    client = stack.client()
    answer = register(stack, client, email, name="Rita Berg")
    assert answer.status_code == 200 and "Check your e-mail" in answer.text
    event = stack.password_link(email)
    assert event["purpose"] == "register" and event["name"] == "Rita Berg"
    contact = stack.rpc.call("cases", "get_portal_contact", contact_id=event["contact_id"])
    assert contact["organisation_id"] == acme["id"]  # the new contact belongs to the domain's organisation

    page = client.http.get(httpx.URL(event["link_url"]).path)
    assert page.status_code == 200 and "Choose your password" in page.text
    weak = choose_password(client, event["link_url"], "password1234")
    assert weak.status_code == 422 and "too common" in weak.text
    differ = choose_password(client, event["link_url"], GOOD, GOOD + "x")
    assert differ.status_code == 422 and "differ" in differ.text
    done = choose_password(client, event["link_url"], GOOD)
    assert done.status_code == 303 and done.headers["location"] == "/?password_set=1"
    home = client.http.get("/?password_set=1")
    assert home.status_code == 200 and "Your password is saved" in home.text and email in home.text

    again = stack.client().http.get(httpx.URL(event["link_url"]).path)
    assert again.status_code == 410  # single use

    # only the hash of the token is stored
    engine = create_engine(stack.portal_db_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM password_link")).scalars().all()
    engine.dispose()
    token = _token(event["link_url"])
    assert hashlib.sha256(token.encode()).hexdigest() in stored and token not in stored


def test_open_registration_refuses_free_mail_and_unknown_domains_and_creates_nobody(stack: Stack) -> None:
    client = stack.client()
    for email in ("someone@gmail.com", "someone@unknown-firm.example"):
        refused = register(stack, client, email)
        assert refused.status_code == 403, refused.text
        assert "organisations we work with" in refused.text
        with pytest.raises(errors.DomainError) as caught:
            stack.rpc.call("cases", "get_contact_by_email", email=email)
        assert caught.value.code == errors.NOT_FOUND
        assert stack.password_link_events(email, settle=0.3) == []


def test_registration_without_csrf_or_with_bad_input_changes_nothing(stack: Stack, acme: dict[str, Any]) -> None:
    client = stack.client()
    forged = client.http.post("/register", data={"email": "forge@acme.example", "name": "F"})
    assert forged.status_code == 403
    no_name = client.post_form("/register", {"email": "noname@acme.example", "name": "  "})
    assert no_name.status_code == 422 and "Enter your name" in no_name.text
    bad = client.post_form("/register", {"email": "not an address", "name": "X"})
    assert bad.status_code == 422
    for email in ("forge@acme.example", "noname@acme.example"):
        assert stack.password_link_events(email, settle=0.2) == []


def test_password_sign_in_and_one_answer_for_every_failure(stack: Stack, acme: dict[str, Any]) -> None:
    email, _ = registered(stack, acme, "sam")
    client = stack.client()
    ok = client.sign_in_with_password(email, GOOD)
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    assert email in client.http.get("/").text

    wrong = stack.client().sign_in_with_password(email, "not the password at all")
    unknown = stack.client().sign_in_with_password("nobody@acme.example", GOOD)
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong e-mail address or password." in wrong.text and "Wrong e-mail address or password." in unknown.text
    empty = stack.client().post_form("/login", {"email": email, "password": "", "method": "password"}, "/login")
    assert empty.status_code == 422 and "Enter your password" in empty.text


def test_only_an_email_still_mails_a_magic_link(stack: Stack, acme: dict[str, Any]) -> None:
    email, _ = registered(stack, acme, "mia")
    client = stack.client()
    before = len(stack.magic_link_events(email))
    answer = client.post_form("/login", {"email": email}, "/login")
    assert answer.status_code == 200 and "Check your e-mail" in answer.text
    stack.events.wait_for("magic_link_requested", count=before + 1, timeout=15, email=email)


def test_failed_sign_ins_are_throttled_per_account_with_a_clear_message(stack: Stack, acme: dict[str, Any]) -> None:
    email, _ = registered(stack, acme, "tom")
    for _ in range(3):  # PORTAL_SIGNIN_FAILURES_PER_ACCOUNT=3 in this stack
        assert stack.client().sign_in_with_password(email, "guessing wrong again").status_code == 401
    blocked = stack.client().sign_in_with_password(email, GOOD)  # even the right password waits
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.text and int(blocked.headers["retry-after"]) > 0
    # another account from the same address is not affected by this account's limit
    other, _ = registered(stack, acme, "tina")
    assert stack.client().sign_in_with_password(other, GOOD).status_code == 303


def test_failed_sign_ins_are_throttled_per_client_address(stack: Stack, acme: dict[str, Any]) -> None:
    email, _ = registered(stack, acme, "ulla")
    with stack.other_portal(
        "by-address", PORTAL_SIGNIN_FAILURES_PER_ADDRESS="2", PORTAL_SIGNIN_FAILURES_PER_ACCOUNT="100"
    ) as url:
        for guess in ("a@acme.example", "b@acme.example"):
            assert stack.client(url).sign_in_with_password(guess, "whatever it is here").status_code == 401
        blocked = stack.client(url).sign_in_with_password(email, GOOD)
        assert blocked.status_code == 429 and "Too many attempts" in blocked.text


def test_reset_by_mail_replaces_the_password(stack: Stack, acme: dict[str, Any]) -> None:
    email, _ = registered(stack, acme, "vera")
    client = stack.client()
    sent = client.post_form("/password-reset", {"email": email})
    assert sent.status_code == 200 and "Check your e-mail" in sent.text
    event = stack.password_link(email, count=2)
    assert event["purpose"] == "reset"
    new = "a different long passphrase"
    assert choose_password(client, event["link_url"], new).status_code == 303
    assert stack.client().sign_in_with_password(email, GOOD).status_code == 401
    assert stack.client().sign_in_with_password(email, new).status_code == 303
    # an unknown address gets the same page and no mail
    unknown = stack.client().post_form("/password-reset", {"email": "ghost@acme.example"})
    assert unknown.status_code == 200 and "Check your e-mail" in unknown.text
    assert stack.password_link_events("ghost@acme.example", settle=0.3) == []


def test_a_forged_or_mangled_set_password_link_is_refused(stack: Stack) -> None:
    client = stack.client()
    for path in ("/set-password/nonsense", f"/set-password/{'A' * 43}.{'B' * 22}"):
        assert client.http.get(path).status_code == 404
    page = client.csrf("/login")
    refused = client.http.post(
        f"/set-password/{'A' * 43}.{'B' * 22}", data={"password": GOOD, "confirm": GOOD, "csrf_token": page}
    )
    assert refused.status_code == 404


def test_invite_only_registration_mails_known_contacts_only(stack: Stack) -> None:
    known = stack.email("known-customer")
    stack.create_case(email=known, title="Known customer case")
    with stack.other_portal("invite", PORTAL_REGISTRATION="invite") as url:
        client = stack.client(url)
        page = client.http.get("/register")
        assert page.status_code == 200 and "by invitation" in page.text
        for email in (known, stack.email("stranger")):
            answer = client.post_form("/register", {"email": email, "name": "Someone"})
            assert answer.status_code == 200 and "Check your e-mail" in answer.text  # the same for both
        assert stack.password_link(known)["purpose"] == "register"
        assert stack.password_link_events(stack.email("stranger"), settle=0.3) == []


def test_registration_off_refuses_and_sends_nothing(stack: Stack) -> None:
    known = stack.email("no-accounts")
    stack.create_case(email=known, title="A case before accounts")
    with stack.other_portal("off", PORTAL_REGISTRATION="off") as url:
        client = stack.client(url)
        page = client.http.get("/register")
        assert page.status_code == 403 and "cannot be created" in page.text
        assert 'href="/register"' not in client.http.get("/login").text
        refused = client.post_form("/register", {"email": known, "name": "X"}, "/login")
        assert refused.status_code == 403
        # a reset never creates a first password while registration is off
        client.post_form("/password-reset", {"email": known})
        assert stack.password_link_events(known, settle=0.4) == []


# -- my cases: search, active and closed, the organisation's (D2, D10) -----------------------------------------


def _close(stack: Stack, case_id: int) -> None:
    stack.rpc.call(
        "cases",
        "update_case",
        case_id=case_id,
        changes={"status": "closed", "assignee_id": stack.agent["id"]},
        expected_version=None,
        actor=stack.agent_actor(),
    )


def test_my_cases_search_and_active_or_closed(stack: Stack) -> None:
    email = stack.email("searcher")
    printer = stack.create_case(email=email, title="Printer jams on tray two")
    stack.create_case(email=email, title="Laptop battery swells")
    old = stack.create_case(email=email, title="Printer toner smeared")
    _close(stack, old["id"])
    stack.create_case(email=stack.email("someone-else"), title="Printer of someone else")
    client = sign_in(stack, email)

    found = client.http.get("/", params={"q": "printer"}).text
    assert "Printer jams on tray two" in found and "Printer toner smeared" in found
    assert "Laptop battery" not in found and "someone else" not in found
    active = client.http.get("/", params={"q": "printer", "show": "active"}).text
    assert "Printer jams on tray two" in active and "Printer toner smeared" not in active
    closed = client.http.get("/", params={"show": "closed"}).text
    assert "Printer toner smeared" in closed and "Laptop battery" not in closed
    assert f"/cases/{printer['id']}" in found
    nothing = client.http.get("/", params={"q": "zebra"}).text
    assert "No cases match" in nothing
    assert client.http.get("/", params={"q": "x" * 201}).status_code == 400  # too long: a clear error page


def test_an_organisation_that_shares_shows_its_cases_to_its_members(stack: Stack, acme: dict[str, Any]) -> None:
    stack.contact_in("lena@acme.example", acme["id"])
    stack.contact_in("omar@acme.example", acme["id"])
    lenas = stack.create_case(email="lena@acme.example", title="Lena VPN certificate expired")
    omar = sign_in(stack, "omar@acme.example")

    mine = omar.http.get("/").text
    assert "Lena VPN certificate" not in mine and "My organisation's" in mine
    shared = omar.http.get("/", params={"scope": "organisation"}).text
    assert "Lena VPN certificate" in shared and "Our organisation's cases" in shared
    page = omar.http.get(f"/cases/{lenas['id']}")
    assert page.status_code == 200 and "Only they can reply here" in page.text
    token = omar.csrf(f"/cases/{lenas['id']}")
    reply = omar.http.post(f"/cases/{lenas['id']}/messages", data={"body": "Me too", "csrf_token": token})
    assert reply.status_code == 404  # seeing is not replying


def test_an_organisation_that_does_not_share_keeps_each_members_cases_private(stack: Stack) -> None:
    private = stack.organisation("Private GmbH", "private.example", shares_cases=False)
    stack.contact_in("ida@private.example", private["id"])
    stack.contact_in("jon@private.example", private["id"])
    idas = stack.create_case(email="ida@private.example", title="Ida salary question")
    jon = sign_in(stack, "jon@private.example")
    assert "Ida salary question" not in jon.http.get("/", params={"scope": "organisation"}).text
    assert "My organisation's" not in jon.http.get("/").text
    assert jon.http.get(f"/cases/{idas['id']}").status_code == 404


def test_another_organisations_member_gets_404(stack: Stack, acme: dict[str, Any]) -> None:
    other = stack.organisation("Other AS", "other.example", shares_cases=True)
    stack.contact_in("kim@other.example", other["id"])
    stack.contact_in("nils@acme.example", acme["id"])
    acme_case = stack.create_case(email="nils@acme.example", title="Acme-only matter")
    kim = sign_in(stack, "kim@other.example")
    assert kim.http.get(f"/cases/{acme_case['id']}").status_code == 404
    assert "Acme-only matter" not in kim.http.get("/", params={"scope": "organisation"}).text


# -- branding (D1) -------------------------------------------------------------------------------------------


def test_branding_default_and_per_organisation_in_pages_stylesheet_and_logo(stack: Stack, acme: dict[str, Any]) -> None:
    data = {
        "title": "Helpline",
        "welcome": "We answer within a day.",
        "footer": "Open 8-16",
        "accent_colour": "#5a2d82",
    }
    logo = {"content_type": "image/png", "data_base64": base64.b64encode(PNG).decode()}
    stack.rpc.call("cases", "save_portal_branding", organisation_id=None, data=data, logo=logo)
    org_data = {"title": "Acme Service Desk", "header_colour": "#102040"}
    stack.rpc.call("cases", "save_portal_branding", organisation_id=acme["id"], data=org_data)

    login = stack.client().http.get("/login").text
    assert "Helpline" in login and "We answer within a day." in login and "Open 8-16" in login
    assert 'src="/branding/logo?v=' in login and "style=" not in login
    css_href = login.split('href="/branding.css?', 1)[1].split('"', 1)[0]
    css = stack.client().http.get(f"/branding.css?{css_href}")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "--accent: #5a2d82;" in css.text
    served = stack.client().http.get("/branding/logo")
    assert served.status_code == 200 and served.content == PNG and served.headers["content-type"] == "image/png"

    stack.contact_in("pia@acme.example", acme["id"])
    pia = sign_in(stack, "pia@acme.example").http.get("/").text
    assert f"/branding.css?o={acme['id']}&amp;v=" in pia
    assert "Acme Service Desk" in pia and "Open 8-16" in pia  # the organisation's title, the default's footer
    pia_client = sign_in(stack, "pia@acme.example")
    org_css = pia_client.http.get(f"/branding.css?o={acme['id']}").text
    assert "--header-bg: #102040;" in org_css and "--header-ink: #ffffff;" in org_css and "#5a2d82" in org_css
    # an organisation's branding is its contacts' only: anyone else asking by its id gets the default
    guessed = stack.client().http.get(f"/branding.css?o={acme['id']}").text
    assert "#102040" not in guessed and "--accent: #5a2d82;" in guessed


def test_branding_refuses_what_it_cannot_store_or_show(stack: Stack) -> None:
    cases = [
        ({"accent_colour": "#ffff00"}, None, "validation_error"),  # white text unreadable on it
        ({"accent_colour": "red"}, None, "validation_error"),
        (
            {},
            {"content_type": "image/svg+xml", "data_base64": base64.b64encode(b"<svg/>").decode()},
            "unsupported_media_type",
        ),
        (
            {},
            {"content_type": "image/png", "data_base64": base64.b64encode(b"GIF89a....").decode()},
            "unsupported_media_type",
        ),
        (
            {},
            {"content_type": "image/png", "data_base64": base64.b64encode(PNG + b"0" * 300_000).decode()},
            "validation_error",
        ),
    ]
    before = stack.rpc.call("cases", "get_portal_branding", organisation_id=None)
    for data, logo, code in cases:
        with pytest.raises(errors.DomainError) as caught:
            stack.rpc.call("cases", "save_portal_branding", organisation_id=None, data=data, logo=logo)
        assert caught.value.code == code, (data, logo, caught.value)
    assert stack.rpc.call("cases", "get_portal_branding", organisation_id=None) == before


def test_a_customer_signed_in_by_link_sets_a_password_from_the_header(stack: Stack) -> None:
    email = stack.email("link-only")
    stack.create_case(email=email, title="Signed in by link")
    client = sign_in(stack, email)
    home = client.http.get("/").text
    assert 'href="/password-reset">Password</a>' in home
    page = client.http.get("/password-reset").text
    assert f'value="{email}"' in page  # their address is filled in
    assert client.post_form("/password-reset", {"email": email}).status_code == 200
    assert stack.password_link(email)["purpose"] == "register"
