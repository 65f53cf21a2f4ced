"""The signed case link (D5) of a confirmation and of "link only" mail, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import cast

import pytest

from contracts.cases import CaseRead
from contracts.tokens import CaseLinkRefused, read_case_link_token
from notifications.mail import compose
from notifications.mail.rules import case_link_url

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = 1_900_000_000
SECRET = "x" * 40
PORTAL = "https://portal.example.com/"


def _case(**over: object) -> CaseRead:
    data = {
        "id": 41,
        "number": 1041,
        "title": "VPN down",
        "status": "new",
        "priority": "low",
        "source": "email",
        "requester": {"id": 5, "email": "a@x.example", "name": "A"},
        "version": 1,
        "created_at": T0,
        "updated_at": T0,
        **over,
    }
    return CaseRead.model_validate(data)


def _token(url: str) -> str:
    prefix = "https://portal.example.com/c/"
    assert url.startswith(prefix), url
    return url[len(prefix) :]


def test_the_link_names_the_case_and_its_requester_and_expires_after_the_ttl() -> None:
    url = case_link_url(portal_url=PORTAL, case=_case(), secret=SECRET, ttl_seconds=3600, now=NOW)
    token = _token(url)
    assert read_case_link_token(token, secret=SECRET, now=NOW + 3599) == (41, 5)
    with pytest.raises(CaseLinkRefused) as refused:
        read_case_link_token(token, secret=SECRET, now=NOW + 3600)
    assert refused.value.reason == "expired"


def test_without_a_requester_or_with_links_switched_off_the_plain_case_address_is_used() -> None:
    assert case_link_url(portal_url=PORTAL, case=_case(requester=None), secret=SECRET, ttl_seconds=60, now=NOW) == (
        "https://portal.example.com/cases/41"
    )
    assert case_link_url(portal_url=PORTAL, case=_case(), secret=SECRET, ttl_seconds=0, now=NOW) == (
        "https://portal.example.com/cases/41"
    )


def test_the_confirmation_carries_the_link_in_both_parts() -> None:
    url = case_link_url(portal_url=PORTAL, case=_case(), secret=SECRET, ttl_seconds=60, now=NOW)
    mail = compose.confirmation(
        case=_case(),
        to=compose.Mailbox("a@x.example", "A"),
        sender=compose.Mailbox("support@example.com", "Support"),
        message_id="m1@example.com",
        in_reply_to=None,
        date=T0,
        link_url=url,
    )
    msg = cast(EmailMessage, message_from_bytes(mail.raw, policy=policy.default))
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    assert url in text.get_content()
    assert f'href="{url}"' in html.get_content()


def test_a_confirmation_without_a_link_says_nothing_about_one() -> None:
    mail = compose.confirmation(
        case=_case(),
        to=compose.Mailbox("a@x.example", "A"),
        sender=compose.Mailbox("support@example.com", "Support"),
        message_id="m1@example.com",
        in_reply_to=None,
        date=T0,
    )
    assert b"/c/" not in mail.raw and b"no sign-in" not in mail.raw
