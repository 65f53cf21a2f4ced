"""Form rules: addresses, replies, CSRF tokens, redirect targets after sign-in."""

from __future__ import annotations

import pytest

from portal.domain.forms import FormError, clean_reply, csrf_matches, new_csrf_token, normalize_email, safe_next


def test_addresses_are_trimmed_and_lower_cased() -> None:
    assert normalize_email("  Alice.Smith@Example.COM ") == "alice.smith@example.com"


@pytest.mark.parametrize("raw", ["", "   ", "alice", "alice@", "@example.com", "a b@example.com", "x" * 321])
def test_bad_addresses_are_refused(raw: str) -> None:
    with pytest.raises(FormError):
        normalize_email(raw)


def test_replies_are_trimmed_with_unix_newlines() -> None:
    assert clean_reply("  Hello\r\nthere \n") == "Hello\nthere"


@pytest.mark.parametrize("raw", ["", "  \n\t ", "x" * 200_001])
def test_blank_or_huge_replies_are_refused(raw: str) -> None:
    with pytest.raises(FormError):
        clean_reply(raw)


def test_csrf_tokens_match_only_themselves() -> None:
    token = new_csrf_token()
    assert csrf_matches(token, token)
    assert not csrf_matches(token, new_csrf_token())
    assert not csrf_matches(token, None)
    assert not csrf_matches(None, token)
    assert not csrf_matches("", "")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/cases/7", "/cases/7"),
        ("/", "/"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("cases/7", "/"),
    ],
)
def test_only_local_paths_are_followed_after_sign_in(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected
