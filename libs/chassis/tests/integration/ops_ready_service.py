"""A nameko service on `ServiceRuntime` (an RPC entry point, an event handler), run as its own process by
test_ops_ready.py: `python ops_ready_service.py <amqp uri> <database url> <ops port>` until SIGTERM.

`OPS_READY_CONSUMER_DELAY` (seconds) holds nameko's QueueConsumer back that long before it declares and
consumes its queues, as a loaded machine or a slow broker does: the window in which /healthz must not be 200.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

from conftest import OutboxMessage, ProcessedEvent  # noqa: E402
from nameko.cli.run import run  # noqa: E402
from nameko.events import event_handler  # noqa: E402
from nameko.messaging import QueueConsumer  # noqa: E402

from chassis.nameko_rpc import domain_rpc  # noqa: E402
from chassis.nameko_runtime import Runtime, ServiceRuntime  # noqa: E402
from chassis.settings import ServiceSettings  # noqa: E402

SERVICE = "opsready"
AMQP_URI, DATABASE_URL, OPS_PORT = sys.argv[1:4] if len(sys.argv) >= 4 else ("", "", "0")
DELAY = float(os.environ.get("OPS_READY_CONSUMER_DELAY", "0"))

if DELAY:
    _get_consumers = QueueConsumer.get_consumers

    def _late_get_consumers(self: QueueConsumer, consumer_cls: Any, channel: Any) -> Any:
        eventlet.sleep(DELAY)  # connected, nothing declared yet: the queues appear after this
        return _get_consumers(self, consumer_cls, channel)

    QueueConsumer.get_consumers = _late_get_consumers  # type: ignore[method-assign]


def _settings() -> ServiceSettings:
    return ServiceSettings(service_name=SERVICE, amqp_uri=AMQP_URI, database_url=DATABASE_URL, ops_port=int(OPS_PORT))


class OpsReadyService:
    name = SERVICE
    runtime: Runtime = ServiceRuntime(_settings, OutboxMessage, ProcessedEvent)

    @domain_rpc
    def ping(self) -> str:
        return "pong"

    @event_handler("elsewhere", "thing_made")
    def on_thing_made(self, body: Any) -> None:
        return None


if __name__ == "__main__":
    run([OpsReadyService], {"AMQP_URI": AMQP_URI, "max_workers": 4, "serializer": "json"})
