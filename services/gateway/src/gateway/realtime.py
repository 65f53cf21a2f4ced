"""Real-time push to agents' browsers (C7, E2): `agent_notified` events fanned out to open streams."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from chassis.logging import get_logger

log = get_logger(__name__)

# a browser that stops reading loses its oldest pushes, never the process's memory
STREAM_BUFFER = 100
# put on a stream to end it: its agent was deactivated (compared by identity)
END_OF_STREAM: dict[str, Any] = {"end": True}


class AgentStreams:
    """One private queue per gateway process, bound to `notifications.events`; one asyncio queue per open stream."""

    def __init__(self, amqp_uri: str) -> None:
        self.amqp_uri = amqp_uri
        self._streams: dict[int, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._connection: AbstractRobustConnection | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Connect in the background (retrying), so the app starts while the broker does."""
        self._task = asyncio.create_task(self._connect_with_retry())

    async def _connect_with_retry(self) -> None:
        delay = 0.5
        while True:
            try:
                await self._connect()
                log.info("agent_streams_connected")
                return
            except Exception as exc:  # the broker may still be starting: keep trying
                log.warning("agent_streams_connect_failed", error=str(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _connect(self) -> None:
        self._connection = await aio_pika.connect_robust(self.amqp_uri)
        channel = await self._connection.channel()
        exchange = await channel.declare_exchange("notifications.events", aio_pika.ExchangeType.TOPIC, durable=True)
        # exclusive: every replica gets every push (its own browsers are the only ones it can reach)
        queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key="agent_notified")
        await queue.consume(self._on_message)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        async with message.process():
            try:
                payload = json.loads(message.body)["payload"]
                agent_id = int(payload["agent_id"])
            except (ValueError, KeyError, TypeError):
                log.warning("agent_notified_unreadable")
                return
            for stream in list(self._streams.get(agent_id, ())):
                if stream.full():
                    stream.get_nowait()
                stream.put_nowait(payload)

    def subscribe(self, agent_id: int) -> asyncio.Queue[dict[str, Any]]:
        stream: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=STREAM_BUFFER)
        self._streams.setdefault(agent_id, set()).add(stream)
        return stream

    def unsubscribe(self, agent_id: int, stream: asyncio.Queue[dict[str, Any]]) -> None:
        streams = self._streams.get(agent_id, set())
        streams.discard(stream)
        if not streams:
            self._streams.pop(agent_id, None)

    def close(self, agent_id: int) -> int:
        """End the agent's open streams in this process (deactivation); how many there were."""
        streams = self._streams.pop(agent_id, set())
        for stream in streams:
            if stream.full():
                stream.get_nowait()
            stream.put_nowait(END_OF_STREAM)
        return len(streams)

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._connection is not None:
            await self._connection.close()
