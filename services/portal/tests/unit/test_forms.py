"""Form rules: addresses and replies (CSRF tokens and redirect targets: chassis tests/unit/test_web_security.py)."""

from __future__ import annotations

import pytest

from portal.domain.forms import FormError, clean_reply, normalize_email


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
