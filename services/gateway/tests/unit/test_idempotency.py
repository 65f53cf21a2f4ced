"""Idempotency-Key rules: the request fingerprint and the replay decision."""

from gateway.domain import idempotency as idem


def test_hash_ignores_key_order_and_is_stable() -> None:
    a = idem.request_hash({"title": "Printer", "priority": "high", "nested": {"x": 1, "y": 2}})
    b = idem.request_hash({"nested": {"y": 2, "x": 1}, "priority": "high", "title": "Printer"})
    assert a == b
    assert len(a) == 64


def test_hash_sees_any_change_of_meaning() -> None:
    base = {"title": "Printer", "priority": "high"}
    assert idem.request_hash(base) != idem.request_hash({**base, "priority": "low"})
    assert idem.request_hash(base) != idem.request_hash({**base, "description": ""})
    assert idem.request_hash({"title": "1"}) != idem.request_hash({"title": 1})


def test_decide() -> None:
    h = idem.request_hash({"title": "x"})
    assert idem.decide(stored_hash=None, incoming_hash=h) is idem.Replay.NEW
    assert idem.decide(stored_hash=h, incoming_hash=h) is idem.Replay.REPLAY
    other = idem.request_hash({"title": "y"})
    assert idem.decide(stored_hash=h, incoming_hash=other) is idem.Replay.CONFLICT


def test_valid_key() -> None:
    assert idem.valid_key("a")
    assert idem.valid_key("order-2024-0001")
    assert idem.valid_key("x" * idem.MAX_KEY_LENGTH)
    assert not idem.valid_key("")
    assert not idem.valid_key("x" * (idem.MAX_KEY_LENGTH + 1))
    assert not idem.valid_key("line\nbreak")


def test_keys_passed_to_cases_are_scoped_by_owner() -> None:
    one = idem.cases_idempotency_key(owner="api_key:1", key="k")
    two = idem.cases_idempotency_key(owner="api_key:2", key="k")
    assert one != two
    assert one == idem.cases_idempotency_key(owner="api_key:1", key="k")
