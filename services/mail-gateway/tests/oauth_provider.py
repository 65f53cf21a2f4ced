"""A fake OAuth2 provider for tests: the one third party we cannot reach (Microsoft's or Google's sign-in).

A real HTTP server on 127.0.0.1 that Authlib (in the code under test) and dovecot's oauth2 passdb talk to:
- `GET /authorize`: the consent screen, answered at once as if the user (`login_hint`, else `consent_user`) clicked
  "Accept": a 302 to `redirect_uri` with a one-time `code` and the caller's `state`;
- `POST /token`: `authorization_code` (checks client id/secret, redirect URI and the PKCE verifier) and
  `refresh_token` grants; each answer is a new access token living `expires_in` seconds and a new refresh
  token (rotation, as Microsoft does: the old one stops working); `fail_refresh[user]` makes that user's
  refreshes answer `invalid_grant`;
- `POST /introspect`: RFC 7662, what dovecot asks to verify an XOAUTH2 login (`active` and `username`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from chassis.testing import free_port

CLIENT_ID = "helpdesk-test-client"
CLIENT_SECRET = "client-secret-never-shown-7731"


@dataclass
class Grant:
    user: str
    scope: str
    expires_at: float


@dataclass
class FakeProvider:
    port: int
    consent_user: str = "support"  # who "signs in" on the consent screen
    expires_in: int = 3600
    # user -> an error description: that user's refreshes answer invalid_grant with it (consent revoked)
    fail_refresh: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    access: dict[str, Grant] = field(default_factory=dict)
    refresh: dict[str, Grant] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    introspections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def authorize_url(self) -> str:
        return self.base + "/authorize"

    @property
    def token_url(self) -> str:
        return self.base + "/token"

    @property
    def introspection_url(self) -> str:
        return self.base + "/introspect"

    def grants(self, grant_type: str) -> list[dict[str, str]]:
        with self.lock:
            return [r for r in self.token_requests if r.get("grant_type") == grant_type]

    def issue(self, user: str, scope: str) -> dict[str, Any]:
        """New tokens for `user` (as a completed grant would give), also usable directly by tests."""
        access, refresh = "at-" + secrets.token_urlsafe(24), "rt-" + secrets.token_urlsafe(24)
        with self.lock:
            self.access[access] = Grant(user, scope, time.time() + self.expires_in)
            self.refresh[refresh] = Grant(user, scope, time.time() + 90 * 86400)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": refresh,
            "scope": scope,
        }


def _handler(provider: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt: str, *args: Any) -> None:  # quiet
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            return {k: v[0] for k, v in parse_qs(raw).items()}

        def _client(self, form: dict[str, str]) -> tuple[str, str]:
            """client_secret_basic or client_secret_post."""
            header = self.headers.get("Authorization") or ""
            if header.startswith("Basic "):
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                return user, password
            return form.get("client_id", ""), form.get("client_secret", "")

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path != "/authorize":
                return self._json(404, {"error": "not_found"})
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                return self._json(400, {"error": "invalid_request"})
            code = "code-" + secrets.token_urlsafe(16)
            with provider.lock:
                provider.codes[code] = query
            target = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query.get("state", "")})
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            path = urlparse(self.path).path
            form = self._form()
            if path == "/introspect":
                with provider.lock:
                    provider.introspections += 1
                    grant = provider.access.get(form.get("token", ""))
                if grant is None or grant.expires_at < time.time():
                    return self._json(200, {"active": False})
                return self._json(200, {"active": True, "username": grant.user, "scope": grant.scope})
            if path != "/token":
                return self._json(404, {"error": "not_found"})
            with provider.lock:
                provider.token_requests.append(dict(form))
            if self._client(form) != (CLIENT_ID, CLIENT_SECRET):
                return self._json(401, {"error": "invalid_client", "error_description": "unknown client"})
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                with provider.lock:
                    asked = provider.codes.pop(form.get("code", ""), None)
                if asked is None or asked.get("redirect_uri") != form.get("redirect_uri"):
                    return self._json(400, {"error": "invalid_grant", "error_description": "unknown code"})
                challenge = asked.get("code_challenge")
                if challenge:
                    verifier = form.get("code_verifier", "")
                    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
                    if digest.decode() != challenge:
                        return self._json(400, {"error": "invalid_grant", "error_description": "PKCE mismatch"})
                user = asked.get("login_hint") or provider.consent_user
                return self._json(200, provider.issue(user, asked.get("scope", "")))
            if grant_type == "refresh_token":
                with provider.lock:
                    old = provider.refresh.get(form.get("refresh_token", ""))
                    failure = provider.fail_refresh.get(old.user) if old is not None else None
                    if old is not None and failure is None:
                        del provider.refresh[form["refresh_token"]]
                if old is None:
                    return self._json(400, {"error": "invalid_grant", "error_description": "unknown refresh token"})
                if failure is not None:
                    return self._json(400, {"error": "invalid_grant", "error_description": failure})
                return self._json(200, provider.issue(old.user, old.scope))
            return self._json(400, {"error": "unsupported_grant_type"})

    return Handler


@contextlib.contextmanager
def fake_provider(**options: Any) -> Iterator[FakeProvider]:
    """Serve a FakeProvider on a free port for the duration of the block."""
    provider = FakeProvider(port=free_port(), **options)
    server = ThreadingHTTPServer(("127.0.0.1", provider.port), _handler(provider))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
