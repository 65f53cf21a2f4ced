"""An `@rpc` entrypoint whose DomainError replies keep their JSON types (nameko workers only).

nameko serialises `exc.args` with `safe_for_serialization`, which turns every int, bool and None
into a string: a VersionConflict's `details={"current": <CaseRead>}` would reach the caller as
`{"version": "3", "requester": "None"}`. `domain_rpc` sends DomainErrors with their details as
plain JSON instead; the reply shape (`exc_type`, `exc_path`, `exc_args`, `value`) is unchanged,
so `chassis.rpc_client.remote_error` reads it as before. Other exceptions go the nameko way.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
from typing import Any

import eventlet.patcher
import kombu.serialization
from amqp import Message as AmqpMessage
from eventlet.semaphore import Semaphore
from kombu import Connection
from kombu.transport.pyamqp import Transport as PyamqpTransport
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    DEFAULT_TRANSPORT_OPTIONS,
    LOGIN_METHOD_CONFIG_KEY,
    PERSISTENT,
    SERIALIZER_CONFIG_KEY,
)
from nameko.exceptions import MethodNotFound, get_module_path
from nameko.extensions import SharedExtension
from nameko.rpc import Rpc, RpcConsumer, get_rpc_exchange

from contracts.errors import DomainError

_log = logging.getLogger(__name__)


def serialize_domain_error(exc: DomainError) -> dict[str, Any]:
    """nameko's error reply for a DomainError, with `details` kept as JSON (not stringified)."""
    try:
        details = json.loads(json.dumps(exc.details, default=str))
    except (TypeError, ValueError):  # a circular structure: a string beats losing the reply
        details = str(exc.details)
    return {
        "exc_type": type(exc).__name__,
        "exc_path": get_module_path(type(exc)),
        "exc_args": [exc.code, exc.message, details],
        "value": str(exc),
    }


class RawJson(str):
    """An RPC result already encoded as JSON (`model.model_dump_json()`): the reply carries it as it is.

    Decision 0136: nameko encodes a reply twice (a "can it be serialised" check, then the
    publish) from a dict that `model_dump(mode="json")` built first; pydantic writes the JSON directly."""


def reply_body(result: Any) -> str | None:
    """A successful reply as JSON, encoded once (None: plain `json` cannot encode the result)."""
    if isinstance(result, RawJson):
        return '{"result": ' + result + ', "error": null}'
    try:
        return json.dumps({"result": result, "error": None})
    except (TypeError, ValueError):
        return None


# Replies are published without waiting for the broker's confirm (decision 0136): a lost reply shows as the
# caller's time-out with or without one, and the wait is a round trip per call on every read.
REPLY_CONFIRMS = False
# how the reply connection is (re)opened: nameko's retry policy for a publish (3 tries, 2 s, 3 s, 4 s apart)
_CONNECT_RETRY = {
    "max_retries": DEFAULT_TRANSPORT_OPTIONS["max_retries"],
    "interval_start": DEFAULT_TRANSPORT_OPTIONS["interval_start"],
    "interval_step": DEFAULT_TRANSPORT_OPTIONS["interval_step"],
    "interval_max": DEFAULT_TRANSPORT_OPTIONS["interval_max"],
}
_select = eventlet.patcher.original("select")  # a zero-timeout poll of the socket, never a green wait
# what a lost connection or channel raises (kombu's pyamqp transport: socket errors, amqp's errors)
_PUBLISH_ERRORS = (*PyamqpTransport.connection_errors, *PyamqpTransport.channel_errors)


class ReplyChannel(SharedExtension):
    """One AMQP connection and channel that carry every reply of a worker process, for its lifetime.

    Decision 0163: nameko's `Publisher.publish` built a kombu `Connection` from the URI, looked up
    the connection and producer pools and went through kombu's `Producer` on every reply. Here a reply is one
    `basic_publish` of the same message (delivery mode 2, priority 0, no headers, no confirms: 0136) on a
    channel kept open. A semaphore lets one greenthread write at a time (a frame written by two at once would
    interleave on the socket). Nothing is read from this connection in normal operation, so something to read
    (one `poll` with no wait per reply) means the broker closed it, sent an error or a connection.blocked:
    that is read before the write; a write that fails reconnects (nameko's retry policy) and is sent again once;
    a second failure is raised, as nameko's was (the worker dies, the request is redelivered).
    """

    def __init__(self) -> None:
        super().__init__()
        self._connection: Connection | None = None
        self._channel: Any = None
        self._poller: Any = None
        self._lock = Semaphore(1)

    def publish(self, body: str | bytes, *, exchange: str, routing_key: str, **properties: Any) -> None:
        if isinstance(body, str):
            body = body.encode()
        message = AmqpMessage(body, delivery_mode=PERSISTENT, priority=0, application_headers={}, **properties)
        with self._lock:
            for attempt in (1, 2):
                try:
                    channel = self._open_channel()
                    channel.basic_publish(message, exchange=exchange, routing_key=routing_key)
                    return
                except _PUBLISH_ERRORS as exc:
                    self._discard()
                    if attempt == 2:
                        raise
                    _log.warning("rpc reply connection lost (%s): reconnecting", exc)

    def _open_channel(self) -> Any:
        if self._channel is not None:
            if not self._poller.poll(0):
                return self._channel
            self._connection.drain_events(timeout=0)  # type: ignore[union-attr]  # raises: closed by the broker
            if self._channel.is_open:  # something harmless (connection.blocked): keep it
                return self._channel
            raise ConnectionError("the broker closed the rpc reply channel")
        config = self.container.config
        connection = Connection(
            config[AMQP_URI_CONFIG_KEY],
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
            transport_options={
                **DEFAULT_TRANSPORT_OPTIONS,
                "confirm_publish": REPLY_CONFIRMS,
                "client_properties": {"connection_name": f"{self.container.service_name} rpc replies"},
            },
        )
        connection.ensure_connection(**_CONNECT_RETRY)  # raises (kombu's OperationalError) once the retries are spent
        self._connection = connection
        # py-amqp reads the socket before every publish (`drain_events(timeout=0)`, a socket time-out raised and
        # caught each time) when the broker may send connection.blocked; the poll above does that look instead
        properties = connection.connection.client_properties
        properties["capabilities"] = {**properties.get("capabilities", {}), "connection.blocked": False}
        self._channel = connection.channel()
        self._poller = _select.poll()
        self._poller.register(connection.connection.sock.fileno(), _select.POLLIN | _select.POLLERR | _select.POLLHUP)
        return self._channel

    def _discard(self) -> None:
        connection, self._connection, self._channel, self._poller = self._connection, None, None, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.collect()  # drop the sockets without a close handshake on a dead connection

    def stop(self) -> None:
        connection, self._connection, self._channel, self._poller = self._connection, None, None, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.release()

    def kill(self) -> None:
        self._discard()


class DomainRpcConsumer(RpcConsumer):
    """nameko's RpcConsumer, finding an entry point by its routing key in a dict (nameko formats and compares
    `<service>.<method>` for every entry point in turn: ~100 strings per call in the cases worker).

    It shares nameko's key, so a service with both `@rpc` and `@domain_rpc` entry points has one consumer of
    its queue (whichever kind is bound first; both know every entry point)."""

    _by_key: dict[str, Any] | None = None

    @property
    def sharing_key(self) -> type:
        return RpcConsumer

    def register_provider(self, provider: Any) -> None:
        self._by_key = None
        super().register_provider(provider)

    def unregister_provider(self, provider: Any) -> None:
        super().unregister_provider(provider)
        self._by_key = None

    def get_provider_for_method(self, routing_key: str) -> Any:
        by_key = self._by_key
        if by_key is None:
            service = self.container.service_name
            by_key = self._by_key = {f"{service}.{p.method_name}": p for p in self._providers}
        provider = by_key.get(routing_key)
        if provider is None:
            raise MethodNotFound(routing_key.split(".")[-1])
        return provider


class DomainRpc(Rpc):
    """`@rpc`, except that DomainError replies keep their details' JSON types, a JSON reply is encoded once
    (RawJson results not at all) and published on the process's `ReplyChannel`, the entry point is found by a
    dict lookup and the call's arguments are checked against a signature computed once (decision 0163)."""

    rpc_consumer = DomainRpcConsumer()
    reply_channel = ReplyChannel()
    _signature: inspect.Signature | None = None
    _exchange: str | None = None

    def check_signature(self, args: Any, kwargs: Any) -> None:
        signature = self._signature
        if signature is None:
            # as nameko's inspect.getcallargs sees it: the method itself, not what it wraps
            method = getattr(self.container.service_cls, self.method_name)
            signature = self._signature = inspect.signature(method, follow_wrapped=False)
        try:
            signature.bind(None, *args, **kwargs)
        except TypeError:
            super().check_signature(args, kwargs)  # raises IncorrectSignature with nameko's message

    def handle_result(self, message: Any, worker_ctx: Any, result: Any, exc_info: Any) -> Any:
        config = self.container.config
        domain_error = exc_info[1] if exc_info is not None and isinstance(exc_info[1], DomainError) else None
        if message.properties.get("content_type") != "application/json":  # another serializer: nameko's way
            if isinstance(result, RawJson):
                result = json.loads(result)
            if domain_error is None:
                return super().handle_result(message, worker_ctx, result, exc_info)
            serializer = config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER)
            content_type, content_encoding, body = kombu.serialization.dumps(
                {"result": None, "error": serialize_domain_error(domain_error)}, serializer
            )
        else:
            if domain_error is not None:
                body = json.dumps({"result": None, "error": serialize_domain_error(domain_error)})
            elif exc_info is not None:
                return super().handle_result(message, worker_ctx, result, exc_info)
            else:
                payload = reply_body(result)
                if payload is None:  # nameko's encoder knows dates; or it answers UnserializableValueError
                    return super().handle_result(message, worker_ctx, result, exc_info)
                body = payload
            content_type, content_encoding = "application/json", "utf-8"
        exchange = self._exchange
        if exchange is None:
            exchange = self._exchange = get_rpc_exchange(config).name
        self.reply_channel.publish(
            body,
            exchange=exchange,
            routing_key=message.properties["reply_to"],
            correlation_id=message.properties.get("correlation_id"),
            content_type=content_type,
            content_encoding=content_encoding,
        )
        self.rpc_consumer.queue_consumer.ack_message(message)
        return result, exc_info


domain_rpc = DomainRpc.decorator
