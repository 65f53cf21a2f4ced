"""Token logic of sign-in links: what is handed out, what is stored, when a link still works."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from portal.domain import magic_links
from portal.domain.magic_links import LinkState

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def test_new_tokens_are_unique_and_url_safe() -> None:
    tokens = {magic_links.new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(magic_links.looks_like_token(t) for t in tokens)


def test_the_stored_hash_is_sha256_and_not_the_token() -> None:
    token = magic_links.new_token()
    stored = magic_links.hash_token(token)
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored
    assert magic_links.hash_token(token) == stored
    assert magic_links.hash_token(magic_links.new_token()) != stored


def test_shape_check_refuses_what_we_never_issue() -> None:
    assert not magic_links.looks_like_token("")
    assert not magic_links.looks_like_token("short")
    assert not magic_links.looks_like_token("a" * 42 + "/")
    assert not magic_links.looks_like_token("a" * 44)
    assert magic_links.looks_like_token("a" * 43)


def test_expiry_is_ttl_after_issue() -> None:
    assert magic_links.expires_at(now=NOW, ttl_seconds=900) == NOW + timedelta(minutes=15)


def test_a_fresh_unused_link_is_valid() -> None:
    expires = NOW + timedelta(minutes=15)
    assert magic_links.link_state(expires_at=expires, used_at=None, now=NOW) is LinkState.VALID
    almost = expires - timedelta(microseconds=1)
    assert magic_links.link_state(expires_at=expires, used_at=None, now=almost) is LinkState.VALID


def test_a_link_expires_at_its_expiry_instant() -> None:
    expires = NOW + timedelta(minutes=15)
    assert magic_links.link_state(expires_at=expires, used_at=None, now=expires) is LinkState.EXPIRED
    later = expires + timedelta(days=1)
    assert magic_links.link_state(expires_at=expires, used_at=None, now=later) is LinkState.EXPIRED


def test_a_used_link_is_used_even_before_expiry() -> None:
    expires = NOW + timedelta(minutes=15)
    assert magic_links.link_state(expires_at=expires, used_at=NOW, now=NOW) is LinkState.USED
    assert magic_links.link_state(expires_at=expires, used_at=NOW, now=expires) is LinkState.USED


def test_link_url_joins_public_url_and_token() -> None:
    assert magic_links.link_url(public_url="https://support.example.com/", token="abc") == (
        "https://support.example.com/auth/abc"
    )
