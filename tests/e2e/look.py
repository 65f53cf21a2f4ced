"""Looking at the running system from outside, as the e2e tests do: polling, cases by title, conversations,
the SMTP sink and the mail gateway's audit record."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from typing import Any, TypeVar

import httpx

from chassis.testing import SyncRpc
from chassis.testing import wait_until as _wait_until

T = TypeVar("T")


def wait_until(fetch: Callable[[], T], timeout: float = 20.0, what: str = "condition") -> T:
    """`chassis.testing.wait_until` polling every 0.1 s (most checks here are HTTP calls); 20 s by default."""
    return _wait_until(fetch, timeout=timeout, what=what, interval=0.1)


def case_titled(api: httpx.Client, title: str) -> dict[str, Any] | None:
    """The case with exactly this title, found through the API's search filter."""
    items = api.get("/api/v1/cases", params={"q": title, "limit": 100}).json()["items"]
    return next((c for c in items if c["title"] == title), None)


def messages(api: httpx.Client, case_id: int) -> list[dict[str, Any]]:
    data = api.get(f"/api/v1/cases/{case_id}/messages").json()
    return list(data["items"] if isinstance(data, dict) else data)


def mail_to(sink: Any, address: str) -> list[EmailMessage]:
    """What the SMTP sink received for `address`."""
    return [m for rcpts, m in list(sink.messages) if address in rcpts]


def processed_inbound(amqp_uri: str, message_id: str) -> dict[str, Any] | None:
    """The mail gateway's record of an inbound mail once processed: classification and why it threaded there."""
    rpc = SyncRpc(amqp_uri)
    try:
        page = rpc.call("mail_gateway", "list_inbound_mail", filters={"message_id": message_id.strip("<>")})
    finally:
        rpc.close()
    return next((m for m in page["items"] if m["status"] == "processed"), None)
