"""A customer's portal password through the whole system: the set-password link the portal asks for reaches the
SMTP sink through notifications, the customer follows it, chooses a password and signs in with it."""

from __future__ import annotations

import re
import uuid

import httpx

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "amber gulls circle the pier"


def _form(portal: httpx.Client, path: str) -> str:
    page = portal.get(path)
    assert page.status_code == 200, page.text
    match = _CSRF.search(page.text)
    assert match, path
    return match.group(1)


def test_a_known_customer_sets_a_password_by_mail_and_signs_in_with_it(system):
    sys_, sink = system
    api = sys_.api()
    email = f"siri.{uuid.uuid4().hex[:8]}@customer.example"
    made = api.post("/api/v1/cases", json={"title": "Siri's printer", "requester_email": email})
    assert made.status_code == 201, made.text

    with httpx.Client(base_url=sys_.portal_url, follow_redirects=False, timeout=30) as portal:
        # registration is invite-only by default: a contact we know gets the link
        asked = portal.post("/password-reset", data={"email": email, "csrf_token": _form(portal, "/password-reset")})
        assert asked.status_code == 200 and "Check your e-mail" in asked.text
        mail = sink.wait_for(
            lambda m: m["To"] and email in m["To"] and "/set-password/" in m.get_body(("plain",)).get_content(),
            what="set-password mail",
        )
        assert mail["Subject"] == "Set up your support portal account"
        assert mail["Auto-Submitted"] == "auto-generated"
        link = re.search(r"https?://\S+/set-password/\S+", mail.get_body(("plain",)).get_content()).group(0)
        path = httpx.URL(link).path
        chosen = portal.post(path, data={"password": PASSWORD, "confirm": PASSWORD, "csrf_token": _form(portal, path)})
        assert chosen.status_code == 303, chosen.text

    with httpx.Client(base_url=sys_.portal_url, follow_redirects=False, timeout=30) as fresh:
        form = {"email": email, "password": PASSWORD, "method": "password", "csrf_token": _form(fresh, "/login")}
        signed_in = fresh.post("/login", data=form)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
        assert "Siri&#39;s printer" in fresh.get("/").text
