"""Fixtures of the cases tests: a fresh PostgreSQL database and RabbitMQ vhost per module, the real worker."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection, Exchange, Queue
from sqlalchemy import Engine, create_engine, text

from cases.sla import writes_hooks
from chassis.testing import (
    EventCollector,
    ServiceProcess,
    SyncRpc,
    amqp_vhost,
    free_port,
    pg_database,
    pg_template,
    wait_for_rpc,
    wait_until,
)
from contracts.envelope import Envelope, EventPayload
from contracts.mail_gateway import MailAddress, MailReceived


@pytest.fixture(autouse=True, scope="session")
def sla_hooks() -> None:
    """Sessions opened by the tests keep each case's SLA as the worker's do (the worker installs it at start)."""
    writes_hooks.install()


_inbound_ids = itertools.count(int(time.time() * 100))


def mail_received(sender: str, sender_name: str = "Kari", **fields: Any) -> MailReceived:
    """A `mail_received` as the mail gateway sends it, with a fresh inbound id, Message-ID and subject.

    `fields` set or override any other field (`mailbox`, `text_body`, `thread`, ...).
    """
    fields.setdefault("subject", f"Printer {uuid.uuid4().hex[:8]}")
    fields.setdefault("mailbox", "support@helpdesk.example.com")
    fields.setdefault("text_body", "Hello")
    return MailReceived(
        inbound_mail_id=next(_inbound_ids),
        default_group="Support",
        message_id=f"<{uuid.uuid4().hex}@customer.example>",
        from_address=MailAddress(email=sender, name=sender_name),
        **fields,
    )


@dataclass
class CasesService:
    """A running cases worker and the handles a test needs to talk to it and look inside."""

    amqp_uri: str
    db: Engine
    rpc: SyncRpc
    events: EventCollector
    ops_url: str
    process: ServiceProcess

    def call(self, method: str, **kwargs: Any) -> Any:
        return self.rpc.call("cases", method, **kwargs)

    def publish(self, source: str, envelope: dict[str, Any]) -> None:
        """Publish an event envelope as service `source` would (exchange `<source>.events`)."""
        with Connection(self.amqp_uri) as conn:
            conn.Producer().publish(
                envelope,
                exchange=Exchange(f"{source}.events", type="topic", durable=True),
                routing_key=envelope.get("event_type", "unknown"),
                serializer="json",
                delivery_mode=2,
                declare=[Exchange(f"{source}.events", type="topic", durable=True)],
            )

    def envelope(self, payload: EventPayload, source: str) -> dict[str, Any]:
        return Envelope.wrap(payload, source=source, correlation_id=uuid.uuid4().hex).model_dump(mode="json")

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.db.connect() as conn:
            return list(conn.execute(text(sql), params))

    def metric(self, name: str, **labels: str) -> float:
        """The value of one Prometheus sample on the worker's ops port (0 when absent)."""
        import urllib.request

        with urllib.request.urlopen(f"{self.ops_url}/metrics", timeout=5) as resp:
            lines = resp.read().decode().splitlines()
        want = [f'{k}="{v}"' for k, v in labels.items()]
        total = 0.0
        for line in lines:
            if line.startswith(name + "{") and all(w in line for w in want):
                total += float(line.rsplit(" ", 1)[1])
        return total

    @staticmethod
    def dead_letter_queue() -> Queue:
        return Queue(
            "helpdesk.dead-letter", exchange=Exchange("helpdesk.dead-letter", type="fanout", durable=True), durable=True
        )

    @staticmethod
    def wait_until(check: Any, timeout: float = 10.0, what: str = "condition") -> Any:
        """Poll `check()` until it returns something truthy."""
        return wait_until(check, timeout=timeout, what=what, interval=0.1)


def _run(command: str, env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cases", command],
        env={**os.environ, "HELPDESK_ENV": "test", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"cases {command} failed:\n{result.stdout}\n{result.stderr}"


def _migrated_and_seeded(db_url: str) -> None:
    _run("migrate", {"CASES_DATABASE_URL": db_url})
    _run("seed", {"CASES_DATABASE_URL": db_url})


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CasesService]:
    template = pg_template("cases:migrate+seed", _migrated_and_seeded)
    with pg_database("cases", template=template) as db_url, amqp_vhost() as amqp_uri:
        port = free_port()
        env = {"CASES_DATABASE_URL": db_url, "HELPDESK_AMQP_URI": amqp_uri, "CASES_OPS_PORT": str(port)}
        env["CASES_DORMANT_CHECK_SECONDS"] = "0.5"  # dormant cases wake within the test's wait
        log_dir = Path(tmp_path_factory.mktemp("cases-logs"))
        ops_url = f"http://127.0.0.1:{port}"
        process = ServiceProcess("cases", "worker", env, f"{ops_url}/healthz", log_dir).start()
        engine = create_engine(db_url)
        rpc = events = None
        try:
            wait_for_rpc(amqp_uri, "cases")
            rpc = SyncRpc(amqp_uri)
            events = EventCollector(amqp_uri, ["cases"])
            yield CasesService(amqp_uri, engine, rpc, events, ops_url, process)
        finally:
            for closable in (rpc, events):
                if closable is not None:
                    closable.close()
            engine.dispose()
            process.stop()
            if os.environ.get("CASES_TEST_SHOW_LOG"):
                print(process.log_tail(200))


@pytest.fixture(scope="module")
def admin(cases: CasesService) -> dict[str, Any]:
    """The seeded admin agent as an RPC `actor`."""
    agent = cases.call("get_agent_by_email", email="admin@example.com")
    return {"type": "agent", "id": agent["id"], "name": agent["name"], "email": agent["email"], "channel": "web"}
