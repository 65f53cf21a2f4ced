"""What the async RPC client (chassis.rpc_client) spends per call, routed or not (decision 0153).

Against the real RabbitMQ in a fresh vhost, one process: an echo responder shaped like a nameko service
(durable queue `rpc-echo` bound `echo.*`) and the client. Prints, per call, wall time and this process's
CPU (client + responder; RabbitMQ not counted) for:
- a routed call over the channel without confirms (every call after the first one to a service),
- a routed call over the confirming channel (what every call would cost if requests always waited for
  the confirm that reports a basic.return),
- a call to a service with no queue (returned by the broker: fails at once),
- a call to a queue without a consumer (waits its time-out: `--timeout`).

    .venv/bin/python bench/rpc_no_route.py --calls 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import aio_pika

from chassis.logging import configure_logging
from chassis.rpc_client import RPC_EXCHANGE, RpcClient
from chassis.testing import amqp_vhost
from contracts import errors


async def _responder(uri: str, service: str, answer: bool) -> aio_pika.abc.AbstractRobustConnection:
    connection = await aio_pika.connect_robust(uri)
    channel = await connection.channel(publisher_confirms=False)
    exchange = await channel.declare_exchange(RPC_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(f"rpc-{service}", durable=True)
    await queue.bind(exchange, routing_key=f"{service}.*")
    if answer:

        async def serve(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            reply = {"result": json.loads(message.body)["args"], "error": None}
            await exchange.publish(
                aio_pika.Message(json.dumps(reply).encode(), correlation_id=message.correlation_id),
                routing_key=message.reply_to or "",
            )

        await queue.consume(serve, no_ack=True)
    return connection


async def _measure(label: str, calls: int, call: object) -> None:
    cpu, wall = time.process_time(), time.perf_counter()
    failures = 0
    for i in range(calls):
        try:
            await call(i)  # type: ignore[operator]
        except errors.DomainError:
            failures += 1
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"| {label} | {calls} | {wall / calls * 1000:.3f} | {cpu / calls * 1000:.3f} | {failures} |", flush=True)


async def main(calls: int, timeout: float) -> None:
    with amqp_vhost() as uri:
        echo = await _responder(uri, "echo", answer=True)
        stopped = await _responder(uri, "stopped", answer=False)
        client = RpcClient(uri, timeout=10, name="bench")
        await client.connect()
        try:
            await client.call("echo", "x", 0)  # routed once: later calls skip the confirm
            print("| call | calls | wall ms/call | process CPU ms/call | 503s |")
            print("|---|---|---|---|---|")
            await _measure("routed, no confirm (steady state)", calls, lambda i: client.call("echo", "x", i))

            async def confirmed(i: int) -> object:
                client._routable.discard("echo")  # force the checked (confirming) channel
                return await client.call("echo", "x", i)

            await _measure("routed, confirming channel", calls, confirmed)
            await _measure("no queue (basic.return)", calls, lambda i: client.call("absent", "x", i))
            await _measure(
                f"queue without consumer (time-out {timeout}s)",
                3,
                lambda i: client.call("stopped", "x", i, timeout=timeout),
            )
        finally:
            await client.close()
            await echo.close()
            await stopped.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=1.0)
    args = parser.parse_args()
    configure_logging("bench", "ERROR", "console")  # not one `rpc_no_route` warning per refused call
    asyncio.run(main(args.calls, args.timeout))
