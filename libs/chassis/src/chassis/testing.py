"""Test support shared by every service's tests: real PostgreSQL databases, RabbitMQ vhosts, processes.

Nothing here is faked: a test gets its own PostgreSQL database and its own RabbitMQ vhost, and
runs services as the real processes `python -m <package> <command>`.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from kombu import Connection, Exchange, Queue
from sqlalchemy import Engine, MetaData, create_engine, inspect

from chassis.settings import repo_root

PG_ADMIN_URL = os.environ.get("HELPDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
AMQP_BASE = os.environ.get("HELPDESK_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672")

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(statement)  # our own names, never user input


def _database_url(name: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


@contextlib.contextmanager
def pg_database(prefix: str, *, template: str | None = None) -> Iterator[str]:
    """A fresh PostgreSQL database, empty or a copy of `template` (see `pg_template`); dropped afterwards.
    Yields its SQLAlchemy URL."""
    name = f"t_{prefix}_{uuid.uuid4().hex[:8]}"
    _pg_admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield _database_url(name)
    finally:
        _CLEANUP.submit(_drop_quietly, name)


_TEMPLATES: dict[str, str] = {}
# Dropping a database or a vhost takes a second or two that no test waits for: it is done beside the next
# tests. The executor's threads are joined when the process exits, so nothing is left behind.
_CLEANUP = ThreadPoolExecutor(max_workers=2, thread_name_prefix="test-cleanup")


def pg_template(key: str, prepare: Callable[[str], object]) -> str:
    """The name of a database that `prepare(url)` migrated and seeded once in this test process, for
    `pg_database(..., template=name)` to copy: copying takes a fraction of a second, migrating and seeding a
    service several (a process start each). `key` names what was prepared, e.g. "cases:migrate+seed"; the
    template is dropped when the process exits. `prepare` must leave no connection open (PostgreSQL copies a
    template only while nobody is connected to it)."""
    if key not in _TEMPLATES:
        name = f"t_tpl_{re.sub(r'[^a-z0-9]+', '_', key.lower())[:30]}_{uuid.uuid4().hex[:8]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        try:
            prepare(_database_url(name))
        except BaseException:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            raise
        atexit.register(_drop_quietly, name)
        _TEMPLATES[key] = name
    return _TEMPLATES[key]


def _drop_quietly(name: str) -> None:
    with contextlib.suppress(Exception):
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@contextlib.contextmanager
def amqp_vhost() -> Iterator[str]:
    """A fresh RabbitMQ vhost for guest, so tests never see each other's queues. Yields the AMQP URI."""
    vhost = f"t-{uuid.uuid4().hex[:10]}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        yield f"{AMQP_BASE}/{vhost}"
    finally:
        _CLEANUP.submit(_delete_vhost_quietly, vhost)


def _delete_vhost_quietly(vhost: str) -> None:
    with contextlib.suppress(Exception):
        _rabbitmqctl("delete_vhost", vhost)


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until `url` answers 200 (e.g. a /healthz)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} was healthy")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - http URLs we built
                if resp.status == 200:
                    return
        except Exception as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{url} not healthy after {timeout}s: {last}")


def wait_until(check: Callable[[], T], timeout: float = 20.0, what: str = "condition", interval: float = 0.05) -> T:
    """Poll `check()` until it returns something truthy and return that; TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached in {timeout}s (last: {value!r})")
        time.sleep(interval)


def migrate_sqlite(package: str, path: Path) -> str:
    """Migrate a fresh SQLite file at `path` with the service's own `migrate` command; returns its URL."""
    url = f"sqlite:///{path}"
    result = subprocess.run(
        [sys.executable, "-m", package, "migrate"],
        env={**os.environ, "HELPDESK_ENV": "test", f"{package.upper()}_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{package} migrate failed:\n{result.stderr}")
    return url


def schema_differences(engine: Engine, metadata: MetaData) -> list[Any]:
    """What alembic's autogenerate finds between the migrated database and the models: [] when they agree."""
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def migrated_schema_problems(package: str, metadata: MetaData, tmp_path: Path) -> tuple[set[str], list[Any]]:
    """Migrate a fresh SQLite database of `package` and compare it with `metadata`: the migrated tables, and
    the differences alembic finds ([] when the migrations and the table declarations agree)."""
    engine = create_engine(migrate_sqlite(package, tmp_path / f"{package}.db"))
    try:
        return set(inspect(engine).get_table_names()), schema_differences(engine, metadata)
    finally:
        engine.dispose()


class ServiceProcess:
    """A service run as its real process (`python -m <package> <command>`), output to a log file."""

    def __init__(self, package: str, command: str, env: dict[str, str], health_url: str | None, log_dir: Path) -> None:
        self.package = package
        self.command = command
        self.env = env
        self.health_url = health_url
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{package}-{command}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> ServiceProcess:
        return self.spawn().wait_healthy(timeout)

    def spawn(self) -> ServiceProcess:
        """Launch the process without waiting for it (see `start_together`)."""
        env = {**os.environ, "HELPDESK_ENV": "test", "HELPDESK_LOG_FORMAT": "json", **self.env}
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.package, self.command],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=repo_root(),
                start_new_session=True,
            )
        return self

    def wait_healthy(self, timeout: float = 60.0) -> ServiceProcess:
        if self.health_url:
            try:
                wait_http(self.health_url, timeout, self.proc)
            except Exception:
                self.stop()
                raise RuntimeError(f"{self.package} {self.command} did not start; log:\n{self.log_tail()}") from None
        return self

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        self.wait_stopped(timeout)

    def wait_stopped(self, timeout: float) -> None:
        """Wait for a process already told to stop; kill it after `timeout`."""
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def terminate(self) -> None:
        """SIGTERM without waiting (see `stop_together`)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_together(processes: Iterable[ServiceProcess], timeout: float = 60.0) -> list[ServiceProcess]:
    """Launch every process, then wait for each to be healthy: they start side by side, not one after another.
    If one fails, the others are stopped too."""
    started = [process.spawn() for process in processes]
    try:
        for process in started:
            process.wait_healthy(timeout)
    except BaseException:
        stop_together(started)
        raise
    return started


def stop_together(processes: Iterable[ServiceProcess], timeout: float = 15.0) -> None:
    """SIGTERM every process at once, then wait for each (killed after `timeout`): teardown takes the slowest
    process's time, not the sum."""
    stopping = list(processes)
    for process in stopping:
        process.terminate()
    deadline = time.monotonic() + timeout
    for process in stopping:
        process.wait_stopped(max(0.1, deadline - time.monotonic()))


class SyncRpc:
    """A blocking nameko-protocol RPC client on kombu (no eventlet), for tests, seeds and benches."""

    def __init__(self, amqp_uri: str, timeout: float = 15.0) -> None:
        self.timeout = timeout
        self.conn = Connection(amqp_uri)
        self.exchange = Exchange("nameko-rpc", type="topic", durable=True)
        self.reply_queue = Queue(
            f"rpc.reply-test-{uuid.uuid4().hex}", exchange=self.exchange, exclusive=True, auto_delete=True
        )
        self.reply_queue.routing_key = self.reply_queue.name
        self.channel = self.conn.channel()
        self.reply_queue(self.channel).declare()
        self._replies: dict[str, Any] = {}
        self.consumer = self.conn.Consumer(self.reply_queue, callbacks=[self._on_reply], accept=["json"], no_ack=True)
        self.consumer.consume()
        self.producer = self.conn.Producer(self.channel)

    def _on_reply(self, body: Any, message: Any) -> None:
        self._replies[message.properties.get("correlation_id")] = body

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        from chassis.rpc_client import remote_error

        correlation_id = uuid.uuid4().hex
        self.producer.publish(
            {"args": list(args), "kwargs": kwargs},
            exchange=self.exchange,
            routing_key=f"{service}.{method}",
            reply_to=self.reply_queue.name,
            correlation_id=correlation_id,
            serializer="json",
            declare=[self.exchange],
        )
        deadline = time.monotonic() + self.timeout
        while correlation_id not in self._replies:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{service}.{method} did not answer within {self.timeout}s")
            with contextlib.suppress(socket.timeout, TimeoutError):
                self.conn.drain_events(timeout=min(remaining, 0.5))
        reply = self._replies.pop(correlation_id)
        if reply.get("error"):
            raise remote_error(reply["error"])
        return reply.get("result")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.release()


class EventCollector:
    """Binds a private queue to `<service>.events` exchanges and collects the envelopes published."""

    def __init__(self, amqp_uri: str, sources: list[str], routing_key: str = "#") -> None:
        self.conn = Connection(amqp_uri)
        self.events: list[dict[str, Any]] = []
        name = f"test-collector-{uuid.uuid4().hex[:8]}"
        bindings = [
            Queue(
                name,
                exchange=Exchange(f"{s}.events", type="topic", durable=True),
                routing_key=routing_key,
                exclusive=True,
                auto_delete=True,
            )
            for s in sources
        ]
        self.channel = self.conn.channel()
        for q in bindings:
            q(self.channel).declare()
        self.consumer = self.conn.Consumer(bindings[0], callbacks=[self._on_event], accept=["json"], no_ack=True)
        self.consumer.consume()

    def _on_event(self, body: Any, _message: Any) -> None:
        self.events.append(body if isinstance(body, dict) else json.loads(body))

    def wait_for(
        self, event_type: str, count: int = 1, timeout: float = 10.0, **payload_match: Any
    ) -> list[dict[str, Any]]:
        """Wait until `count` events of `event_type` (whose payload matches) have arrived; return them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [
                e
                for e in self.events
                if e.get("event_type") == event_type and _matches(e.get("payload", {}), payload_match)
            ]
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [e.get("event_type") for e in self.events]
                raise TimeoutError(f"{count} x {event_type} {payload_match} not seen in {timeout}s; saw {seen}")
            with contextlib.suppress(socket.timeout, TimeoutError):
                self.conn.drain_events(timeout=min(remaining, 0.2))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.release()


def _matches(payload: dict[str, Any], expected: dict[str, Any]) -> bool:
    for dotted, value in expected.items():
        current: Any = payload
        for part in dotted.split("__"):
            if not isinstance(current, dict) or part not in current:
                return False
            current = current[part]
        if current != value:
            return False
    return True


# Debian's Chromium, launched the way this machine needs (no downloads, no sandbox as root, no
# background traffic to hosts the closed network refuses): pass to playwright's chromium.launch().
CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--no-sandbox",
]


@contextlib.contextmanager
def launched_chromium() -> Iterator[Any]:
    """Debian's Chromium under playwright, closed afterwards (a `playwright.sync_api.Browser`)."""
    from playwright.sync_api import sync_playwright  # only the browser suites need playwright loaded

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class RecordingRelay:
    """Stands in for a worker's outbox relay in tests that call handlers directly: counts the wake-ups."""

    def __init__(self) -> None:
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


class RecordingDeadLetters:
    """Stands in for `DeadLetters`: records (consumer, event id) of every message sent to the dead-letter queue."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, body: Any, *, consumer: str, event_type: str, reason: str) -> None:
        self.sent.append((consumer, body["event_id"]))


@contextlib.contextmanager
def worker_runtime(settings: Any, outbox_model: Any, processed_model: Any, workers: int = 10) -> Iterator[Any]:
    """A nameko worker's `Runtime` on `settings.db_url` (pooled as the worker's), with a `RecordingRelay` and
    `RecordingDeadLetters`, for tests that call grouped handlers in-process; the engine is disposed afterwards."""
    from chassis.db import make_sessionmaker, make_worker_engine
    from chassis.nameko_runtime import Runtime  # nameko (and eventlet) only for the suites that use it

    engine = make_worker_engine(settings.db_url, workers=workers)
    try:
        yield Runtime(
            settings=settings,
            engine=engine,
            session_factory=make_sessionmaker(engine),
            outbox_model=outbox_model,
            processed_model=processed_model,
            relay=RecordingRelay(),
            dead_letters=RecordingDeadLetters(),
        )
    finally:
        engine.dispose()


def wait_for_rpc(amqp_uri: str, service: str, timeout: float = 30.0) -> None:
    """Wait until `service` answers its `health` RPC: a worker's /healthz answers before its queues exist, and
    a call or event sent earlier would be lost."""
    deadline = time.monotonic() + timeout
    probe = SyncRpc(amqp_uri, timeout=1.0)
    try:
        while True:
            try:
                probe.call(service, "health")
                return
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise
    finally:
        probe.close()
