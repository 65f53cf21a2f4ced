"""The async RPC client against real RabbitMQ: a service nobody ever ran fails at once (decision 0153).

A request is published `mandatory`; with no queue bound for `<service>.*` the broker returns it and the
call is "service unavailable" without waiting its time-out. A nameko service that ran once keeps its
durable queue `rpc-<service>` while it is down: there the call waits its time-out, as before.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import aio_pika
import pytest

from chassis.rpc_client import RPC_EXCHANGE, RpcClient
from chassis.testing import amqp_vhost
from contracts import errors


@pytest.fixture(scope="module")
def amqp_uri() -> Iterator[str]:
    with amqp_vhost() as uri:
        yield uri


async def _declare_nameko_queue(uri: str, service: str, *, answer: bool) -> aio_pika.abc.AbstractRobustConnection:
    """The queue nameko declares for a service (durable, bound `<service>.*`); with `answer`, a consumer
    that replies as nameko does (to `reply_to` over `nameko-rpc`)."""
    connection = await aio_pika.connect_robust(uri)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(RPC_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(f"rpc-{service}", durable=True)
    await queue.bind(exchange, routing_key=f"{service}.*")
    if answer:

        async def serve(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                request = json.loads(message.body)
                reply = {"result": {"echo": request["args"]}, "error": None}
                await exchange.publish(
                    aio_pika.Message(json.dumps(reply).encode(), correlation_id=message.correlation_id),
                    routing_key=message.reply_to or "",
                )

        await queue.consume(serve)
    return connection


async def _timed_call(client: RpcClient, service: str, timeout: float) -> tuple[float, errors.DomainError]:
    started = time.monotonic()
    with pytest.raises(errors.DomainError) as err:
        await client.call(service, "anything", 1, timeout=timeout)
    return time.monotonic() - started, err.value


def test_a_service_with_no_queue_fails_at_once_not_after_its_time_out(amqp_uri: str) -> None:
    async def scenario() -> None:
        client = RpcClient(amqp_uri, timeout=10, name="t")
        await client.connect()
        try:
            elapsed, exc = await _timed_call(client, "never_ran", timeout=10)
            assert exc.code == errors.SERVICE_UNAVAILABLE
            assert errors.http_status(exc.code) == 503
            assert "never_ran" in exc.message and "no instance" in exc.message
            assert elapsed < 3, elapsed  # the return comes in one broker round trip, not after 10 s
            assert not client._pending  # nothing left behind
            # concurrent calls each get their own answer
            results = await asyncio.gather(
                *(client.call("never_ran", "x", timeout=10) for _ in range(20)), return_exceptions=True
            )
            assert all(isinstance(r, errors.DomainError) and "no instance" in r.message for r in results)
        finally:
            await client.close()

    asyncio.run(scenario())


def test_a_queue_without_a_consumer_waits_the_time_out(amqp_uri: str) -> None:
    async def scenario() -> None:
        stopped = await _declare_nameko_queue(amqp_uri, "stopped", answer=False)
        client = RpcClient(amqp_uri, timeout=10, name="t")
        await client.connect()
        try:
            elapsed, exc = await _timed_call(client, "stopped", timeout=0.5)
            assert exc.code == errors.SERVICE_UNAVAILABLE
            assert "did not answer" in exc.message
            assert elapsed >= 0.5
        finally:
            await client.close()
            await stopped.close()

    asyncio.run(scenario())


def test_a_running_service_answers(amqp_uri: str) -> None:
    async def scenario() -> None:
        running = await _declare_nameko_queue(amqp_uri, "running", answer=True)
        client = RpcClient(amqp_uri, timeout=10, name="t")
        await client.connect()
        try:
            assert await client.call("running", "echo", 1, 2) == {"echo": [1, 2]}
            with pytest.raises(errors.DomainError, match="no instance"):
                await client.call("other", "echo", timeout=10)
            assert await client.call("running", "echo", 3) == {"echo": [3]}
            assert client._routable == {"running"}  # later calls go over the channel without confirms
            # a service that starts after a refused call is reached by the next one
            with pytest.raises(errors.DomainError, match="no instance"):
                await client.call("late", "echo", timeout=10)
            late = await _declare_nameko_queue(amqp_uri, "late", answer=True)
            try:
                assert await client.call("late", "echo", 4) == {"echo": [4]}
            finally:
                await late.close()
        finally:
            await client.close()
            await running.close()

    asyncio.run(scenario())


def test_calls_go_on_over_the_channel_the_broker_reopened(amqp_uri: str) -> None:
    """Requests are published on the robust channel's current aiormq channel (decision 0159): after the broker
    closed the channel (here: a publish to a missing exchange) and it was reopened, calls are answered again."""

    async def scenario() -> None:
        running = await _declare_nameko_queue(amqp_uri, "reopened", answer=True)
        client = RpcClient(amqp_uri, timeout=10, name="t")
        await client.connect()
        try:
            assert await client.call("reopened", "echo", 1) == {"echo": [1]}
            assert client._channel is not None
            before = await client._channel.get_underlay_channel()
            await before.basic_publish(b"x", exchange="no-such-exchange", routing_key="x")  # 404: channel closed
            deadline = time.monotonic() + 10
            while before.is_closed is False or (await client._channel.get_underlay_channel()) is before:
                assert time.monotonic() < deadline, "the channel was never reopened"
                await asyncio.sleep(0.05)
            assert await client.call("reopened", "echo", 2) == {"echo": [2]}
        finally:
            await client.close()
            await running.close()

    asyncio.run(scenario())
