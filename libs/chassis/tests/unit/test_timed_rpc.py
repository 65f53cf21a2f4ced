"""The time-limited call between nameko workers (decision 0153), without a broker: a fake proxy."""

from __future__ import annotations

import time
from typing import Any

import eventlet
import pytest
from nameko.exceptions import RemoteError, UnknownService

from chassis.consumer import TransientError
from chassis.timed_rpc import TimedRpc
from contracts.errors import DomainError


class _Proxy:
    def __init__(self, answer: Any = None, delay: float = 0.0, error: Exception | None = None) -> None:
        self.answer, self.delay, self.error = answer, delay, error

    def lookup(self, **kwargs: Any) -> Any:
        eventlet.sleep(self.delay)  # what a green RPC wait does: yield to the hub
        if self.error is not None:
            raise self.error
        return {"answer": self.answer, **kwargs}


def test_an_answer_in_time_is_returned() -> None:
    assert TimedRpc(_Proxy(1), timeout=1, service="billing").call("lookup", x=2) == {"answer": 1, "x": 2}


def test_a_silent_service_is_a_transient_error_named_after_it() -> None:
    started = time.monotonic()
    with pytest.raises(TransientError, match=r"billing\.lookup did not answer"):
        TimedRpc(_Proxy(delay=5), timeout=0.2, service="billing").call("lookup")
    assert time.monotonic() - started < 1.0


def test_unknown_service_and_remote_failures() -> None:
    with pytest.raises(TransientError, match="billing is not running"):
        TimedRpc(_Proxy(error=UnknownService("billing")), timeout=1, service="billing").call("lookup")
    with pytest.raises(TransientError, match="OperationalError"):
        TimedRpc(_Proxy(error=RemoteError("OperationalError", "down")), timeout=1, service="billing").call("lookup")
    refused = RemoteError("VersionConflict", "('version_conflict', 'changed', None)")
    with pytest.raises(DomainError) as err:
        TimedRpc(_Proxy(error=refused), timeout=1, service="billing").call("lookup")
    assert err.value.code == "version_conflict" and err.value.message.startswith("billing.lookup:")
