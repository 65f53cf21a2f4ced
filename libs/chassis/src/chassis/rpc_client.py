"""Async client for nameko's RPC protocol, for the FastAPI processes (no eventlet there).

Protocol: publish `{"args": [...], "kwargs": {...}}` to exchange `nameko-rpc` with routing key
`<service>.<method>`, `reply_to` = our own queue bound to `nameko-rpc`, and a correlation id.

Requests are published `mandatory`: when no queue is bound for `<service>.*` (the service has never run
against this broker) RabbitMQ returns the request (basic.return, NO_ROUTE) and the call fails at once as
"service unavailable" instead of waiting its time-out. A service that ran once keeps its durable queue
while it is down: such a request waits its time-out, as before (decision 0153).

aiormq only reports a basic.return on a channel with publisher confirms, and confirms cost a round trip
per call (decision 0136). So a request to a service goes over a second, confirming channel until one of
them was routed; from then on (its queue is durable) over the channel without confirms.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractIncomingMessage
from aiormq import spec

from chassis.logging import get_logger
from contracts import errors

log = get_logger(__name__)

RPC_EXCHANGE = "nameko-rpc"


def remote_error(data: dict[str, Any]) -> errors.DomainError:
    """Turn a nameko error reply back into a DomainError (one mapping, at the edge)."""
    args = data.get("exc_args") or []
    if len(args) >= 2 and isinstance(args[0], str) and args[0] in errors.HTTP_STATUS:
        return errors.DomainError(args[0], str(args[1]), args[2] if len(args) > 2 else None)
    exc_type = data.get("exc_type", "RemoteError")
    if exc_type in {"MethodNotFound", "IncorrectSignature", "MalformedRequest"}:
        return errors.DomainError(errors.INTERNAL_ERROR, f"RPC contract mismatch: {exc_type}: {data.get('value')}")
    log.error("rpc_remote_error", exc_type=exc_type, value=data.get("value"))
    return errors.DomainError(errors.INTERNAL_ERROR, f"internal error ({exc_type})")


class RpcClient:
    """One connection and one reply queue per process; many concurrent calls."""

    def __init__(self, amqp_uri: str, *, timeout: float = 10.0, name: str = "client") -> None:
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self.name = name
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None
        # requests are published on these channels' current aiormq channels (decision 0159): an aio_pika
        # Message and Exchange.publish cost more CPU than the frames they produce
        self._channel: aio_pika.abc.AbstractChannel | None = None
        self._reply_queue: str = ""
        self._pending: dict[str, asyncio.Future[bytes]] = {}
        # a channel with publisher confirms, where a returned request is seen (0153)
        self._checked_channel: aio_pika.abc.AbstractChannel | None = None
        # services a request was routed to once: their queue is durable, no need to check again
        self._routable: set[str] = set()

    async def connect(self) -> None:
        self._connection = await aio_pika.connect_robust(self.amqp_uri)
        # no publisher confirms (decision 0136): a request the broker loses ends as this call's time-out with or
        # without one, and waiting for the confirm cost a broker round trip and its frame handling per call
        channel = await self._connection.channel(publisher_confirms=False)
        exchange = await channel.declare_exchange(RPC_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        self._checked_channel = await self._connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(
            f"rpc.reply-{self.name}-{uuid.uuid4().hex}", exclusive=True, auto_delete=True
        )
        await queue.bind(exchange, routing_key=queue.name)
        await queue.consume(self._on_reply, no_ack=True)
        self._reply_queue = queue.name
        self._channel = channel

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        future = self._pending.pop(message.correlation_id or "", None)
        if future is not None and not future.done():
            future.set_result(message.body)  # decoded by the caller: call() or call_json()

    async def call(self, service: str, method: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        """Call `service.method(*args, **kwargs)`; raise DomainError on a remote error or time-out."""
        return _result(json.loads(await self._call(service, method, args, kwargs, timeout)))

    async def call_json(
        self, service: str, method: str, *args: Any, timeout: float | None = None, **kwargs: Any
    ) -> bytes:
        """As `call`, but the result as the JSON bytes it travelled as, for a caller that only forwards it
        (decision 0136): a successful nameko reply is `{"result": <json>, "error": null}`, so the
        result is cut out of it without decoding and encoding it again."""
        return result_json(await self._call(service, method, args, kwargs, timeout))

    async def _call(
        self, service: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], timeout: float | None
    ) -> bytes:
        if self._channel is None:
            raise errors.DomainError(errors.SERVICE_UNAVAILABLE, "message broker not connected")
        timeout = timeout or self.timeout
        correlation_id = os.urandom(16).hex()
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = future
        # a service not yet seen routed: publish where a basic.return is reported (0153)
        checked = service not in self._routable and self._checked_channel is not None
        channel = self._checked_channel if checked and self._checked_channel is not None else self._channel
        try:
            # the current channel of the robust one (a new one after a reconnect)
            published = await (await channel.get_underlay_channel()).basic_publish(
                json.dumps({"args": list(args), "kwargs": kwargs}).encode(),
                exchange=RPC_EXCHANGE,
                routing_key=f"{service}.{method}",
                properties=spec.Basic.Properties(
                    # as aio_pika.Message would: json, not persistent, priority 0, no headers
                    content_type="application/json",
                    delivery_mode=1,
                    priority=0,
                    headers={},
                    correlation_id=correlation_id,
                    message_id=correlation_id,  # unique too; else aiormq makes another random id
                    reply_to=self._reply_queue,
                    # a request nobody took in time is dropped, never executed late
                    expiration=str(int(timeout * 1000)),
                ),
                mandatory=True,  # returned when no queue is bound for it (seen on the checked channel)
            )
            if checked:
                if isinstance(published, aiormq.abc.DeliveredMessage):  # basic.return: NO_ROUTE
                    log.warning("rpc_no_route", service=service, method=method)
                    raise errors.DomainError(
                        errors.SERVICE_UNAVAILABLE, f"{service} is unavailable: no instance of it is running"
                    )
                self._routable.add(service)
            reply = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise errors.DomainError(
                errors.SERVICE_UNAVAILABLE, f"{service} did not answer within {timeout:.0f}s"
            ) from None
        except (aio_pika.exceptions.AMQPError, aiormq.exceptions.ChannelInvalidStateError) as exc:
            raise errors.DomainError(errors.SERVICE_UNAVAILABLE, f"message broker error: {exc}") from exc
        finally:
            self._pending.pop(correlation_id, None)
        return reply


# how nameko (kombu's json) and chassis.nameko_rpc encode a successful reply around its result
_REPLY_HEAD = b'{"result": '
_REPLY_TAIL = b', "error": null}'


def result_json(body: bytes) -> bytes:
    """The result of a reply body as JSON bytes; DomainError for an error reply."""
    if body.startswith(_REPLY_HEAD) and body.endswith(_REPLY_TAIL):  # an error reply ends in `}}`
        return body[len(_REPLY_HEAD) : -len(_REPLY_TAIL)]
    return json.dumps(_result(json.loads(body))).encode()  # another encoder's spacing, or an error


def _result(reply: dict[str, Any]) -> Any:
    if reply.get("error"):
        raise remote_error(reply["error"])
    return reply.get("result")
