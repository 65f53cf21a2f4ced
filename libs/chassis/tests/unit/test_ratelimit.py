"""The shared rate limits: one key scheme, and both front ends fail open when Redis is unreachable."""

from __future__ import annotations

import asyncio
import socket

from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from chassis.ratelimit import RateLimiter, RedisCounter, hit_many, window_key


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_key_hashes_the_subject() -> None:
    key = window_key("hd", "magic-link", "nora@customer.example")
    assert key.startswith("hd:rl:magic-link:")
    assert "nora" not in key
    assert key == window_key("hd", "magic-link", "nora@customer.example")
    assert key != window_key("hd", "magic-link", "ann@customer.example")


def test_the_async_limiter_allows_when_redis_is_down() -> None:
    async def attempt() -> bool:
        client = AsyncRedis.from_url(f"redis://127.0.0.1:{_dead_port()}/0", socket_connect_timeout=1)
        limiter = RateLimiter(client, prefix="hd", limit=0, window_seconds=60)
        try:
            return (await limiter.hit("magic-link", "nora@customer.example")).allowed
        finally:
            await client.aclose()

    assert asyncio.run(attempt()) is True


def test_the_counter_counts_zero_when_redis_is_down() -> None:
    client = Redis.from_url(f"redis://127.0.0.1:{_dead_port()}/0", socket_connect_timeout=1)
    counter = RedisCounter(client, prefix="hd")
    assert counter.hit("per-recipient", "nora@customer.example", window_seconds=60) == 0
    assert hit_many(counter, [("a", "x"), ("b", "y")], window_seconds=60) == [0, 0]
    assert counter.hit_many([], window_seconds=60) == []


class _Fake:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}

    def hit(self, name: str, subject: str, *, window_seconds: int) -> int:
        self.counts[(name, subject)] = self.counts.get((name, subject), 0) + 1
        return self.counts[(name, subject)]


def test_hit_many_falls_back_to_one_by_one() -> None:
    assert hit_many(_Fake(), [("a", "x"), ("a", "x"), ("b", "x")], window_seconds=60) == [1, 2, 1]
