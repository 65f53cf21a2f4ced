"""Counting automatic mail in Redis, shared by every notifications replica (E4 rate limits).

The counter itself is `chassis.ratelimit.RedisCounter` (fixed windows, fails open when Redis is down);
this module gives each nameko container its connection pool.
"""

from __future__ import annotations

from typing import Any

import redis
from nameko.extensions import DependencyProvider

from chassis.ratelimit import Counter, RedisCounter, hit_many
from notifications.settings import NotificationsSettings

__all__ = ["Counter", "CounterProvider", "RedisCounter", "hit_many"]


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
