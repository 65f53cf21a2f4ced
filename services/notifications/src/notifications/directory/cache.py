"""cases' agent directory, kept in memory for a few seconds and indexed by id and group (decision 0107)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from contracts.cases import AgentRead, AgentRef


@dataclass
class Snapshot:
    fetched_at: float
    agents: list[AgentRead]
    by_id: dict[int, AgentRef]
    by_group: dict[int, list[AgentRef]] = field(default_factory=dict)


class AgentCache:
    """cases' agent list, kept for `ttl` seconds and indexed by id and group (decision 0107).

    A busy group makes every `case_created` ask cases for the whole directory; within the TTL the answer
    is reused. An agent or a group the snapshot does not know (just created) makes it refresh at once; a
    changed membership of a known group is seen after at most `ttl` seconds. `ttl` 0 turns caching off.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._snapshot: Snapshot | None = None

    def snapshot(self, ttl: float, fetch: Callable[[], list[AgentRead]], *, fresh: bool = False) -> Snapshot:
        now = self.clock()
        current = self._snapshot
        if fresh or ttl <= 0 or current is None or now - current.fetched_at >= ttl:
            current = _index(now, fetch())
            self._snapshot = current if ttl > 0 else None
        return current

    def clear(self) -> None:
        self._snapshot = None


def _index(now: float, agents: list[AgentRead]) -> Snapshot:
    snap = Snapshot(fetched_at=now, agents=agents, by_id={})
    for a in sorted(agents, key=lambda a: a.id):
        ref = AgentRef(id=a.id, email=a.email, name=a.name)
        snap.by_id[a.id] = ref
        for group_id in a.group_ids:
            snap.by_group.setdefault(group_id, []).append(ref)
    return snap


# one per worker process: every handler's CasesDirectory shares it
AGENTS = AgentCache()
