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
        key = self._key(name, subject)
        try:
            with self.client.pipeline(transaction=True) as pipe:
                pipe.set(key, 0, ex=window_seconds, nx=True)
                pipe.incr(key)
                _, count = pipe.execute()
        except redis.RedisError as exc:
            log.warning("rate_limit_unavailable", error=str(exc), limiter=name)
            return 0
        return int(count)


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
