"""Fixed-window rate limits counted in Redis, shared by every replica of a service.

One scheme for every limit: the first hit on a key starts a window of `window_seconds` (`SET NX EX`), each hit
increments the key (`INCR`), and the key expires with its window. Subjects (e-mail addresses, phone numbers)
are hashed into the key, so Redis never holds customers' addresses.

Both front ends fail open: when Redis is unavailable, every hit is allowed (decisions 0033, 0052), because a
limit is a guard against abuse, never a reason to stop serving customers.

- `RateLimiter` (asyncio, for the FastAPI front ends): `hit()` says whether this attempt is within `limit`;
  `peek()` asks the same without counting (limits that count failures only).
- `RedisCounter` (blocking, for nameko workers under eventlet): `hit()`/`hit_many()` return counts and leave
  the decision to the caller, which compares each count with its own limit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from redis import Redis, RedisError
from redis.asyncio import Redis as AsyncRedis

from chassis.logging import get_logger

log = get_logger(__name__)


def window_key(prefix: str, name: str, subject: str) -> str:
    """The Redis key counting `subject` under the limit `name`."""
    return f"{prefix}:rl:{name}:{hashlib.sha256(subject.encode()).hexdigest()[:32]}"


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_seconds: int = 0


class RateLimiter:
    """At most `limit` hits per `window_seconds` for one key; the window starts at the first hit."""

    def __init__(self, redis: AsyncRedis, *, prefix: str, limit: int, window_seconds: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.limit = limit
        self.window_seconds = window_seconds

    async def hit(self, name: str, subject: str) -> RateDecision:
        """Count one attempt; fails open (allowed) whatever goes wrong with Redis (decision 0052)."""
        key = window_key(self.prefix, name, subject)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.set(key, 0, ex=self.window_seconds, nx=True)
                pipe.incr(key)
                pipe.ttl(key)
                _, count, ttl = await pipe.execute()
        except Exception as exc:
            log.warning("rate_limit_unavailable", error=str(exc), limiter=name)
            return RateDecision(allowed=True)
        if int(count) > self.limit:
            return RateDecision(allowed=False, retry_after_seconds=max(int(ttl), 1))
        return RateDecision(allowed=True)

    async def peek(self, name: str, subject: str) -> RateDecision:
        """Whether one more hit would still be within `limit`, without counting one (fails open too).

        For limits that count failures only (sign-in): ask first, count after a failure."""
        key = window_key(self.prefix, name, subject)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.get(key)
                pipe.ttl(key)
                count, ttl = await pipe.execute()
        except Exception as exc:
            log.warning("rate_limit_unavailable", error=str(exc), limiter=name)
            return RateDecision(allowed=True)
        if int(count or 0) >= self.limit:
            return RateDecision(allowed=False, retry_after_seconds=max(int(ttl), 1))
        return RateDecision(allowed=True)


class Counter(Protocol):
    """What a worker needs to count: `RedisCounter`, or a fake in tests."""

    def hit(self, name: str, subject: str, *, window_seconds: int) -> int: ...


def hit_many(counter: Counter, pairs: list[tuple[str, str]], *, window_seconds: int) -> list[int]:
    """Count several hits: in one round trip when the counter can (RedisCounter), else one by one."""
    many = getattr(counter, "hit_many", None)
    if many is not None:
        counts: list[int] = many(pairs, window_seconds=window_seconds)
        return counts
    return [counter.hit(name, subject, window_seconds=window_seconds) for name, subject in pairs]


class RedisCounter:
    """Counts hits per window; each answer is the count including this hit."""

    def __init__(self, client: Redis, *, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def hit(self, name: str, subject: str, *, window_seconds: int) -> int:
        """Count one hit; 0 when Redis is unavailable (fail open, decision 0033)."""
        return self.hit_many([(name, subject)], window_seconds=window_seconds)[0]

    def hit_many(self, pairs: list[tuple[str, str]], *, window_seconds: int) -> list[int]:
        """Count one hit per (limit, subject) in one round trip (decision 0158); 0s when Redis is unavailable."""
        if not pairs:
            return []
        try:
            with self.client.pipeline(transaction=True) as pipe:
                for name, subject in pairs:
                    key = window_key(self.prefix, name, subject)
                    pipe.set(key, 0, ex=window_seconds, nx=True)
                    pipe.incr(key)
                answers = pipe.execute()
        except RedisError as exc:
            log.warning("rate_limit_unavailable", error=str(exc), limiter=pairs[0][0], count=len(pairs))
            return [0] * len(pairs)
        return [int(count) for count in answers[1::2]]
