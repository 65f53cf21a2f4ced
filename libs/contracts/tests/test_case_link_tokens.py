"""Signed case links (D5): one case of one contact, until they expire; nothing else opens with them."""

from __future__ import annotations

import pytest

from contracts.tokens import (
    CaseLinkRefused,
    make_case_link_token,
    make_reply_address,
    read_case_link_token,
)

SECRET = "s" * 40
NOW = 1_900_000_000


def _refusal(token: str, *, secret: str = SECRET, now: float = NOW) -> str:
    with pytest.raises(CaseLinkRefused) as refused:
        read_case_link_token(token, secret=secret, now=now)
    return refused.value.reason


def test_a_fresh_token_names_its_case_and_contact() -> None:
    token = make_case_link_token(case_id=42, contact_id=7, expires_at=NOW + 60, secret=SECRET)
    assert read_case_link_token(token, secret=SECRET, now=NOW) == (42, 7)
    assert read_case_link_token(token, secret=SECRET, now=NOW + 59.9) == (42, 7)


def test_the_expiry_instant_is_already_too_late() -> None:
    token = make_case_link_token(case_id=42, contact_id=7, expires_at=NOW + 60, secret=SECRET)
    assert _refusal(token, now=NOW + 60) == "expired"
    assert _refusal(token, now=NOW + 10_000) == "expired"


@pytest.mark.parametrize("part", [0, 1, 2])
def test_changing_the_case_the_contact_or_the_expiry_breaks_the_signature(part: int) -> None:
    token = make_case_link_token(case_id=42, contact_id=7, expires_at=NOW + 60, secret=SECRET)
    pieces = token.split(".")
    pieces[part] = str(int(pieces[part]) + 1)
    assert _refusal(".".join(pieces)) == "invalid"


def test_another_secret_or_a_mangled_token_is_refused() -> None:
    token = make_case_link_token(case_id=42, contact_id=7, expires_at=NOW + 60, secret=SECRET)
    assert _refusal(token, secret="t" * 40) == "invalid"
    flipped = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert _refusal(flipped) == "invalid"
    for junk in ("", "42.7", token + ".1", token.upper(), "42.7.x.00", token[:-2]):
        assert _refusal(junk) == "invalid"


def test_a_signature_from_another_kind_of_token_does_not_open_a_case() -> None:
    plus_sig = make_reply_address(address="support@example.com", case_id=42, secret=SECRET).split("-")[-1][:16]
    assert _refusal(f"42.7.{NOW + 60}.{plus_sig * 2}") == "invalid"
