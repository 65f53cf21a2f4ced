"""Verified API keys kept in memory for a short time, so a request needs no database read (decision 0134).

A key found live in the database is remembered for `ttl` seconds (1 s by default,
`GATEWAY_API_KEY_CACHE_SECONDS`; 0 turns the cache off). A key revoked by another process therefore
keeps working in this one for at most `ttl`; revoked or changed through this process (`forget`), it stops
at once. Unknown and revoked keys are never remembered: a key created a moment ago works on its first
request. `last_used_at` is still written by the database lookup, which now runs once per `ttl` per key:
well inside its one-minute resolution.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from gateway.access import ApiPrincipal
from gateway.domain import api_keys

DEFAULT_TTL_SECONDS = 1.0
MAX_ENTRIES = 10_000  # bounds memory against many distinct keys; the cache is emptied when full


class VerifiedKeys:
    """key hash -> (principal, monotonic expiry); safe for the event loop and the threadpool alike."""

    def __init__(self, ttl: float = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        if ttl < 0:
            raise ValueError("the API key cache TTL cannot be negative")
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[ApiPrincipal, float]] = {}
        self._lock = threading.Lock()
        self._generation = 0  # bumped by forget(): a lookup that started before a revoke is not remembered

    @property
    def generation(self) -> int:
        """Take before a database lookup; pass to `remember` after it."""
        return self._generation

    def get(self, secret: str) -> ApiPrincipal | None:
        """The remembered principal of this secret, or None (unknown here, or expired)."""
        if not self.ttl:
            return None
        found = self._entries.get(api_keys.key_hash(secret))
        if found is None or found[1] <= self._clock():
            return None
        return found[0]

    def remember(self, secret: str, principal: ApiPrincipal, generation: int) -> None:
        """Keep a principal just read from the database, unless a key was forgotten since the read began."""
        if not self.ttl:
            return
        with self._lock:
            if generation != self._generation:
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[api_keys.key_hash(secret)] = (principal, self._clock() + self.ttl)

    def forget(self, key_id: int) -> None:
        """Drop a key at once (revoked or changed by this process)."""
        with self._lock:
            self._generation += 1
            for digest in [d for d, (p, _) in self._entries.items() if p.key_id == key_id]:
                del self._entries[digest]

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()
