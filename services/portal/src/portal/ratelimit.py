"""Per-key fixed-window rate limit in Redis (shared by every portal replica)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from redis.asyncio import Redis

from chassis.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_seconds: int = 0


class RateLimiter:
    """At most `limit` hits per `window_seconds` for one key; the window starts at the first hit."""

    def __init__(self, redis: Redis, *, prefix: str, limit: int, window_seconds: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.limit = limit
        self.window_seconds = window_seconds

    def _key(self, name: str, subject: str) -> str:
        # hash the subject: Redis need not hold customers' e-mail addresses
        return f"{self.prefix}:rl:{name}:{hashlib.sha256(subject.encode()).hexdigest()[:32]}"

    async def hit(self, name: str, subject: str) -> RateDecision:
        """Count one attempt; fails open (allowed) when Redis is down, see decision 0052."""
        key = self._key(name, subject)
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
