"""Rate-limit hits counted once per event, also when its transaction is applied again (decision 0152).

`case_created` is applied in groups (chassis `idempotent_group`): when one mail of a group fails, the
others are applied again in a new transaction, and a retried delivery runs its handler again too. The
Redis counter is outside the transaction, so without this each replay would count the same mail twice
and could rate-limit a customer who wrote once. The answer of the first hit is remembered per event
(the most recent `size` hits of this process).
"""

from __future__ import annotations

from collections import OrderedDict

from notifications.ratelimit import Counter, hit_many


class CountOnce:
    """Remembers the counts a `Counter` gave per (event, limiter, subject)."""

    def __init__(self, counter: Counter, size: int = 5000) -> None:
        self.counter = counter
        self.size = size
        self._seen: OrderedDict[tuple[str, str, str], int] = OrderedDict()

    def for_event(self, event_id: str) -> Counter:
        return _EventCounter(self, event_id)

    def hit(self, event_id: str, name: str, subject: str, *, window_seconds: int) -> int:
        key = (event_id, name, subject)
        found = self._seen.get(key)
        if found is not None:
            return found
        count = self.counter.hit(name, subject, window_seconds=window_seconds)
        self._seen[key] = count
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return count

    def hit_many(self, hits: list[tuple[str, str, str]], *, window_seconds: int) -> None:
        """Count (event, limiter, subject) hits not yet counted, in one round trip (a group's mails, 0158)."""
        fresh = list(dict.fromkeys(key for key in hits if key not in self._seen))
        counts = hit_many(self.counter, [(name, subject) for _, name, subject in fresh], window_seconds=window_seconds)
        for key, count in zip(fresh, counts, strict=True):
            self._seen[key] = count
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)


class _EventCounter:
    def __init__(self, once: CountOnce, event_id: str) -> None:
        self.once = once
        self.event_id = event_id

    def hit(self, name: str, subject: str, *, window_seconds: int) -> int:
        return self.once.hit(self.event_id, name, subject, window_seconds=window_seconds)
