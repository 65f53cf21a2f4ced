"""Version tokens, If-Match and redaction of admin changes (gateway.domain.audit): no I/O."""

from __future__ import annotations

from pydantic import BaseModel

from gateway.domain.audit import REDACTED, etag, fingerprint, if_match_token, redact


class _Mailbox(BaseModel):
    id: int
    address: str
    imap_password_set: bool = False
    imap_last_polled_at: str | None = None


def test_the_version_is_the_same_for_the_same_content_in_any_key_order() -> None:
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint(_Mailbox(id=1, address="a@x")) == fingerprint(
        {"address": "a@x", "id": 1, "imap_password_set": False, "imap_last_polled_at": None}
    )


def test_any_edited_field_gives_a_new_version_but_a_poll_does_not() -> None:
    before = _Mailbox(id=1, address="a@x")
    assert fingerprint(before) != fingerprint(_Mailbox(id=1, address="b@x"))
    assert fingerprint(before) != fingerprint(_Mailbox(id=1, address="a@x", imap_password_set=True))
    assert fingerprint(before) == fingerprint(_Mailbox(id=1, address="a@x", imap_last_polled_at="2026-12-07T10:00Z"))


def test_if_match_takes_quoted_weak_and_bare_tokens_and_star_means_any() -> None:
    token = fingerprint({"id": 1})
    assert if_match_token(etag(token)) == token
    assert if_match_token(f"W/{etag(token)}") == token
    assert if_match_token(token) == token
    assert if_match_token("*") is None
    assert if_match_token(None) is None
    assert if_match_token("  ") is None


def test_secrets_are_redacted_at_any_depth_and_flags_about_them_are_kept() -> None:
    obj = {
        "name": "Support",
        "imap_password": "hunter2",
        "imap_password_set": True,
        "secret": "hdk_abc",
        "oauth": {"refresh_token": "r", "access_token": "a", "client_secret": "c", "client_id": "id"},
        "keys": [{"key_hash": "ff", "prefix": "hdk_12345678"}],
        "password": None,
    }
    cleaned = redact(obj)
    assert cleaned["imap_password"] == REDACTED
    assert cleaned["secret"] == REDACTED
    assert cleaned["oauth"] == {
        "refresh_token": REDACTED,
        "access_token": REDACTED,
        "client_secret": REDACTED,
        "client_id": "id",
    }
    assert cleaned["keys"] == [{"key_hash": REDACTED, "prefix": "hdk_12345678"}]
    assert cleaned["imap_password_set"] is True and cleaned["name"] == "Support"
    assert cleaned["password"] is None  # "no password" says what changed and gives nothing away
    assert "hunter2" not in str(cleaned) and "hdk_abc" not in str(cleaned)
