"""Which SLA policy applies to a case (B13): the most specific active policy that matches.

A policy matches when each criterion it sets (priority, type, group) equals the case's; a criterion
left empty matches anything. Most specific wins: more criteria set beats fewer; on a tie, group
beats type beats priority; then the lowest id (the oldest policy).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar


@dataclass(frozen=True)
class Criteria:
    priority: str | None
    type_id: int | None
    group_id: int | None


P = TypeVar("P")


def _rank(c: Criteria) -> tuple[int, int]:
    mask = (4 if c.group_id is not None else 0) | (2 if c.type_id is not None else 0) | (1 if c.priority else 0)
    return bin(mask).count("1"), mask


def matches(policy: Criteria, case: Criteria) -> bool:
    return (
        (policy.priority is None or policy.priority == case.priority)
        and (policy.type_id is None or policy.type_id == case.type_id)
        and (policy.group_id is None or policy.group_id == case.group_id)
    )


def best(policies: Iterable[tuple[int, Criteria, P]], case: Criteria) -> P | None:
    """The policy (third item of each `(id, criteria, policy)`) that applies to `case`, if any."""
    found = [(_rank(c), -pid, p) for pid, c, p in policies if matches(c, case)]
    if not found:
        return None
    found.sort(key=lambda f: (f[0], f[1]), reverse=True)
    return found[0][2]
