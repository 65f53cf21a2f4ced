"""Counting automatic mail in Redis, shared by every notifications replica (E4 rate limits)."""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

import redis
from nameko.extensions import DependencyProvider

from chassis.logging import get_logger
from notifications.settings import NotificationsSettings

log = get_logger(__name__)


class Counter(Protocol):
    def hit(self, name: str, subject: str, *, window_seconds: int) -> int: ...


def hit_many(counter: Counter, pairs: list[tuple[str, str]], *, window_seconds: int) -> list[int]:
    """Count several mails: in one round trip when the counter can (RedisCounter), else one by one."""
    many = getattr(counter, "hit_many", None)
    if many is not None:
        counts: list[int] = many(pairs, window_seconds=window_seconds)
        return counts
    return [counter.hit(name, subject, window_seconds=window_seconds) for name, subject in pairs]


class RedisCounter:
    """Fixed windows: the first hit starts a window of `window_seconds`; returns the count including this hit."""

    def __init__(self, client: redis.Redis, *, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def _key(self, name: str, subject: str) -> str:
        # hashed: Redis need not hold customers' addresses
        return f"{self.prefix}:rl:{name}:{hashlib.sha256(subject.encode()).hexdigest()[:32]}"

    def hit(self, name: str, subject: str, *, window_seconds: int) -> int:
        """Count one mail; 0 when Redis is unavailable (fail open, decision 0033)."""
        return self.hit_many([(name, subject)], window_seconds=window_seconds)[0]

    def hit_many(self, pairs: list[tuple[str, str]], *, window_seconds: int) -> list[int]:
        """Count one mail per (limiter, subject) in one round trip (decision 0158); 0s when Redis is unavailable."""
        if not pairs:
            return []
        try:
            with self.client.pipeline(transaction=True) as pipe:
                for name, subject in pairs:
                    key = self._key(name, subject)
                    pipe.set(key, 0, ex=window_seconds, nx=True)
                    pipe.incr(key)
                answers = pipe.execute()
        except redis.RedisError as exc:
            log.warning("rate_limit_unavailable", error=str(exc), limiter=pairs[0][0], count=len(pairs))
            return [0] * len(pairs)
        return [int(count) for count in answers[1::2]]


class CounterProvider(DependencyProvider):
    """One Redis connection pool per container (redis-py pools are safe under eventlet's monkey patch)."""

    def setup(self) -> None:
        settings = NotificationsSettings()
        client = redis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
        self.counter = RedisCounter(client, prefix=settings.redis_prefix)

    def stop(self) -> None:
        self.counter.client.close()

    def get_dependency(self, worker_ctx: Any) -> Counter:
        return self.counter
