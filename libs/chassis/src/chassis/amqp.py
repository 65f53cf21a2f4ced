"""Confirmed, persistent publishing with kombu (used by the outbox relay and the dead-letter queue).

Plain kombu, no nameko import: the FastAPI processes relay their outbox with it too.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from kombu import Connection, Exchange, Producer, Queue

PERSISTENT = 2


def event_exchange(service: str) -> Exchange:
    """The exchange nameko's `@event_handler(service, ...)` binds to (same declaration as nameko's)."""
    return Exchange(f"{service}.events", type="topic", durable=True, delivery_mode=PERSISTENT)


class ConfirmedPublisher:
    """One connection, publisher confirms on: `publish` returns only once the broker has the message."""

    def __init__(self, amqp_uri: str, declare: list[Exchange | Queue]) -> None:
        self.amqp_uri = amqp_uri
        self.declare = declare
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> Producer:
        if self._producer is None or self._connection is None or not self._connection.connected:
            self.close()
            self._connection = Connection(self.amqp_uri, transport_options={"confirm_publish": True}, connect_timeout=5)
            self._connection.ensure_connection(max_retries=1)
            self._producer = Producer(self._connection.default_channel)
            for entity in self.declare:
                # declare a copy bound to this channel: `maybe_bind` would keep a shared entity bound to
                # the channel of an earlier, dead connection, and every reconnect would fail on it
                entity(self._connection.default_channel).declare()
        return self._producer

    def publish(self, body: Any, *, exchange: Exchange, routing_key: str, **properties: Any) -> None:
        with self._lock:
            try:
                producer = self._ensure()
                producer.publish(
                    body,
                    exchange=exchange,
                    routing_key=routing_key,
                    serializer="json",
                    delivery_mode=PERSISTENT,
                    retry=False,
                    **properties,
                )
            except Exception:
                self.close()
                raise

    def close(self) -> None:
        if self._connection is not None:
            # closing a broken connection may fail; it is gone either way
            with contextlib.suppress(Exception):
                self._connection.release()
        self._connection = None
        self._producer = None
