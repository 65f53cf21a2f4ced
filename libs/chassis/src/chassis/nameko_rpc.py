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


class DomainRpc(Rpc):
    """`@rpc`, except that DomainError replies keep their details' JSON types."""

    def handle_result(self, message: Any, worker_ctx: Any, result: Any, exc_info: Any) -> Any:
        if exc_info is None or not isinstance(exc_info[1], DomainError):
            return super().handle_result(message, worker_ctx, result, exc_info)
        config = self.container.config
        publisher = Publisher(
            config[AMQP_URI_CONFIG_KEY],
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        publisher.publish(
            {"result": None, "error": serialize_domain_error(exc_info[1])},
            serializer=config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            exchange=get_rpc_exchange(config),
            routing_key=message.properties["reply_to"],
            correlation_id=message.properties.get("correlation_id"),
        )
        self.rpc_consumer.queue_consumer.ack_message(message)
        return result, exc_info


domain_rpc = DomainRpc.decorator
