"""The agent UI's reference lists kept in memory for a few seconds, so a page needs no RPC for them (decision
0210): the admin's statuses, case types, field configuration, custom fields and sources, the agents, the groups and the
organisations (their pickers search this list, `/organisations/choices`).

Every case page and case list needs them (pickers, the side panel, badges) and they change only when an admin
changes them. Each list is kept for `ttl` seconds (5 s by default, `GATEWAY_REFERENCE_CACHE_SECONDS`; 0 turns
the cache off). A change made through this process (`admin_changes.guarded_change`: the API and the admin
console alike) forgets them at once, so the admin who made it sees it on the next page; a change made through
another gateway process shows here within `ttl`. A read that started before a change is not kept (generation).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from contracts import case_config as cc
from contracts import cases as c
from contracts import directory
from contracts.cases_client import CasesClient

DEFAULT_TTL_SECONDS = 5.0
T = TypeVar("T")


class ReferenceLists:
    """name -> (value, monotonic expiry), for the event loop (no thread touches it)."""

    def __init__(
        self, cases: CasesClient, ttl: float = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if ttl < 0:
            raise ValueError("the reference cache TTL cannot be negative")
        self.ttl = ttl
        self._cases = cases
        self._clock = clock
        self._entries: dict[str, tuple[Any, float]] = {}
        self._generation = 0

    def forget(self) -> None:
        """Drop every kept list (an admin change went through this process)."""
        self._generation += 1
        self._entries.clear()

    async def _kept(self, name: str, load: Callable[[], Awaitable[T]]) -> T:
        if not self.ttl:
            return await load()
        found = self._entries.get(name)
        if found is not None and found[1] > self._clock():
            value: T = found[0]
            return value
        generation = self._generation
        loaded = await load()
        if generation == self._generation:  # no change was made while it was being read
            self._entries[name] = (loaded, self._clock() + self.ttl)
        return loaded

    async def statuses(self) -> list[cc.CaseStatusRead]:
        return await self._kept("statuses", self._cases.list_case_statuses)

    async def case_types(self) -> list[cc.CaseTypeRead]:
        return await self._kept("case_types", self._cases.list_case_types)

    async def field_configs(self) -> list[cc.FieldConfigRead]:
        return await self._kept("field_configs", self._cases.list_field_configs)

    async def custom_fields(self) -> list[cc.CustomFieldRead]:
        return await self._kept("custom_fields", self._cases.list_custom_fields)

    async def agents(self) -> list[c.AgentRead]:
        return await self._kept("agents", self._cases.list_agents)

    async def groups(self) -> list[c.GroupRef]:
        return await self._kept("groups", self._cases.list_groups)

    async def case_sources(self) -> list[cc.CaseSourceRead]:
        return await self._kept("case_sources", self._cases.list_case_sources)

    async def organisations(self) -> list[directory.OrganisationRead]:
        return await self._kept("organisations", self._cases.list_organisations)
