"""API keys: what is stored, how the bearer header is read, who may do what."""

import hashlib

import pytest

from gateway.domain import api_keys


def test_generated_keys_are_random_and_prefixed() -> None:
    keys = {api_keys.generate_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(k.startswith(api_keys.KEY_PREFIX) and len(k) > 40 for k in keys)


def test_stored_hash_is_the_sha256_of_the_secret_and_not_the_secret() -> None:
    secret = api_keys.generate_key()
    stored = api_keys.key_hash(secret)
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in stored
    assert api_keys.key_hash(secret + "x") != stored


def test_display_prefix_is_short_enough_not_to_reveal_the_key() -> None:
    secret = api_keys.generate_key()
    prefix = api_keys.display_prefix(secret)
    assert secret.startswith(prefix)
    assert len(prefix) == api_keys.DISPLAY_PREFIX_LEN < len(secret) // 3


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("  Bearer   abc  ", "abc"),
        (None, None),
        ("", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("Basic YWJjOmRlZg==", None),
        ("Bearer a b", None),
        ("abc", None),
    ],
)
def test_parse_bearer(header: str | None, token: str | None) -> None:
    assert api_keys.parse_bearer(header) == token


def test_scopes() -> None:
    read = (api_keys.SCOPE_CASES_READ,)
    assert api_keys.has_scope(scopes=read, is_admin=False, needed=api_keys.SCOPE_CASES_READ)
    assert not api_keys.has_scope(scopes=read, is_admin=False, needed=api_keys.SCOPE_CASES_WRITE)
    assert not api_keys.has_scope(scopes=(), is_admin=False, needed=api_keys.SCOPE_REPORTS_READ)
    assert api_keys.has_scope(scopes=(), is_admin=True, needed=api_keys.SCOPE_CASES_WRITE)
    assert api_keys.has_scope(scopes=("*",), is_admin=False, needed=api_keys.SCOPE_CASES_WRITE)
