"""An `@rpc` entrypoint whose DomainError replies keep their JSON types (nameko workers only).

nameko serialises `exc.args` with `safe_for_serialization`, which turns every int, bool and None
into a string: a VersionConflict's `details={"current": <CaseRead>}` would reach the caller as
`{"version": "3", "requester": "None"}`. `domain_rpc` sends DomainErrors with their details as
plain JSON instead; the reply shape (`exc_type`, `exc_path`, `exc_args`, `value`) is unchanged,
so `chassis.rpc_client.remote_error` reads it as before. Other exceptions go the nameko way.
"""

from __future__ import annotations

import json
from typing import Any

from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    DEFAULT_TRANSPORT_OPTIONS,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.exceptions import get_module_path
from nameko.rpc import Rpc, get_rpc_exchange

from contracts.errors import DomainError


def serialize_domain_error(exc: DomainError) -> dict[str, Any]:
    """nameko's error reply for a DomainError, with `details` kept as JSON (not stringified)."""
    try:
        details = json.loads(json.dumps(exc.details, default=str))
    except (TypeError, ValueError):  # a circular structure: a string beats losing the reply
        details = str(exc.details)
    return {
        "exc_type": type(exc).__name__,
        "exc_path": get_module_path(type(exc)),
        "exc_args": [exc.code, exc.message, details],
        "value": str(exc),
    }


class RawJson(str):
    """An RPC result already encoded as JSON (`model.model_dump_json()`): the reply carries it as it is.

    Issue 6 (decision 0136): nameko encodes a reply twice (a "can it be serialised" check, then the
    publish) from a dict that `model_dump(mode="json")` built first; pydantic writes the JSON directly."""


def reply_body(result: Any) -> str | None:
    """A successful reply as JSON, encoded once (None: plain `json` cannot encode the result)."""
    if isinstance(result, RawJson):
        return '{"result": ' + result + ', "error": null}'
    try:
        return json.dumps({"result": result, "error": None})
    except (TypeError, ValueError):
        return None


# Replies are published without waiting for the broker's confirm (decision 0136): a lost reply shows as the
# caller's time-out with or without one, and the wait is a round trip per call on every read.
REPLY_CONFIRMS = False


class DomainRpc(Rpc):
    """`@rpc`, except that DomainError replies keep their details' JSON types, and a JSON reply is
    encoded once (RawJson results not at all) by one publisher kept for the entry point's lifetime."""

    _publisher: Publisher | None = None

    def _reply_publisher(self) -> Publisher:
        if self._publisher is None:
            config = self.container.config
            self._publisher = Publisher(
                config[AMQP_URI_CONFIG_KEY],
                ssl=config.get(AMQP_SSL_CONFIG_KEY),
                login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
                use_confirms=REPLY_CONFIRMS,
            )
            # its own dict: nameko's Publisher writes `confirm_publish` into a class-wide one on each publish
            self._publisher.transport_options = DEFAULT_TRANSPORT_OPTIONS.copy()
        return self._publisher

    def handle_result(self, message: Any, worker_ctx: Any, result: Any, exc_info: Any) -> Any:
        config = self.container.config
        domain_error = exc_info[1] if exc_info is not None and isinstance(exc_info[1], DomainError) else None
        if message.properties.get("content_type") != "application/json":  # another serializer: nameko's way
            if isinstance(result, RawJson):
                result = json.loads(result)
            if domain_error is None:
                return super().handle_result(message, worker_ctx, result, exc_info)
            payload: Any = {"result": None, "error": serialize_domain_error(domain_error)}
            extra: dict[str, Any] = {"serializer": config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER)}
        else:
            if domain_error is not None:
                payload = json.dumps({"result": None, "error": serialize_domain_error(domain_error)})
            elif exc_info is not None:
                return super().handle_result(message, worker_ctx, result, exc_info)
            else:
                payload = reply_body(result)
                if payload is None:  # nameko's encoder knows dates; or it answers UnserializableValueError
                    return super().handle_result(message, worker_ctx, result, exc_info)
            extra = {"content_type": "application/json", "content_encoding": "utf-8"}
        self._reply_publisher().publish(
            payload,
            exchange=get_rpc_exchange(config),
            routing_key=message.properties["reply_to"],
            correlation_id=message.properties.get("correlation_id"),
            **extra,
        )
        self.rpc_consumer.queue_consumer.ack_message(message)
        return result, exc_info


domain_rpc = DomainRpc.decorator
