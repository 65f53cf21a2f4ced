"""The Twilio webhook checks signatures over our public URL, not the address a proxy forwarded to."""

from __future__ import annotations

from gateway.webhooks.twilio import signed_url


def test_the_public_url_replaces_scheme_and_host() -> None:
    url = signed_url(public_url="https://desk.example.com/", path="/webhooks/twilio/sms", query="")
    assert url == "https://desk.example.com/webhooks/twilio/sms"


def test_the_query_string_is_part_of_what_twilio_signed() -> None:
    url = signed_url(public_url="https://desk.example.com", path="/webhooks/twilio/sms", query="a=1")
    assert url == "https://desk.example.com/webhooks/twilio/sms?a=1"
