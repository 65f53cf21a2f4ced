"""A replayed case_created mail counts once towards the rate limits (decision 0152)."""

from __future__ import annotations

from notifications.safety.count_once import CountOnce


class Hits:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}

    def hit(self, name: str, subject: str, *, window_seconds: int) -> int:
        self.counts[(name, subject)] = self.counts.get((name, subject), 0) + 1
        return self.counts[(name, subject)]


def test_the_same_event_is_counted_once_and_answers_its_first_count() -> None:
    hits = Hits()
    once = CountOnce(hits)
    assert once.for_event("e1").hit("recipient", "a@example.com", window_seconds=60) == 1
    assert once.for_event("e1").hit("recipient", "a@example.com", window_seconds=60) == 1  # replayed
    assert once.for_event("e2").hit("recipient", "a@example.com", window_seconds=60) == 2
    assert once.for_event("e1").hit("case", "7", window_seconds=60) == 1
    assert hits.counts == {("recipient", "a@example.com"): 2, ("case", "7"): 1}


def test_memory_is_bounded() -> None:
    hits = Hits()
    once = CountOnce(hits, size=2)
    for event in ("e1", "e2", "e3"):
        once.for_event(event).hit("recipient", "a@example.com", window_seconds=60)
    assert once.for_event("e1").hit("recipient", "a@example.com", window_seconds=60) == 4  # forgotten: counted again
