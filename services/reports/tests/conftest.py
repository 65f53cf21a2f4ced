"""Fixtures of the reports tests: the worker as its real process on a fresh PostgreSQL database and vhost."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from chassis.amqp import ConfirmedPublisher, event_exchange
from chassis.testing import ServiceProcess, SyncRpc, amqp_vhost, free_port, pg_database
from contracts.cases import CaseRead, CaseUpdated
from contracts.envelope import Envelope, EventPayload

EVENT_QUEUES = [f"evt-cases-{t}--reports.on_{t}" for t in ("case_created", "case_updated", "message_added")]


def case(case_id: int, *, version: int = 1, status: str = "new", group: dict[str, Any] | None = None) -> CaseRead:
    """A case snapshot as the cases service's events carry it (title `Case <id>`, medium priority, by email)."""
    at = datetime.now(UTC)
    return CaseRead.model_validate(
        {
            "id": case_id,
            "number": case_id,
            "title": f"Case {case_id}",
            "status": status,
            "priority": "medium",
            "source": "email",
            "group": group,
            "version": version,
            "created_at": at,
            "updated_at": at,
        }
    )


def changed(snapshot: CaseRead, **changes: Any) -> CaseUpdated:
    """`case_updated` of `snapshot`, each change from None to its value."""
    return CaseUpdated(case=snapshot, changes={k: {"old": None, "new": v} for k, v in changes.items()})


class CasesEvents:
    """Publishes envelopes on `cases.events` the way the cases service's relay does."""

    def __init__(self, amqp_uri: str) -> None:
        self.exchange = event_exchange("cases")
        self.publisher = ConfirmedPublisher(amqp_uri, declare=[self.exchange])

    def publish(self, payload: EventPayload | Envelope) -> Envelope:
        envelope = payload if isinstance(payload, Envelope) else Envelope.wrap(payload, source="cases")
        self.publisher.publish(
            envelope.model_dump(mode="json"), exchange=self.exchange, routing_key=envelope.event_type
        )
        return envelope


@pytest.fixture(scope="module")
def amqp_uri() -> Iterator[str]:
    with amqp_vhost() as uri:
        yield uri


@pytest.fixture(scope="module")
def db_url() -> Iterator[str]:
    with pg_database("reports") as url:
        yield url


@pytest.fixture(scope="module")
def worker(db_url: str, amqp_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    ops_port = free_port()
    env = {"REPORTS_DATABASE_URL": db_url, "HELPDESK_AMQP_URI": amqp_uri, "REPORTS_OPS_PORT": str(ops_port)}
    subprocess.run([sys.executable, "-m", "reports", "migrate"], env={**os.environ, **env}, check=True)
    log_dir = tmp_path_factory.mktemp("reports")
    process = ServiceProcess("reports", "worker", env, f"http://127.0.0.1:{ops_port}/healthz", log_dir).start()
    try:
        _wait_for_queues(amqp_uri)
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def rpc(amqp_uri: str, worker: ServiceProcess) -> Iterator[SyncRpc]:
    client = SyncRpc(amqp_uri)
    yield client
    client.close()


@pytest.fixture(scope="module")
def cases_events(amqp_uri: str) -> Iterator[CasesEvents]:
    events = CasesEvents(amqp_uri)
    yield events
    events.publisher.close()


def _wait_for_queues(amqp_uri: str, timeout: float = 20.0) -> None:
    """Events published before the worker's queues exist would be lost (no binding yet)."""
    import time

    from kombu import Connection

    deadline = time.monotonic() + timeout
    while True:
        try:
            with Connection(amqp_uri) as conn:
                channel = conn.channel()
                for name in EVENT_QUEUES:
                    channel.queue_declare(queue=name, passive=True)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
