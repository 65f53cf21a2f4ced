"""Helpers of the portal tests: the running stack, a cookie-keeping client, the sign-in flow."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from chassis.settings import repo_root
from chassis.testing import EventCollector, ServiceProcess, SyncRpc, free_port

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def run_command(package: str, command: str, env: dict[str, str]) -> None:
    """`python -m <package> <command>` to completion (migrate, seed), failing loudly."""
    result = subprocess.run(
        [sys.executable, "-m", package, command],
        env={**os.environ, "HELPDESK_ENV": "test", **env},
        cwd=repo_root(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{package} {command} failed:\n{result.stdout}\n{result.stderr}"


@dataclass
class Stack:
    amqp_uri: str
    portal_url: str
    portal_db_url: str
    rpc: SyncRpc
    events: EventCollector
    agent: dict[str, Any]
    run_id: str
    portal_env: dict[str, str]
    log_dir: Path
    # the cases worker itself, for tests that stop it (None where a test builds a Stack without it)
    cases_process: ServiceProcess | None = None

    @contextlib.contextmanager
    def other_portal(self, name: str, **settings: str) -> Iterator[str]:
        """A second portal on the same database and broker with other settings (registration off, tighter
        limits), its own Redis prefix; yields its address."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **self.portal_env,
            "PORTAL_PORT": str(port),
            "PORTAL_OPS_PORT": str(port),
            "PORTAL_PUBLIC_URL": url,
            "PORTAL_REDIS_PREFIX": f"test-portal-{self.run_id}-{name}",
            **settings,
        }
        process = ServiceProcess("portal", "web", env, f"{url}/healthz", self.log_dir)
        process.start(timeout=30)
        try:
            yield url
        finally:
            process.stop()

    def password_link(self, email: str, count: int = 1) -> dict[str, Any]:
        """The payload of the `count`-th contact_password_link_requested event for `email`."""
        events = self.events.wait_for("contact_password_link_requested", count=count, timeout=15, email=email)
        payload: dict[str, Any] = events[count - 1]["payload"]
        return payload

    def password_link_events(self, email: str, settle: float = 0.5) -> list[dict[str, Any]]:
        """The contact_password_link_requested events for `email` that arrived within `settle` seconds."""
        deadline = time.monotonic() + settle
        while (remaining := deadline - time.monotonic()) > 0:
            with contextlib.suppress(socket.timeout, TimeoutError):
                self.events.conn.drain_events(timeout=remaining)
        return [
            e
            for e in self.events.events
            if e.get("event_type") == "contact_password_link_requested" and e["payload"].get("email") == email
        ]

    def organisation(self, name: str, domain: str, *, shares_cases: bool) -> dict[str, Any]:
        data = {"name": name, "domains": [domain], "members_see_cases": shares_cases}
        result: dict[str, Any] = self.rpc.call("cases", "save_organisation", data=data)
        return result

    def contact_in(self, email: str, organisation_id: int, name: str = "") -> dict[str, Any]:
        data = {"name": name or email.split("@")[0].title(), "emails": [email], "organisation_id": organisation_id}
        result: dict[str, Any] = self.rpc.call("cases", "save_contact", data=data, actor=self.agent_actor())
        return result

    def email(self, name: str) -> str:
        """A test address; each stack has its own Redis prefix, so rate limits never leak between runs."""
        return f"{name}@example.com"

    def create_case(self, *, email: str, title: str, description: str = "") -> dict[str, Any]:
        data = {"title": title, "description": description, "requester_email": email, "source": "email"}
        result: dict[str, Any] = self.rpc.call("cases", "create_case", data=data, actor=self.agent_actor())
        return result

    def add_message(self, *, case_id: int, body: str, visibility: str) -> dict[str, Any]:
        data = {"body": body, "visibility": visibility}
        result: dict[str, Any] = self.rpc.call(
            "cases", "add_message", case_id=case_id, data=data, actor=self.agent_actor()
        )
        return result

    def agent_actor(self) -> dict[str, Any]:
        return {"type": "agent", "id": self.agent["id"], "name": self.agent["name"], "email": self.agent["email"]}

    def client(self, url: str | None = None) -> PortalClient:
        return PortalClient(url or self.portal_url)

    def magic_link_events(self, email: str, settle: float = 0.3) -> list[dict[str, Any]]:
        """The magic_link_requested events for `email` that arrived within `settle` seconds from now."""
        deadline = time.monotonic() + settle
        while (remaining := deadline - time.monotonic()) > 0:
            with contextlib.suppress(socket.timeout, TimeoutError):
                self.events.conn.drain_events(timeout=remaining)
        return [
            e
            for e in self.events.events
            if e.get("event_type") == "magic_link_requested" and e["payload"].get("email") == email
        ]


class PortalClient:
    """A browser-like HTTP client: keeps cookies, never follows redirects by itself."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=15)

    def csrf(self, path: str) -> str:
        page = self.http.get(path)
        assert page.status_code == 200, page.text
        match = _CSRF.search(page.text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def request_link(self, email: str) -> httpx.Response:
        token = self.csrf("/login")
        return self.http.post("/login", data={"email": email, "csrf_token": token})

    def post_form(self, path: str, data: dict[str, str], page: str | None = None) -> httpx.Response:
        """Post a form as a browser does: with the CSRF token of the page it is on."""
        token = self.csrf(page or path)
        return self.http.post(path, data={**data, "csrf_token": token})

    def sign_in_with_password(self, email: str, password: str) -> httpx.Response:
        return self.post_form("/login", {"email": email, "password": password, "method": "password"}, "/login")

    def close(self) -> None:
        self.http.close()


def wait_for_link(stack: Stack, email: str, count: int = 1) -> dict[str, Any]:
    """The payload of the `count`-th magic_link_requested event for `email`."""
    events = stack.events.wait_for("magic_link_requested", count=count, timeout=15, email=email)
    payload: dict[str, Any] = events[count - 1]["payload"]
    return payload


def sign_in(stack: Stack, email: str) -> PortalClient:
    """A client signed in as `email` through the real magic-link flow."""
    client = stack.client()
    before = len(stack.magic_link_events(email))
    response = client.request_link(email)
    assert response.status_code == 200, response.text
    link = wait_for_link(stack, email, count=before + 1)["link_url"]
    redeemed = client.http.get(link)
    assert redeemed.status_code == 303, redeemed.text
    return client
