"""FastAPI glue shared by the gateway and the portal: error shape, metrics, health."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import make_asgi_app
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chassis.logging import get_logger
from chassis.metrics import HTTP_LATENCY, HTTP_REQUESTS
from contracts import errors

log = get_logger(__name__)

_STATUS_CODES = {
    401: errors.UNAUTHORIZED,
    403: errors.FORBIDDEN,
    404: errors.NOT_FOUND,
    405: "method_not_allowed",
    413: errors.PAYLOAD_TOO_LARGE,
    429: errors.RATE_LIMITED,
}


# what FastAPI's 400 says when a request body cannot be decoded at all
BODY_NOT_PARSED = "There was an error parsing the body"


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def validation_response(exc: RequestValidationError) -> JSONResponse:
    """The 422 of a request that does not match its route's parameters or body."""
    details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]
    return JSONResponse(error_body(errors.VALIDATION_ERROR, "request is invalid", details), status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as `{"error": {"code", "message", "details"}}` with the right status."""

    @app.exception_handler(errors.DomainError)
    async def _domain(_request: Request, exc: errors.DomainError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=errors.http_status(exc.code))

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == BODY_NOT_PARSED:
            # a body that is not even text (FastAPI's 400): invalid input like malformed JSON, the same 422
            details = [{"loc": ["body"], "msg": "the body could not be read (not UTF-8 JSON)", "type": "json_invalid"}]
            return JSONResponse(error_body(errors.VALIDATION_ERROR, "request is invalid", details), status_code=422)
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unhandled(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", error=str(exc))
        return JSONResponse(error_body(errors.INTERNAL_ERROR, "internal error"), status_code=500)


class MetricsMiddleware:
    """Counts and times requests by route template (not raw path, to keep label cardinality low)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        # (method, template, status) -> the labelled counter and histogram: `labels()` takes a lock and builds
        # its key on every call (decision 0165); as many entries as the routes' templates, methods and statuses
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/metrics"):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def _send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            key = (scope["method"], template, status)
            children = self._children.get(key)
            if children is None:
                children = self._children[key] = (
                    HTTP_REQUESTS.labels(self.service, scope["method"], template, str(status)),
                    HTTP_LATENCY.labels(self.service, scope["method"], template),
                )
            children[0].inc()
            children[1].observe(time.perf_counter() - start)


def mount_ops(app: FastAPI, service: str, checks: dict[str, Callable[[], Awaitable[str]]]) -> None:
    """`/healthz` (503 when a check fails) and `/metrics` on the app itself."""
    app.add_middleware(MetricsMiddleware, service=service)
    app.mount("/metrics", make_asgi_app())

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                results[name] = await check()
            except Exception as exc:
                results[name] = f"failing: {exc}"
        ok = all(v == "ok" for v in results.values())
        return JSONResponse({"status": "ok" if ok else "failing", "checks": results}, status_code=200 if ok else 503)
