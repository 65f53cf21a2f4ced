"""Which relay a mail leaves through (decision 0227), and the XOAUTH2 string: pure rules."""

from __future__ import annotations

from notifications.mail.mailer import xoauth2
from notifications.relays.rules import Relay, relay_for

SALES = Relay(
    mailbox_id=1, address="sales@example.com", host="smtp.a", port=587, security="starttls", auth="password", user="s"
)


def test_the_sender_mailbox_with_its_own_server_picks_it_whatever_the_case() -> None:
    assert relay_for(" Sales@Example.com ", {"sales@example.com": SALES}) is SALES


def test_a_sender_without_its_own_server_or_no_sender_takes_the_global_relay() -> None:
    assert relay_for("billing@example.com", {"sales@example.com": SALES}) is None
    assert relay_for(None, {"sales@example.com": SALES}) is None


def test_two_mailboxes_on_one_server_and_login_share_a_connection_and_another_login_does_not() -> None:
    twin = Relay(
        mailbox_id=2, address="b@example.com", host="SMTP.A", port=587, security="starttls", auth="password", user="s"
    )
    other = Relay(
        mailbox_id=3, address="c@example.com", host="smtp.a", port=587, security="starttls", auth="password", user="t"
    )
    assert twin.key == SALES.key and other.key != SALES.key


def test_the_xoauth2_initial_response_is_the_one_providers_expect() -> None:
    assert xoauth2("me@example.com", "tok") == "user=me@example.com\x01auth=Bearer tok\x01\x01"
