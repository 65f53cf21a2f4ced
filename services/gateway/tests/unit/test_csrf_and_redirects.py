"""CSRF tokens of the agent UI and the after-sign-in redirect target."""

import pytest

from gateway.domain import csrf
from gateway.ui.session import safe_next


def test_token_is_created_once_per_session() -> None:
    session: dict[str, object] = {}
    token = csrf.ensure_token(session)
    assert len(token) >= 32
    assert csrf.ensure_token(session) == token


def test_token_check() -> None:
    session: dict[str, object] = {}
    token = csrf.ensure_token(session)
    assert csrf.token_ok(session, token)
    assert not csrf.token_ok(session, token + "x")
    assert not csrf.token_ok(session, "")
    assert not csrf.token_ok(session, None)
    assert not csrf.token_ok({}, token)
    assert not csrf.token_ok({"csrf": token}, csrf.ensure_token({}))


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/cases/3", "/cases/3"),
        ("/?status=open", "/?status=open"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("cases/3", "/"),
    ],
)
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected
