"""The "consuming" check of a worker's /healthz (decision 0169), and the nameko internals it reads.

`chassis.nameko_runtime.consuming` reads a QueueConsumer's private `_consumers_ready` event, found among the
container's `subextensions`. If a nameko upgrade fails these tests, re-read nameko/messaging.py's
QueueConsumer (start, on_consume_ready, _handle_thread_exited) before changing the pinned version.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

from nameko.containers import ServiceContainer
from nameko.events import EventHandler, event_handler
from nameko.messaging import QueueConsumer
from nameko.rpc import Rpc, RpcProxy, rpc
from nameko.timer import timer

from chassis.nameko_rpc import domain_rpc
from chassis.nameko_runtime import consuming

NAMEKO_VERSION = "2.14.1"


class _Worker:
    name = "probe"
    other = RpcProxy("other")  # its reply queue is consumed by the same QueueConsumer

    @domain_rpc
    def lookup(self) -> None:
        return None

    @rpc
    def plain(self) -> None:
        return None

    @event_handler("elsewhere", "thing_made")
    def on_thing_made(self, body: Any) -> None:
        return None


class _TimerOnly:
    name = "ticker"

    @timer(interval=60)
    def tick(self) -> None:
        return None


def _queue_consumers(container: ServiceContainer) -> list[QueueConsumer]:
    return [e for e in container.subextensions if isinstance(e, QueueConsumer)]


def test_the_nameko_whose_queue_consumer_the_check_reads() -> None:
    assert version("nameko") == NAMEKO_VERSION
    requirements = (Path(__file__).resolve().parents[4] / "requirements.txt").read_text()
    assert f"nameko=={NAMEKO_VERSION}" in requirements.splitlines()


def test_every_consumer_entry_point_shares_one_queue_consumer_found_in_subextensions() -> None:
    container = ServiceContainer(_Worker, {"AMQP_URI": "memory://"})
    consumers = _queue_consumers(container)
    assert len(consumers) == 1
    (queue_consumer,) = consumers
    rpc_consumers = {e.rpc_consumer.queue_consumer for e in container.entrypoints if isinstance(e, Rpc)}
    handlers = {e.queue_consumer for e in container.entrypoints if isinstance(e, EventHandler)}
    replies = {d.rpc_reply_listener.queue_consumer for d in container.dependencies if isinstance(d, RpcProxy)}
    assert rpc_consumers == handlers == replies == {queue_consumer}


def test_starting_until_nameko_says_its_consumers_are_ready() -> None:
    container = ServiceContainer(_Worker, {"AMQP_URI": "memory://"})
    (queue_consumer,) = _queue_consumers(container)
    assert consuming(container) == "starting"
    # kombu calls this once every queue is declared and consumed (ConsumerMixin.consumer_context)
    queue_consumer.on_consume_ready(None, None, [])
    assert consuming(container) == "ok"
    queue_consumer.on_consume_ready(None, None, [])  # after a reconnection: still ready
    assert consuming(container) == "ok"


def test_failed_when_the_consumer_thread_died_before_it_was_ready() -> None:
    class _Died:
        def wait(self) -> None:
            raise ConnectionRefusedError("broker down")

    container = ServiceContainer(_Worker, {"AMQP_URI": "memory://"})
    (queue_consumer,) = _queue_consumers(container)
    queue_consumer._handle_thread_exited(_Died())
    assert consuming(container) == "failed"


def test_a_service_without_queues_is_consuming_all_it_has() -> None:
    container = ServiceContainer(_TimerOnly, {"AMQP_URI": "memory://"})
    assert _queue_consumers(container) == []
    assert consuming(container) == "ok"
