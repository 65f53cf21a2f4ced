"""Signed set-password link tokens shared by agents' and customers' links: bound to a scope, checked without a
lookup, stored only as a hash."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from chassis import link_tokens
from chassis.link_tokens import LinkState

SECRET = "s" * 40
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_a_token_is_signed_for_its_scope_only() -> None:
    token = link_tokens.new_token(secret=SECRET, scope="contact-link:reset")
    assert link_tokens.signed_for(token, secret=SECRET, scope="contact-link:reset")
    assert not link_tokens.signed_for(token, secret=SECRET, scope="contact-link:register")
    assert not link_tokens.signed_for(token, secret=SECRET, scope="agent-link:reset")  # a customer's is no agent's
    assert not link_tokens.signed_for(token, secret="t" * 40, scope="contact-link:reset")


def test_mangled_tokens_are_refused() -> None:
    token = link_tokens.new_token(secret=SECRET, scope="x")
    nonce, _, signature = token.partition(".")
    for bad in ("", nonce, token + "A", f"{nonce}.{'A' * 22}", f"{'B' * 43}.{signature}", token.replace(".", "-")):
        assert not link_tokens.signed_for(bad, secret=SECRET, scope="x")


def test_only_the_hash_is_kept_and_state_follows_use_and_expiry() -> None:
    token = link_tokens.new_token(secret=SECRET, scope="x")
    assert link_tokens.hash_token(token) == hashlib.sha256(token.encode()).hexdigest() != token
    later = NOW + timedelta(hours=1)
    assert link_tokens.link_state(expires_at=later, used_at=None, now=NOW) is LinkState.VALID
    assert link_tokens.link_state(expires_at=NOW, used_at=None, now=NOW) is LinkState.EXPIRED
    assert link_tokens.link_state(expires_at=later, used_at=NOW, now=NOW) is LinkState.USED
