"""What reports asks the cases service, every call bounded by a time-out (decision 0143, as 0095).

A nameko RpcProxy call waits forever: while cases is down, the `cases_imported` handler would hold its
worker and its event. Here a call gives up after `cases_rpc_timeout` seconds with `TransientError`, so
the consumer rolls back and requeues the event, to try again later. The time-limited call itself is
`chassis.timed_rpc` (decision 0153), shared with notifications.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chassis.timed_rpc import TimedRpc
from contracts.bulk import CASE_FACTS_MAX, CaseFacts, CaseFactsPage


class CasesClient(TimedRpc):
    """A time-bounded view of the cases service over an RpcProxy (or anything with the same methods)."""

    def __init__(self, proxy: Any, *, timeout: float) -> None:
        super().__init__(proxy, timeout=timeout, service="cases")

    def case_facts(self, case_ids: list[int]) -> Iterator[CaseFacts]:
        """The facts of every existing case of `case_ids`, asked in pages of `CASE_FACTS_MAX`."""
        for start in range(0, len(case_ids), CASE_FACTS_MAX):
            page = CaseFactsPage.model_validate(
                self.call("case_facts", case_ids=case_ids[start : start + CASE_FACTS_MAX])
            )
            yield from page.items
