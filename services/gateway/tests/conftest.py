"""Fixtures of the gateway tests: real cases + reports workers and the gateway web process, per test module.

Each module gets fresh PostgreSQL databases (cases, reports, gateway) and one fresh RabbitMQ vhost.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from notifications_process import notifications_worker
from playwright.sync_api import Browser, Page, expect

from chassis.db import make_engine, make_sessionmaker
from chassis.testing import (
    EventCollector,
    ServiceProcess,
    amqp_vhost,
    free_port,
    launched_chromium,
    pg_database,
    pg_template,
    start_together,
    stop_together,
    wait_for_rpc,
)
from chassis.testing import wait_until as _wait_until
from gateway import access

T = TypeVar("T")
ADMIN_EMAIL = "admin@example.com"
TWILIO_AUTH_TOKEN = "test-twilio-auth-token"


@dataclass
class Stack:
    """The running services and what a test needs to drive them."""

    base_url: str
    amqp_uri: str
    api_key: str
    admin_password: str
    gateway_db_url: str
    var_dir: Path
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    cases_db_url: str = ""  # the case-work tests read case_history rows
    secret_key: str = ""  # HELPDESK_SECRET_KEY: the account tests sign links as the gateway does

    def client(self, key: str | None = None, **kwargs: Any) -> httpx.Client:
        """An HTTP client of the gateway authenticated with `key` (the seeded admin key by default)."""
        headers = {"Authorization": f"Bearer {key or self.api_key}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=20, **kwargs)

    def anonymous(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=20)

    def db(self) -> Any:
        """A session factory on the gateway's own database (to create keys as an operator would)."""
        return make_sessionmaker(make_engine(self.gateway_db_url))

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{p.log_tail(80)}" for name, p in self.processes.items())


def wait_until(check: Callable[[], T], timeout: float = 15.0, what: str = "condition") -> T:
    """Poll `check()` until it returns something truthy (every 0.2 s: most checks here are HTTP calls)."""
    return _wait_until(check, timeout=timeout, what=what, interval=0.2)


def _run(package: str, command: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", package, command],
        env={**os.environ, "HELPDESK_ENV": "test", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{package} {command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


# One admin key, admin password and secret key for the whole test process: every module's databases are
# copies of templates migrated and seeded once with them (chassis.testing.pg_template).
SECRET_KEY = secrets.token_urlsafe(32)
API_KEY = "hdk_test_" + secrets.token_urlsafe(24)
ADMIN_PASSWORD = secrets.token_urlsafe(12)


def _template(package: str, *commands: str) -> str:
    """A database of `package` with `commands` (migrate, seed) run once in this process, to copy per module."""

    def prepare(url: str) -> None:
        env = {
            "HELPDESK_SECRET_KEY": SECRET_KEY,
            "HELPDESK_API_KEY": API_KEY,
            "HELPDESK_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "HELPDESK_VAR_DIR": tempfile.mkdtemp(prefix=f"{package}-template-"),
            f"{package.upper()}_DATABASE_URL": url,
        }
        for command in commands:
            output = _run(package, command, env)
            assert API_KEY not in output and ADMIN_PASSWORD not in output

    return pg_template(f"{package}:{'+'.join(commands)}", prepare)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """cases + reports workers and `python -m gateway web`, each on its own fresh database, one vhost."""
    tmp = Path(tmp_path_factory.mktemp("gateway-stack"))
    with (
        amqp_vhost() as amqp_uri,
        pg_database("cases", template=_template("cases", "migrate", "seed")) as cases_db,
        pg_database("reports", template=_template("reports", "migrate")) as reports_db,
        pg_database("gateway", template=_template("gateway", "migrate", "seed")) as gateway_db,
    ):
        common = {
            "HELPDESK_AMQP_URI": amqp_uri,
            "HELPDESK_VAR_DIR": str(tmp / "var"),
            "HELPDESK_SECRET_KEY": SECRET_KEY,
        }
        cases_port, reports_port, gateway_port = free_port(), free_port(), free_port()
        cases_env = {**common, "CASES_DATABASE_URL": cases_db, "CASES_OPS_PORT": str(cases_port)}
        reports_env = {**common, "REPORTS_DATABASE_URL": reports_db, "REPORTS_OPS_PORT": str(reports_port)}
        stack = Stack(
            base_url=f"http://127.0.0.1:{gateway_port}",
            amqp_uri=amqp_uri,
            api_key=API_KEY,
            admin_password=ADMIN_PASSWORD,
            gateway_db_url=gateway_db,
            var_dir=tmp / "var",
        )
        stack.cases_db_url = cases_db
        stack.secret_key = SECRET_KEY
        gateway_env = {
            **common,
            "GATEWAY_DATABASE_URL": gateway_db,
            "GATEWAY_PORT": str(gateway_port),
            "HELPDESK_API_KEY": stack.api_key,
            "HELPDESK_ADMIN_PASSWORD": stack.admin_password,
            # the Twilio webhook checks signatures over the public URL with this token
            "GATEWAY_PUBLIC_URL": stack.base_url,
            "GATEWAY_TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
            # sessions and sign-in throttles of this module only (every test signs in from 127.0.0.1)
            "GATEWAY_REDIS_PREFIX": f"test:gateway:{uuid.uuid4().hex}",
        }
        logs = tmp / "logs"
        try:
            workers = start_together(
                [
                    ServiceProcess("cases", "worker", cases_env, f"http://127.0.0.1:{cases_port}/healthz", logs),
                    ServiceProcess("reports", "worker", reports_env, f"http://127.0.0.1:{reports_port}/healthz", logs),
                ]
            )
            stack.processes.update(cases=workers[0], reports=workers[1])
            wait_for_rpc(amqp_uri, "cases")
            wait_for_rpc(amqp_uri, "reports")
            stack.processes["gateway"] = ServiceProcess(
                "gateway", "web", gateway_env, f"{stack.base_url}/healthz", logs
            ).start()
            yield stack
        finally:
            stop_together(reversed(stack.processes.values()))
            if os.environ.get("GATEWAY_TEST_SHOW_LOG"):
                print(stack.logs())


@pytest.fixture(scope="module")
def events(stack: Stack) -> Iterator[EventCollector]:
    """Every event the cases service publishes from now on."""
    collector = EventCollector(stack.amqp_uri, ["cases"])
    try:
        yield collector
    finally:
        collector.close()


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    """An HTTP client with the seeded admin API key."""
    with stack.client() as client:
        yield client


@pytest.fixture(scope="module")
def admin_agent(api: httpx.Client) -> dict[str, Any]:
    agents = api.get("/api/v1/agents").json()["items"]
    return next(a for a in agents if a["email"] == ADMIN_EMAIL)


@pytest.fixture(scope="module")
def support_group(api: httpx.Client) -> dict[str, Any]:
    groups = api.get("/api/v1/groups").json()["items"]
    return next(g for g in groups if g["name"] == "Support")


@pytest.fixture(scope="module")
def notifications(stack: Stack) -> Iterator[ServiceProcess]:
    """The notifications worker on the stack's vhost (it stores agents' alerts and pushes them)."""
    with notifications_worker(stack) as process:
        yield process


@pytest.fixture(scope="module")
def partner(stack: Stack) -> Iterator[httpx.Client]:
    """A key that acts as no agent: the cases it opens notify the group's agents."""
    _, secret = access.create_api_key(factory=stack.db(), name=f"partner {uuid.uuid4().hex[:6]}", scopes=["*"])
    with stack.client(secret) as client:
        yield client


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with launched_chromium() as browser:
        yield browser


@contextlib.contextmanager
def agent_page(chromium: Browser, stack: Stack) -> Iterator[Page]:
    """A fresh browser context signed in as the seeded admin, on the cases list; closed afterwards. Reduced motion:
    axe must judge colours at rest, not halfway through a button's hover transition."""
    context = chromium.new_context(
        viewport={"width": 1280, "height": 860}, base_url=stack.base_url, reduced_motion="reduce"
    )
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(ADMIN_EMAIL)
        page.get_by_label("Password").fill(stack.admin_password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Cases")).to_be_visible()
        yield page
    finally:
        context.close()


def my_notifications(api: httpx.Client) -> dict[str, Any]:
    """The first page of the key's agent's notifications, with its unread count."""
    resp = api.get("/api/v1/notifications")
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.fixture(scope="module")
def mail(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The mail gateway's SMTP listener and worker on the stack's vhost (cases turns its mail into cases)."""
    tmp = Path(tmp_path_factory.mktemp("mail-gateway"))
    with pg_database("mail_gateway", template=_template("mail_gateway", "migrate", "seed")) as db_url:
        smtp_port, smtp_ops, worker_ops = free_port(), free_port(), free_port()
        env = {
            **os.environ,
            "HELPDESK_ENV": "test",
            "HELPDESK_AMQP_URI": stack.amqp_uri,
            "HELPDESK_VAR_DIR": str(tmp / "var"),
            "MAIL_GATEWAY_DATABASE_URL": db_url,
            "MAIL_GATEWAY_BLOB_DIR": str(tmp / "blobs"),
            "MAIL_GATEWAY_SMTP_PORT": str(smtp_port),
            "MAIL_GATEWAY_SMTP_OPS_PORT": str(smtp_ops),
            "MAIL_GATEWAY_OPS_PORT": str(worker_ops),
        }
        processes = [
            ServiceProcess("mail_gateway", "smtp", env, f"http://127.0.0.1:{smtp_ops}/healthz", tmp / "logs"),
            ServiceProcess("mail_gateway", "worker", env, f"http://127.0.0.1:{worker_ops}/healthz", tmp / "logs"),
        ]
        start_together(processes)
        try:
            yield {"smtp_port": smtp_port}
        finally:
            stop_together(processes)
