"""Real-time push to agents' browsers (C7, E2): `agent_notified` events fanned out to open streams, and the changes
on `cases.events` to the streams of open case pages and case lists (decision 0248)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from chassis.logging import get_logger
from gateway.domain import live

log = get_logger(__name__)

# a browser that stops reading loses its oldest pushes, never the process's memory
STREAM_BUFFER = 100
# put on a stream to end it: its agent was deactivated (compared by identity)
END_OF_STREAM: dict[str, Any] = {"end": True}
# the event a stream item is sent as: a notification unless it says otherwise (a case page's or list's push)
EVENT_KEY = "__event__"


def _offer(stream: asyncio.Queue[dict[str, Any]], item: dict[str, Any]) -> None:
    if stream.full():
        stream.get_nowait()
    stream.put_nowait(item)


class AgentStreams:
    """One private queue per gateway process, bound to `notifications.events` and `cases.events`; one asyncio queue
    per open stream. A stream opened on a case page also gets that case's changes; one on the list, a nudge for
    every change to any case (the page asks which of them its list shows)."""

    def __init__(self, amqp_uri: str) -> None:
        self.amqp_uri = amqp_uri
        self._streams: dict[int, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._case_streams: dict[int, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._list_streams: set[asyncio.Queue[dict[str, Any]]] = set()
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
        # the cases' own changes: a transient queue of this process, lost on a restart with nothing to lose (an
        # open page that missed a push is as stale as before; the next push or a reload brings it up to date)
        cases = await channel.declare_exchange("cases.events", aio_pika.ExchangeType.TOPIC, durable=True)
        changes = await channel.declare_queue("", exclusive=True, auto_delete=True)
        for event_type in live.CASE_EVENTS:
            await changes.bind(cases, routing_key=event_type)
        await changes.consume(self._on_case_event)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        async with message.process():
            try:
                payload = json.loads(message.body)["payload"]
                agent_id = int(payload["agent_id"])
            except (ValueError, KeyError, TypeError):
                log.warning("agent_notified_unreadable")
                return
            for stream in list(self._streams.get(agent_id, ())):
                _offer(stream, payload)

    async def _on_case_event(self, message: AbstractIncomingMessage) -> None:
        async with message.process():
            try:
                envelope = json.loads(message.body)
                event_type, payload = str(envelope["event_type"]), envelope["payload"]
            except (ValueError, KeyError, TypeError):
                log.warning("case_event_unreadable")
                return
            if not isinstance(payload, dict):
                return
            self.deliver_case_event(event_type, payload)

    def deliver_case_event(self, event_type: str, payload: dict[str, Any]) -> None:
        """Tell the open pages of the cases concerned, and the open lists, that something changed."""
        for case_id in live.case_ids(event_type, payload):
            push = {**live.page_push(event_type, payload, case_id), EVENT_KEY: "case"}
            for stream in list(self._case_streams.get(case_id, ())):
                _offer(stream, push)
        if event_type in live.LIST_EVENTS:
            for stream in list(self._list_streams):
                _offer(stream, {EVENT_KEY: "cases"})  # no id: the page asks the scoped list what it shows

    def subscribe(
        self, agent_id: int, *, case_id: int | None = None, case_list: bool = False
    ) -> asyncio.Queue[dict[str, Any]]:
        stream: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=STREAM_BUFFER)
        self._streams.setdefault(agent_id, set()).add(stream)
        if case_id is not None:
            self._case_streams.setdefault(case_id, set()).add(stream)
        if case_list:
            self._list_streams.add(stream)
        return stream

    def unsubscribe(self, agent_id: int, stream: asyncio.Queue[dict[str, Any]], *, case_id: int | None = None) -> None:
        streams = self._streams.get(agent_id, set())
        streams.discard(stream)
        if not streams:
            self._streams.pop(agent_id, None)
        if case_id is not None:
            on_case = self._case_streams.get(case_id, set())
            on_case.discard(stream)
            if not on_case:
                self._case_streams.pop(case_id, None)
        self._list_streams.discard(stream)

    def close(self, agent_id: int) -> int:
        """End the agent's open streams in this process (deactivation); how many there were."""
        streams = self._streams.pop(agent_id, set())
        for stream in streams:
            _offer(stream, END_OF_STREAM)
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
