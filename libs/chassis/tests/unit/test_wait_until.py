"""`chassis.testing.wait_until`: the first truthy answer is returned; a timeout names what and the last answer."""

from __future__ import annotations

import pytest

from chassis.testing import wait_until


def test_returns_the_first_truthy_answer() -> None:
    answers = iter([None, [], ["row"], ["later"]])
    assert wait_until(lambda: next(answers), timeout=5, interval=0) == ["row"]


def test_a_timeout_names_the_condition_and_the_last_answer() -> None:
    with pytest.raises(TimeoutError, match=r"the rows not reached in 0s \(last: \[\]\)"):
        wait_until(lambda: [], timeout=0, what="the rows", interval=0)
