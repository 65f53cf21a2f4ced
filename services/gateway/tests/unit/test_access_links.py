"""Mailed set-password links: signed for one purpose, single use, expiring; only a hash is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.domain import access_links
from gateway.domain.access_links import LinkState, Purpose

SECRET = "s" * 40
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_a_token_is_signed_for_its_purpose_only() -> None:
    token = access_links.new_token(secret=SECRET, purpose=Purpose.INVITE)
    assert access_links.signed_for(token, secret=SECRET, purpose=Purpose.INVITE)
    assert not access_links.signed_for(token, secret=SECRET, purpose=Purpose.RESET)
    assert not access_links.signed_for(token, secret="t" * 40, purpose=Purpose.INVITE)


def test_forged_or_mangled_tokens_are_refused_before_any_lookup() -> None:
    token = access_links.new_token(secret=SECRET, purpose=Purpose.RESET)
    nonce, _, signature = token.partition(".")
    for bad in ("", "x", nonce, f"{nonce}.{'A' * 22}", f"{'B' * 43}.{signature}", token + "x"):
        assert not access_links.signed_for(bad, secret=SECRET, purpose=Purpose.RESET)


def test_tokens_are_distinct_and_only_their_hash_is_kept() -> None:
    tokens = {access_links.new_token(secret=SECRET, purpose=Purpose.INVITE) for _ in range(50)}
    assert len(tokens) == 50
    token = tokens.pop()
    assert token not in access_links.hash_token(token) and len(access_links.hash_token(token)) == 64


def test_used_beats_expired_and_the_expiry_instant_is_too_late() -> None:
    expires = NOW + timedelta(hours=24)
    assert access_links.link_state(expires_at=expires, used_at=None, now=NOW) is LinkState.VALID
    assert access_links.link_state(expires_at=expires, used_at=None, now=expires) is LinkState.EXPIRED
    assert access_links.link_state(expires_at=expires, used_at=NOW, now=expires) is LinkState.USED


def test_an_invitation_waits_a_day_and_a_reset_an_hour() -> None:
    assert access_links.ttl(Purpose.INVITE) == timedelta(hours=24)
    assert access_links.ttl(Purpose.RESET) == timedelta(hours=1)
    url = access_links.link_url(public_url="https://desk.example.com/", token="abc.def")
    assert url == "https://desk.example.com/set-password/abc.def"
