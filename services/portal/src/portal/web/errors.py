"""Errors leave as friendly HTML pages for people, and as the shared JSON shape for machines."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from chassis.logging import get_logger
from chassis.web import install_error_handlers
from contracts import errors
from portal.web.session import CsrfRejected, SignInRequired
from portal.web.templating import render

log = get_logger(__name__)

Handler = Callable[[Request, Exception], Awaitable[Response]]

_PAGES: dict[int, tuple[str, str]] = {
    400: ("Something is missing", "The form was incomplete. Go back and try again."),
    403: ("Not allowed", "You cannot do that."),
    404: ("Not found", "We could not find that page. It may not exist, or it belongs to someone else."),
    405: ("Not allowed", "That page cannot be used this way."),
    429: ("Too many attempts", "Please wait a little and try again."),
    503: ("Temporarily unavailable", "We cannot reach our case system right now. Please try again in a minute."),
    500: ("Something went wrong", "An unexpected error happened on our side. Please try again."),
}


def wants_json(request: Request) -> bool:
    """API-ish requests: under /api/, or a client that asks for JSON and not for HTML."""
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/api/") or ("application/json" in accept and "text/html" not in accept)


def error_page(request: Request, status_code: int, message: str | None = None) -> Response:
    title, default = _PAGES.get(status_code, _PAGES[500] if status_code >= 500 else _PAGES[400])
    return render(request, "error.html", {"title": title, "message": message or default}, status_code=status_code)


def install_portal_error_handlers(app: FastAPI) -> None:
    """The chassis' JSON handlers stay for API-ish requests; everything else gets a page."""
    install_error_handlers(app)
    as_json: dict[type[Exception], Handler] = {
        kind: app.exception_handlers[kind]  # type: ignore[misc]
        for kind in (errors.DomainError, RequestValidationError, StarletteHTTPException, Exception)
    }

    def dispatch(kind: type[Exception], as_html: Callable[[Request, Exception], Response]) -> None:
        async def handler(request: Request, exc: Exception) -> Response:
            if wants_json(request):
                return await as_json[kind](request, exc)
            return as_html(request, exc)

        app.add_exception_handler(kind, handler)

    def domain_html(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.DomainError)
        status = errors.http_status(exc.code)
        if status >= 500:
            log.warning("page_failed", code=exc.code, error=exc.message, path=request.url.path)
        # cases' messages for rule violations are meant for people; others get our wording
        shown = exc.message if exc.code in {errors.VALIDATION_ERROR, errors.INVALID_TRANSITION} else None
        return error_page(request, status, shown)

    def validation_html(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        # /cases/abc is a page that does not exist, not a form mistake
        in_path = any(e.get("loc", ("",))[0] == "path" for e in exc.errors())
        return error_page(request, 404 if in_path else 400)

    def http_html(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return error_page(request, exc.status_code)

    def unhandled_html(request: Request, exc: Exception) -> Response:
        log.error("unhandled_error", error=str(exc), path=request.url.path, exc_info=exc)
        return error_page(request, 500)

    dispatch(errors.DomainError, domain_html)
    dispatch(RequestValidationError, validation_html)
    dispatch(StarletteHTTPException, http_html)
    dispatch(Exception, unhandled_html)

    @app.exception_handler(SignInRequired)
    async def _sign_in(_request: Request, _exc: SignInRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, _exc: CsrfRejected) -> Response:
        message = "This form has expired. Go back, reload the page and try again."
        return error_page(request, 403, message)
