"""Fixtures of the notifications tests: a fresh PostgreSQL database and RabbitMQ vhost per module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from notifications_testkit import Publisher, SmtpSink, migrate

from chassis.testing import EventCollector, SyncRpc, amqp_vhost, pg_database, pg_template


@pytest.fixture(scope="module")
def db_url() -> Iterator[str]:
    """A copy of a database migrated once in this test process."""
    template = pg_template("notifications:migrate", lambda url: migrate({"NOTIFICATIONS_DATABASE_URL": url}))
    with pg_database("notifications", template=template) as url:
        yield url


@pytest.fixture(scope="module")
def amqp_uri() -> Iterator[str]:
    with amqp_vhost() as uri:
        yield uri


@pytest.fixture(scope="module")
def publisher(amqp_uri: str) -> Iterator[Publisher]:
    pub = Publisher(amqp_uri)
    yield pub
    pub.close()


@pytest.fixture(scope="module")
def sent_events(amqp_uri: str) -> Iterator[EventCollector]:
    """Every event the worker emits on notifications.events."""
    collector = EventCollector(amqp_uri, ["notifications"])
    yield collector
    collector.close()


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("notifications")


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    """A local SMTP sink standing in for the relay (a module may define its own, e.g. a failing one)."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def rpc(amqp_uri: str) -> Iterator[SyncRpc]:
    """A synchronous RPC client on the module's vhost."""
    client = SyncRpc(amqp_uri)
    yield client
    client.close()
