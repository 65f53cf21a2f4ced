"""CSRF tokens, the after-sign-in redirect target and the security headers of both front ends."""

from __future__ import annotations

import asyncio

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from chassis.web_security import (
    SecurityHeadersMiddleware,
    content_security_policy,
    csrf_matches,
    csrf_token_ok,
    ensure_csrf_token,
    new_csrf_token,
    safe_next,
    security_headers,
)


def test_token_is_created_once_per_session() -> None:
    session: dict[str, object] = {}
    token = ensure_csrf_token(session)
    assert len(token) >= 32
    assert ensure_csrf_token(session) == token


def test_token_check() -> None:
    session: dict[str, object] = {}
    token = ensure_csrf_token(session)
    assert csrf_token_ok(session, token)
    assert not csrf_token_ok(session, token + "x")
    assert not csrf_token_ok(session, "")
    assert not csrf_token_ok(session, None)
    assert not csrf_token_ok({}, token)
    assert not csrf_token_ok({"csrf": token}, ensure_csrf_token({}))


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
        ("/cases/3", "/cases/3"),
        ("/?status=open", "/?status=open"),
        ("/", "/"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("cases/3", "/"),
    ],
)
def test_only_local_paths_are_followed_after_sign_in(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def _client() -> TestClient:
    async def page(_request: Request) -> Response:
        return PlainTextResponse("page")

    async def download(_request: Request) -> Response:
        return PlainTextResponse("file", headers={"Content-Security-Policy": "sandbox"})

    app = Starlette(routes=[Route("/", page), Route("/download", download), Route("/docs", page)])
    wrapped = SecurityHeadersMiddleware(
        app, headers=security_headers(referrer_policy="no-referrer"), exempt_prefixes=("/docs",)
    )
    return TestClient(wrapped)


def test_every_response_carries_the_headers() -> None:
    response = _client().get("/")
    policy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    assert response.headers["content-security-policy"] == policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert _client().get("/missing").headers["content-security-policy"] == policy


def test_only_the_image_sources_vary() -> None:
    policy = content_security_policy(img_src="'self' data: https:")
    assert policy == "default-src 'self'; img-src 'self' data: https:; frame-ancestors 'none'; form-action 'self'"
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy


def test_a_routes_own_header_wins_and_exempt_paths_are_left_alone() -> None:
    assert _client().get("/download").headers["content-security-policy"] == "sandbox"
    assert "content-security-policy" not in _client().get("/docs").headers


def test_other_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: dict[str, object], _receive: object, _send: object) -> None:
        seen.append(str(scope["type"]))

    middleware = SecurityHeadersMiddleware(app, headers={"X": "y"})  # type: ignore[arg-type]
    asyncio.run(middleware({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert seen == ["lifespan"]
