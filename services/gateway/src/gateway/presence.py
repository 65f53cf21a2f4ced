"""Who has a case open and who is typing on it, in Redis (decision 0247).

Every open case page holds one event stream; while it is open the stream keeps an entry in the case's viewers
(a sorted set scored by when the entry expires) and refreshes it well before then. A tab that closes removes its
entry; a process that dies leaves entries that simply expire, so nobody stays "viewing" for longer than the TTL.
All gateway processes share the sets, so an agent behind one process sees a colleague behind another.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from chassis.logging import get_logger
from contracts import errors

log = get_logger(__name__)

# an open page refreshes its entry this often; an entry lives three refreshes, so one lost refresh is harmless
DEFAULT_TTL_SECONDS = 45.0
# a typing ping lasts this long: the composer pings every few seconds while keys are pressed
DEFAULT_TYPING_SECONDS = 8.0


@dataclass(frozen=True)
class Viewer:
    agent_id: int
    name: str
    since: datetime
    typing: bool


@dataclass(frozen=True)
class Visit:
    """One open page of a case: its entry in the case's viewers."""

    case_id: int
    agent_id: int
    member: str


class Presence:
    """The viewers and typists of cases, shared by every gateway process through Redis."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        typing_seconds: float = DEFAULT_TYPING_SECONDS,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl = ttl_seconds
        self.typing_ttl = typing_seconds

    def _viewers_key(self, case_id: int) -> str:
        return f"{self.prefix}:presence:case:{case_id}:viewers"

    def _typing_key(self, case_id: int) -> str:
        return f"{self.prefix}:presence:case:{case_id}:typing"

    @property
    def refresh_seconds(self) -> float:
        """How often an open page renews its entry."""
        return self.ttl / 3

    async def enter(self, *, case_id: int, agent_id: int, name: str) -> Visit:
        """An agent opened the case (one entry per open page: two tabs are two entries of one viewer)."""
        member = json.dumps(
            {"agent_id": agent_id, "name": name, "since": time.time(), "page": uuid.uuid4().hex},
            separators=(",", ":"),
        )
        visit = Visit(case_id=case_id, agent_id=agent_id, member=member)
        await self.refresh(visit)
        return visit

    async def refresh(self, visit: Visit) -> None:
        key = self._viewers_key(visit.case_id)
        now = time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {visit.member: now + self.ttl})
            pipe.zremrangebyscore(key, "-inf", now)  # entries of pages whose process died
            pipe.expire(key, int(self.ttl) + 1)  # the whole set goes once its last page stopped refreshing
            await pipe.execute()

    async def leave(self, visit: Visit) -> None:
        """The page closed: its entry goes now, not at the TTL."""
        await self.redis.zrem(self._viewers_key(visit.case_id), visit.member)

    async def typing(self, *, case_id: int, agent_id: int) -> None:
        """The agent is typing a reply or note; refused (nothing stored) when they have no page of the case open."""
        if not any(v.agent_id == agent_id for v in await self.viewers(case_id)):
            raise errors.DomainError(errors.NOT_VIEWING, "open the case first: only its viewers can be typing on it")
        key = self._typing_key(case_id)
        now = time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {str(agent_id): now + self.typing_ttl})
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.expire(key, int(self.typing_ttl) + 1)
            await pipe.execute()

    async def viewers(self, case_id: int) -> list[Viewer]:
        """The agents with the case open now, the earliest first; each once, however many tabs they have."""
        now = time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrangebyscore(self._viewers_key(case_id), now, "+inf")
            pipe.zrangebyscore(self._typing_key(case_id), now, "+inf")
            members, typists = await pipe.execute()
        typing = {int(t) for t in typists}
        found: dict[int, tuple[str, float]] = {}
        for raw in members:
            try:
                entry = json.loads(raw)
                agent_id, name, since = int(entry["agent_id"]), str(entry["name"]), float(entry["since"])
            except (ValueError, KeyError, TypeError):
                continue  # not ours: ignored, it expires like any other
            if agent_id not in found or since < found[agent_id][1]:
                found[agent_id] = (name, since)
        ordered = sorted(found.items(), key=lambda item: item[1][1])
        return [
            Viewer(agent_id=a, name=n, since=datetime.fromtimestamp(s, UTC), typing=a in typing)
            for a, (n, s) in ordered
        ]


# how often an open case page's stream looks for viewers who came, went or started typing
POLL_SECONDS = 2.0


class CaseWatch:
    """One open case page's presence: entered on open, renewed while open, left on close, and the other viewers
    read every POLL_SECONDS (from Redis, so a colleague behind another gateway process is seen as well)."""

    def __init__(self, presence: Presence, visit: Visit) -> None:
        self.presence = presence
        self.visit = visit
        self.poll_seconds = POLL_SECONDS
        self._polled = 0.0
        self._refreshed = time.monotonic()
        self._shown: list[dict[str, Any]] | None = None

    @classmethod
    async def start(cls, presence: Presence, *, case_id: int, agent_id: int, name: str) -> CaseWatch | None:
        """The page's presence; None while Redis is away (the stream still carries the case's changes)."""
        try:
            return cls(presence, await presence.enter(case_id=case_id, agent_id=agent_id, name=name))
        except RedisError as exc:
            log.warning("presence_unavailable", error=str(exc))
            return None

    async def tick(self) -> list[dict[str, Any]] | None:
        """The other viewers when they changed since last told (the first call always tells); None otherwise.
        Redis being away costs the page its presence, never its stream."""
        now = time.monotonic()
        if self._shown is not None and now - self._polled < self.poll_seconds:
            return None
        self._polled = now
        try:
            if now - self._refreshed >= self.presence.refresh_seconds:
                await self.presence.refresh(self.visit)
                self._refreshed = now
            viewers = await self.presence.viewers(self.visit.case_id)
        except RedisError as exc:
            log.warning("presence_unavailable", error=str(exc))
            return None
        others = [
            {"agent_id": v.agent_id, "name": v.name, "since": v.since.isoformat(), "typing": v.typing}
            for v in viewers
            if v.agent_id != self.visit.agent_id
        ]
        if others == self._shown:
            return None
        self._shown = others
        return others

    async def close(self) -> None:
        try:
            await self.presence.leave(self.visit)
        except RedisError as exc:  # the entry expires by itself
            log.warning("presence_leave_failed", error=str(exc))
