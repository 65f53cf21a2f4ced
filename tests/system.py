"""The whole help desk as real processes on fresh PostgreSQL databases and a fresh RabbitMQ vhost.

Used by the end-to-end tests and by the benchmarks: every service runs as `python -m <package> <command>`
exactly as `make run` starts it, on free ports, with a real SMTP sink standing in for the relay.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from chassis.settings import repo_root
from chassis.testing import (
    ServiceProcess,
    amqp_vhost,
    free_port,
    pg_database,
    pg_template,
    start_together,
    stop_together,
    wait_for_rpc,
)

ROOT = repo_root()
PACKAGES = ["cases", "mail_gateway", "notifications", "reports", "gateway", "portal"]
API_KEY = "hd_e2e_" + "k" * 32
SECRET = "e2e-secret-" + "s" * 40
ADMIN_PASSWORD = "admin-e2e-password"


class SmtpSink:
    """A real SMTP server that keeps every message it is handed (the outbound relay in tests)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self._lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                msg = message_from_bytes(envelope.content, policy=policy.default)
                with sink._lock:
                    sink.messages.append((list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(self, predicate: Any, timeout: float = 15.0, what: str = "mail") -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for _rcpts, msg in self.messages:
                    if predicate(msg):
                        return msg
            time.sleep(0.05)
        subjects = [m["Subject"] for _r, m in self.messages]
        raise TimeoutError(f"no {what} in {timeout}s; the relay got: {subjects}")


@dataclass
class System:
    amqp_uri: str
    databases: dict[str, str]
    var_dir: Path
    smtp_relay: str
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, ServiceProcess] = field(default_factory=dict)

    # process name -> (package, command, ops/health port key)
    LAYOUT = {
        "cases": ("cases", "worker", "cases_ops"),
        "mail-gateway": ("mail_gateway", "worker", "mail_gateway_ops"),
        "smtp": ("mail_gateway", "smtp", "smtp_ops"),
        "notifications": ("notifications", "worker", "notifications_ops"),
        "reports": ("reports", "worker", "reports_ops"),
        "gateway": ("gateway", "web", "gateway"),
        "portal": ("portal", "web", "portal"),
    }

    def __post_init__(self) -> None:
        for key in (
            "cases_ops",
            "mail_gateway_ops",
            "smtp_ops",
            "notifications_ops",
            "reports_ops",
            "gateway",
            "portal",
            "smtp",
        ):
            self.ports.setdefault(key, free_port())

    @property
    def env(self) -> dict[str, str]:
        p = self.ports
        env = {
            "HELPDESK_ENV": "test",
            "HELPDESK_HOME": str(ROOT),
            "HELPDESK_VAR_DIR": str(self.var_dir),
            "HELPDESK_AMQP_URI": self.amqp_uri,
            "HELPDESK_SECRET_KEY": SECRET,
            "HELPDESK_API_KEY": API_KEY,
            "HELPDESK_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "HELPDESK_SMTP_RELAY": self.smtp_relay,
            "CASES_OPS_PORT": str(p["cases_ops"]),
            "MAIL_GATEWAY_OPS_PORT": str(p["mail_gateway_ops"]),
            "MAIL_GATEWAY_SMTP_OPS_PORT": str(p["smtp_ops"]),
            "MAIL_GATEWAY_SMTP_PORT": str(p["smtp"]),
            "MAIL_GATEWAY_BLOB_DIR": str(self.var_dir / "blobs"),
            "NOTIFICATIONS_OPS_PORT": str(p["notifications_ops"]),
            "NOTIFICATIONS_RETRY_BASE_DELAY": "0.2",
            # rate-limit counters are per run (the vhost is fresh each time), not shared with earlier runs
            "NOTIFICATIONS_REDIS_PREFIX": f"test:notifications:{self.amqp_uri.rsplit('/', 1)[-1]}",
            "REPORTS_OPS_PORT": str(p["reports_ops"]),
            # sessions and sign-in throttles per run too
            "GATEWAY_REDIS_PREFIX": f"test:gateway:{self.amqp_uri.rsplit('/', 1)[-1]}",
            "PORTAL_REDIS_PREFIX": f"test:portal:{self.amqp_uri.rsplit('/', 1)[-1]}",
            "GATEWAY_PORT": str(p["gateway"]),
            "GATEWAY_PUBLIC_URL": f"http://127.0.0.1:{p['gateway']}",
            "PORTAL_PORT": str(p["portal"]),
            "PORTAL_PUBLIC_URL": f"http://127.0.0.1:{p['portal']}",
        }
        for package, url in self.databases.items():
            env[f"{package.upper()}_DATABASE_URL"] = url
        return env

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['portal']}"

    @property
    def smtp_port(self) -> int:
        return self.ports["smtp"]

    def prepare(self, packages: Iterable[str] = PACKAGES) -> None:
        """Migrate and seed every service, as `make run` does."""
        for package in packages:
            _migrate_and_seed(package, {**_base_env(), **self.env})

    def process(self, name: str) -> ServiceProcess:
        if name not in self.processes:
            package, command, port_key = self.LAYOUT[name]
            self.processes[name] = ServiceProcess(
                package, command, self.env, f"http://127.0.0.1:{self.ports[port_key]}/healthz", self.var_dir / "logs"
            )
        return self.processes[name]

    def start(self, *names: str) -> None:
        names = names or tuple(self.LAYOUT)
        start_together([self.process(name) for name in names], timeout=60)
        for name in names:
            package, command, _port = self.LAYOUT[name]
            if command == "worker":  # started side by side: make sure each one's queues exist before going on
                wait_for_rpc(self.amqp_uri, package)

    def stop(self, *names: str) -> None:
        stop_together(self.processes[name] for name in names or tuple(self.LAYOUT) if name in self.processes)

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.gateway_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30)

    def logs(self) -> str:
        return "\n\n".join(f"--- {name} ---\n{proc.log_tail(40)}" for name, proc in self.processes.items())


def _base_env() -> dict[str, str]:
    import os

    return dict(os.environ)


def _migrate_and_seed(package: str, env: dict[str, str]) -> None:
    for command in ("migrate", "seed"):
        result = subprocess.run(
            [sys.executable, "-m", package, command], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"{package} {command} failed:\n{result.stdout}\n{result.stderr}")


def _template(package: str) -> str:
    """A database of `package` migrated and seeded once in this process; each system gets a copy of it."""

    def prepare(url: str) -> None:
        _migrate_and_seed(
            package,
            {
                **_base_env(),
                "HELPDESK_ENV": "test",
                "HELPDESK_HOME": str(ROOT),
                "HELPDESK_VAR_DIR": tempfile.mkdtemp(prefix=f"{package}-template-"),
                "HELPDESK_SECRET_KEY": SECRET,
                "HELPDESK_API_KEY": API_KEY,
                "HELPDESK_ADMIN_PASSWORD": ADMIN_PASSWORD,
                f"{package.upper()}_DATABASE_URL": url,
            },
        )

    return pg_template(f"e2e:{package}", prepare)


@contextlib.contextmanager
def running_system(
    tmp_path: Path, *, start: bool = True, databases: dict[str, str] | None = None
) -> Iterator[tuple[System, SmtpSink]]:
    """Fresh databases, vhost and SMTP sink; every service migrated, seeded and (optionally) started.

    `databases` maps a package to an existing database URL to use instead of a fresh one (kept afterwards),
    e.g. {"cases": bench.dataset.cases_database(1_000_000)}.
    """
    sink = SmtpSink().start()
    with contextlib.ExitStack() as stack:
        amqp = stack.enter_context(amqp_vhost())
        given = databases or {}
        # fresh databases are copies of ones migrated and seeded once; a given one is migrated and seeded here
        urls = {
            p: given[p] if p in given else stack.enter_context(pg_database(p, template=_template(p))) for p in PACKAGES
        }
        system = System(amqp, urls, tmp_path / "var", f"127.0.0.1:{sink.port}")
        system.var_dir.mkdir(parents=True, exist_ok=True)
        system.prepare(given)
        try:
            if start:
                system.start()
            yield system, sink
        finally:
            system.stop()
            sink.stop()
