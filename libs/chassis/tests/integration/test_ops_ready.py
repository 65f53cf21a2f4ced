"""A worker's /healthz is 200 only once nameko consumes its queues (decision 0169), against real RabbitMQ.

The service (ops_ready_service.py) runs as its own eventlet process on `ServiceRuntime`, with nameko's
QueueConsumer held back before it declares anything: /healthz answers 503 ("consuming": "starting") meanwhile,
and at its first 200 the RPC and event queues exist and each has a consumer, so a call sent then is answered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Base
from kombu import Connection

from chassis.db import make_engine
from chassis.settings import repo_root
from chassis.testing import SyncRpc, amqp_vhost, free_port, pg_database

SERVICE = Path(__file__).with_name("ops_ready_service.py")
QUEUES = ("rpc-opsready", "evt-elsewhere-thing_made--opsready.on_thing_made")
DELAY = 3.0  # seconds nameko's consumer waits before declaring: long enough to see /healthz answer meanwhile


@pytest.fixture
def database() -> Iterator[str]:
    with pg_database("chassis") as url:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url


def _healthz(url: str) -> tuple[int, dict[str, Any]] | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except OSError:  # not listening yet
        return None


def _consumer_counts(amqp_uri: str) -> dict[str, int | None]:
    """Each queue's consumer count, by a passive declare (None: the queue does not exist)."""
    counts: dict[str, int | None] = {}
    with Connection(amqp_uri) as conn:
        for name in QUEUES:
            channel = conn.channel()
            try:
                _, _, consumers = channel.queue_declare(name, passive=True)
                counts[name] = consumers
            except conn.channel_errors:  # 404 NOT_FOUND closes the channel
                counts[name] = None
            finally:
                if channel.is_open:
                    channel.close()
    return counts


def test_healthz_is_200_only_once_every_queue_is_consumed(database: str, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/healthz"
    with amqp_vhost() as amqp_uri:
        env = {**os.environ, "OPS_READY_CONSUMER_DELAY": str(DELAY), "HELPDESK_LOG_FORMAT": "json"}
        log = (tmp_path / "service.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, str(SERVICE), amqp_uri, database, str(port)],
            cwd=repo_root(),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            answers: list[tuple[int, dict[str, Any]]] = []
            deadline = time.monotonic() + 30
            while not answers or answers[-1][0] != 200:
                assert proc.poll() is None, (tmp_path / "service.log").read_text()
                assert time.monotonic() < deadline, f"/healthz never 200: {answers[-1:]}"
                answer = _healthz(url)
                if answer is not None:
                    answers.append(answer)
                time.sleep(0.05)
            # at the first 200, both queues exist and are consumed
            assert _consumer_counts(amqp_uri) == {name: 1 for name in QUEUES}
            assert answers[-1][1] == {"status": "ok", "checks": {"consuming": "ok", "database": "ok"}}
            # before it, while the consumer was held back, it answered 503 and said why
            starting = [body for code, body in answers if code == 503]
            assert starting, "the ops server only answered once consuming: the delay was not exercised"
            assert starting[0] == {"status": "failing", "checks": {"consuming": "starting", "database": "ok"}}
            rpc = SyncRpc(amqp_uri, timeout=5)
            try:
                assert rpc.call("opsready", "ping") == "pong"
            finally:
                rpc.close()
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:  # nameko hangs on a SIGTERM while its consumer starts (0169)
                proc.kill()
                proc.wait(10)
            log.close()
