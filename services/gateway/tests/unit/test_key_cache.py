"""The in-memory cache of verified API keys (decision 0134), with a fake clock."""

from __future__ import annotations

import pytest

from gateway.access import ApiPrincipal
from gateway.key_cache import MAX_ENTRIES, VerifiedKeys


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _who(key_id: int = 1) -> ApiPrincipal:
    return ApiPrincipal(key_id=key_id, name=f"key {key_id}", is_admin=False, scopes=("cases:read",))


def test_a_verified_key_is_trusted_for_the_ttl_and_not_after() -> None:
    clock = Clock()
    keys = VerifiedKeys(ttl=1.0, clock=clock)
    assert keys.get("hdk_a") is None
    keys.remember("hdk_a", _who(), keys.generation)
    assert keys.get("hdk_a") == _who()
    assert keys.get("hdk_b") is None
    clock.now += 0.99
    assert keys.get("hdk_a") == _who()
    clock.now += 0.01
    assert keys.get("hdk_a") is None, "past the bound the database is asked again"


def test_forget_drops_every_secret_of_the_key_at_once() -> None:
    keys = VerifiedKeys(ttl=60, clock=Clock())
    keys.remember("hdk_a", _who(1), keys.generation)
    keys.remember("hdk_b", _who(2), keys.generation)
    keys.forget(1)
    assert keys.get("hdk_a") is None
    assert keys.get("hdk_b") == _who(2)


def test_a_lookup_that_began_before_a_revoke_is_not_remembered() -> None:
    keys = VerifiedKeys(ttl=60, clock=Clock())
    generation = keys.generation  # the database read starts (and sees the key still live)
    keys.forget(1)  # meanwhile this process revokes it
    keys.remember("hdk_a", _who(1), generation)
    assert keys.get("hdk_a") is None


def test_ttl_zero_turns_the_cache_off_and_negative_is_refused() -> None:
    keys = VerifiedKeys(ttl=0)
    keys.remember("hdk_a", _who(), keys.generation)
    assert keys.get("hdk_a") is None
    with pytest.raises(ValueError, match="negative"):
        VerifiedKeys(ttl=-1)


def test_the_cache_is_bounded() -> None:
    keys = VerifiedKeys(ttl=60, clock=Clock())
    for i in range(MAX_ENTRIES + 5):
        keys.remember(f"hdk_{i}", _who(i), keys.generation)
    assert len(keys._entries) <= MAX_ENTRIES
    assert keys.get(f"hdk_{MAX_ENTRIES + 4}") == _who(MAX_ENTRIES + 4)
