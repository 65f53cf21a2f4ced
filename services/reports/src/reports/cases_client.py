"""What reports asks the cases service, every call bounded by a time-out (decision 0143, as 0095).

A nameko RpcProxy call waits forever: while cases is down, the `cases_imported` handler would hold its
worker and its event. Here a call gives up after `cases_rpc_timeout` seconds with `TransientError`, so
the consumer rolls back and requeues the event, to try again later.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import eventlet
from nameko.exceptions import RemoteError, UnknownService

from chassis.consumer import TransientError
from chassis.logging import get_logger
from contracts.bulk import CASE_FACTS_MAX, CaseFacts, CaseFactsPage
from contracts.errors import HTTP_STATUS, DomainError

log = get_logger(__name__)


class CasesClient:
    """A time-bounded view of the cases service over an RpcProxy (or anything with the same methods)."""

    def __init__(self, proxy: Any, *, timeout: float) -> None:
        self.proxy = proxy
        self.timeout = timeout

    def call(self, method: str, **kwargs: Any) -> Any:
        """`cases.<method>(**kwargs)`; TransientError when cases does not answer in time or is unknown."""
        try:
            with eventlet.Timeout(self.timeout, TransientError(f"cases.{method} did not answer in {self.timeout}s")):
                return getattr(self.proxy, method)(**kwargs)
        except TransientError:
            log.warning("cases_rpc_timeout", method=method, timeout=self.timeout)
            raise
        except UnknownService as exc:
            raise TransientError(f"cases is not running: {exc}") from None
        except RemoteError as exc:
            raise _remote(method, exc) from None

    def case_facts(self, case_ids: list[int]) -> Iterator[CaseFacts]:
        """The facts of every existing case of `case_ids`, asked in pages of `CASE_FACTS_MAX`."""
        for start in range(0, len(case_ids), CASE_FACTS_MAX):
            page = CaseFactsPage.model_validate(
                self.call("case_facts", case_ids=case_ids[start : start + CASE_FACTS_MAX])
            )
            yield from page.items


def _remote(method: str, exc: RemoteError) -> Exception:
    # a rule of cases said no: a DomainError (the event is dead-lettered with it); anything else may pass
    text = str(exc.value or "")
    for known in HTTP_STATUS:
        if text.startswith((f"('{known}',", f'("{known}",')):
            return DomainError(known, f"cases.{method}: {text}"[:500])
    return TransientError(f"cases.{method} failed: {exc.exc_type}: {text}"[:500])
