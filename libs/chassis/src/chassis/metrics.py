"""Prometheus metrics shared by all services, and the small ops HTTP server of worker processes."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app

EVENTS_PUBLISHED = Counter(
    "helpdesk_events_published_total", "Events relayed from the outbox", ["service", "event_type"]
)
EVENTS_CONSUMED = Counter(
    "helpdesk_events_consumed_total", "Events handled by a consumer", ["service", "event_type", "outcome"]
)
OUTBOX_PENDING = Gauge("helpdesk_outbox_pending", "Outbox rows not yet published", ["service"])
DEAD_LETTERS = Counter(
    "helpdesk_dead_letters_total", "Messages sent to the dead-letter queue", ["service", "event_type"]
)
HTTP_REQUESTS = Counter("helpdesk_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram(
    "helpdesk_http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"]
)
# temporary files of blob writers that died, removed when a process owning the blob root starts (decision 0168)
BLOB_TEMPORARY_SWEPT_FILES = Counter(
    "helpdesk_blob_temporary_swept_files_total", "Leftover blob store temporary files removed at start-up"
)
BLOB_TEMPORARY_SWEPT_BYTES = Counter(
    "helpdesk_blob_temporary_swept_bytes_total", "Bytes of leftover blob store temporary files removed at start-up"
)

HealthCheck = Callable[[], dict[str, Any]]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return


def ops_app(health: HealthCheck) -> Callable[..., Any]:
    """WSGI app: `/metrics` (Prometheus) and `/healthz` (JSON; 503 when a check fails)."""
    metrics = make_wsgi_app()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/metrics"):
            return metrics(environ, start_response)
        if path == "/healthz":
            try:
                report = health()
                ok = all(v == "ok" for v in report.values())
            except Exception as exc:  # a health check must answer, whatever broke
                report, ok = {"error": str(exc)}, False
            body = json.dumps({"status": "ok" if ok else "failing", "checks": report}).encode()
            start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "application/json")])
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return app


def start_ops_server(port: int, health: HealthCheck, host: str = "127.0.0.1") -> WSGIServer:
    """Serve /metrics and /healthz on `port` in a daemon thread (a greenthread under eventlet)."""
    server = make_server(host, port, ops_app(health), server_class=WSGIServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="ops-http", daemon=True).start()
    return server
