"""Confirmed, persistent publishing with kombu (used by the outbox relay and the dead-letter queue).

Plain kombu, no nameko import: the FastAPI processes relay their outbox with it too.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kombu import Connection, Exchange, Producer, Queue

PERSISTENT = 2


@dataclass(frozen=True)
class Outgoing:
    """One message of `ConfirmedPublisher.publish_batch`."""

    body: Any
    exchange: Exchange
    routing_key: str
    properties: dict[str, Any] = field(default_factory=dict)


class BatchNotConfirmed(Exception):
    """The broker refused (nack) or did not confirm a message of a batch in time."""


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
        self._sent = 0  # messages published on the current channel = the delivery tag of the last one

    def _ensure(self) -> Producer:
        if self._producer is None or self._connection is None or not self._connection.connected:
            self.close()
            self._connection = Connection(self.amqp_uri, transport_options={"confirm_publish": True}, connect_timeout=5)
            self._connection.ensure_connection(max_retries=1)
            self._producer = Producer(self._connection.default_channel)
            self._sent = 0
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
                self._sent += 1
            except Exception:
                self.close()
                raise

    def publish_batch(self, messages: Sequence[Outgoing], *, timeout: float = 30.0) -> tuple[int, Exception | None]:
        """Publish every message, then wait once for the broker's confirms (decision 0113).

        Returns how many messages, from the first, the broker confirmed, and the error that stopped the
        rest (a nack, no confirm within `timeout`, a lost connection) or None. The caller marks only the
        confirmed prefix as sent; the rest is published again later (consumers are idempotent).
        """
        if not messages:
            return 0, None
        with self._lock:
            outcome: dict[int, bool] = {}  # delivery tag -> acked (True) / nacked (False)
            first = last = 0

            def settle(acked: bool) -> Any:
                def on_confirm(delivery_tag: int, multiple: bool) -> None:
                    for tag in range(first, delivery_tag + 1) if multiple else (delivery_tag,):
                        outcome.setdefault(tag, acked)

                return on_confirm

            on_ack, on_nack = settle(True), settle(False)
            channel: Any = None
            error: Exception | None = None
            try:
                producer = self._ensure()
                assert self._connection is not None
                channel = producer.channel
                if not channel._confirm_selected:  # py-amqp selects lazily on the first confirmed publish
                    channel._confirm_selected = True
                    channel.confirm_select()
                channel.events["basic_ack"].add(on_ack)
                channel.events["basic_nack"].add(on_nack)
                first = self._sent + 1
                channel.basic_publish = channel._basic_publish  # no wait per message: one wait below
                try:
                    for message in messages:
                        producer.publish(
                            message.body,
                            exchange=message.exchange,
                            routing_key=message.routing_key,
                            serializer="json",
                            delivery_mode=PERSISTENT,
                            retry=False,
                            **message.properties,
                        )
                        self._sent += 1
                        last = self._sent
                finally:
                    channel.basic_publish = channel.basic_publish_confirm
                deadline = time.monotonic() + timeout
                while any(tag not in outcome for tag in range(first, last + 1)):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise BatchNotConfirmed(f"no confirm within {timeout}s")
                    with contextlib.suppress(socket.timeout, TimeoutError):
                        self._connection.drain_events(timeout=min(remaining, 1.0))
            except Exception as exc:
                error = exc
                self.close()
            finally:
                if channel is not None:
                    channel.events["basic_ack"].discard(on_ack)
                    channel.events["basic_nack"].discard(on_nack)
            confirmed = 0
            for tag in range(first, first + len(messages)) if first else ():
                if outcome.get(tag) is not True:
                    if error is None:
                        error = BatchNotConfirmed(f"the broker refused message {confirmed + 1} of the batch")
                        self.close()
                    break
                confirmed += 1
            return confirmed, (None if confirmed == len(messages) else error)

    def close(self) -> None:
        if self._connection is not None:
            # closing a broken connection may fail; it is gone either way
            with contextlib.suppress(Exception):
                self._connection.release()
        self._connection = None
        self._producer = None
