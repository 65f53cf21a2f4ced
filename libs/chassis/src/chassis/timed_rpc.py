"""A time-limited call from one nameko worker to another service (decisions 0095, 0143, 0153).

Import this module only in nameko worker processes (they run under eventlet), as `chassis.nameko_runtime`;
FastAPI processes use `chassis.rpc_client`.

A nameko RpcProxy call waits for its answer forever: while the other service is down, an event handler
would hold its worker slot and its event. `TimedRpc.call` gives up after `timeout` seconds with
`TransientError`, so the consumer rolls back and requeues the event to try again later: nothing is lost.
A refusal by a rule of the other service (its DomainError: not found, ...) comes back as that DomainError,
which dead-letters the event with its reason; any other remote failure (its database is down, ...) may
pass, so it is a TransientError too.
"""

from __future__ import annotations

from typing import Any

import eventlet
from nameko.exceptions import RemoteError, UnknownService

from chassis.consumer import TransientError
from chassis.logging import get_logger
from contracts.errors import HTTP_STATUS, DomainError

log = get_logger(__name__)


class TimedRpc:
    """Calls `service.<method>(**kwargs)` over an RpcProxy (or anything with the same methods), bounded in time."""

    def __init__(self, proxy: Any, *, timeout: float, service: str = "cases") -> None:
        self.proxy = proxy
        self.timeout = timeout
        self.service = service

    def call(self, method: str, **kwargs: Any) -> Any:
        """The answer; TransientError when the service does not answer in time or is unknown to the broker."""
        name = f"{self.service}.{method}"
        try:
            with eventlet.Timeout(self.timeout, TransientError(f"{name} did not answer in {self.timeout}s")):
                return getattr(self.proxy, method)(**kwargs)
        except TransientError:
            log.warning(f"{self.service}_rpc_timeout", method=method, timeout=self.timeout)
            raise
        except UnknownService as exc:
            # no consumer of the service has ever declared its queue in this broker: it is not up yet
            raise TransientError(f"{self.service} is not running: {exc}") from None
        except RemoteError as exc:
            raise remote_failure(name, exc) from None


def remote_failure(name: str, exc: RemoteError) -> Exception:
    """A DomainError when a rule of the remote service said no, else a TransientError (try again later).

    nameko carries a DomainError as its str(): "('not_found', 'case 5 not found', None)".
    """
    text = str(exc.value or "")
    for known in HTTP_STATUS:
        if text.startswith((f"('{known}',", f'("{known}",')):
            return DomainError(known, f"{name}: {text}"[:500])
    return TransientError(f"{name} failed: {exc.exc_type}: {text}"[:500])
