"""The gateway's FastAPI app: REST API v1, agent UI, static files, ops endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response
from starlette.types import Scope

from chassis.db import ping
from chassis.heap import freeze_startup_heap
from chassis.logging import configure_logging, get_logger
from chassis.sessions import ServerSessionMiddleware, SessionStore
from chassis.settings import repo_root
from chassis.web import install_error_handlers, mount_ops, validation_response
from chassis.web_security import SecurityHeadersMiddleware, security_headers
from gateway import (
    case_scope,  # every route reaching a case by id is scoped (0115)
    role_gate,  # a light agent writes internal notes only (0196)
)
from gateway.api.accounts import router as accounts_router
from gateway.api.agent_notifications import router as agent_notifications_router
from gateway.api.audit import router as audit_router
from gateway.api.case_list import router as case_list_router
from gateway.api.case_model import router as case_model_router
from gateway.api.case_presence import router as case_presence_router
from gateway.api.case_work import router as case_work_router
from gateway.api.customer_mail import router as customer_mail_router
from gateway.api.deliveries import router as deliveries_router
from gateway.api.forms import router as forms_router
from gateway.api.inbound_mail import router as inbound_mail_router
from gateway.api.keys import router as keys_router
from gateway.api.portal_branding import router as portal_branding_router
from gateway.api.push import router as push_router
from gateway.api.routes import router as api_router
from gateway.api.search import router as search_router
from gateway.api.sla import router as sla_router  # SLA policies, calendars, case SLA
from gateway.context import AppContext
from gateway.settings import GatewaySettings
from gateway.ui import (
    account_routes,
    case_list_routes,  # the list's export and bulk changes
    directory_pages,  # contacts and organisations
    inbox_routes,  # saving searches from the inbox
    mail_image_routes,  # always show a sender's images
    outbound_routes,  # New email (A7)
    profile,  # the signed-in agent's own settings
)
from gateway.ui import case_model as ui_case_model
from gateway.ui import case_work as case_work_ui
from gateway.ui import routes as ui
from gateway.ui.admin import routes as admin_routes
from gateway.ui.admin.common import AdminRequired
from gateway.ui.session import LoginRequired, RoleForbiddenPage
from gateway.webhooks.twilio import router as twilio_router

log = get_logger(__name__)
PACKAGE_DIR = Path(__file__).resolve().parent
SESSION_COOKIE = "helpdesk_agent"
DOCS_URL = "/api/v1/docs"
# URL prefix under /static/lib -> the npm package's dist folder (installed by `npm ci`, never copied)
UI_LIBRARIES = {
    "tabler": "@tabler/core/dist",
    "tom-select": "tom-select/dist",
    "flatpickr": "flatpickr/dist",
}
API_DESCRIPTION = """Public REST API v1 of the help desk. Authenticate with `Authorization: Bearer <API key>`.

**Roles.** Every agent has a `role`; a key linked to an agent acts with at most that agent's role (an admin
key of a non-admin agent is no admin key):

- `admin`: everything, including configuration, agents, groups, mailboxes, SLA and API keys;
- `agent`: works every case they may see (replies, notes, fields, tasks, time, links), no configuration;
- `light_agent`: reads the cases of their own groups and adds internal notes to them; keeps their own saved
  searches and notification settings. They cannot be assigned cases.

A call the caller's role does not allow answers **403** with the code `role_forbidden`; `details` name the
caller's `role` and the role `needed`. A case the caller may not see answers exactly as a missing one (404).
`is_admin` on agents is deprecated: read and write `role`.

**Admin changes.** An object read alone answers its version as `ETag` (configuration lists give each item a
`version`); send it back as `If-Match` on a write, and a change made meanwhile answers 409 `version_conflict`
with the current object in `details.current`, changing nothing (without `If-Match` the write goes through).
Every admin change is in the audit log, `GET /api/v1/audit`: who, what, before and after (secrets redacted),
when and how it ended. See docs/admin-changes.md.
"""


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """The app; its context (database, RPC client) lives as long as the lifespan."""
    settings = settings or GatewaySettings()
    ctx = AppContext.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await ctx.start()
        freeze_startup_heap()  # decision 0161
        try:
            yield
        finally:
            await ctx.stop()

    app = FastAPI(
        title="Help desk API",
        version="1.0.0",
        description=API_DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=DOCS_URL,
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(_access)],  # roles and restricted groups on every route
        # no OpenTelemetry SDK is installed (metrics go to Prometheus, chassis.web): FastAPI's native telemetry
        # could only ask per request whether a provider had been configured since (decision 0165)
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    _install_ui_handlers(app)
    case_scope.install(app)

    async def database() -> str:
        return await run_in_threadpool(ping, ctx.engine)

    async def broker() -> str:
        return "ok" if ctx.rpc.connected else "failing: not connected"

    mount_ops(app, "gateway", {"database": database, "broker": broker})
    # inside the cookie's middleware: looks the cookie's session id up in Redis, once per request
    app.add_middleware(
        ServerSessionMiddleware, store=_session_store, skip_prefixes=("/static/", "/healthz", "/metrics")
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.env == "production",
    )
    # - images: our own only; a case page showing a sender's remote images widens it for itself (decision 0245)
    # - referrers: links in customers' mail bodies never learn which case an agent had open
    # - the Swagger UI page is FastAPI's, loading its script from a CDN: the policy is for our own pages
    app.add_middleware(
        SecurityHeadersMiddleware,
        headers=security_headers(referrer_policy="same-origin"),
        exempt_prefixes=(DOCS_URL,),
    )
    # Routes are matched in the order included, every route of every router before the match tried in turn:
    # the hottest reads come first (decisions 0159, 0165): views, search and counts (3 of 4), then
    # the case detail, each first in its router
    app.include_router(search_router)  # search, views, saved searches
    app.include_router(case_list_router)  # export, bulk: before api_router's /cases/{case_id}
    app.include_router(api_router)
    app.include_router(case_model_router)
    app.include_router(forms_router)  # department forms (A3)
    app.include_router(case_work_router)
    app.include_router(deliveries_router)
    app.include_router(customer_mail_router)
    app.include_router(portal_branding_router)
    app.include_router(twilio_router)
    app.include_router(agent_notifications_router)
    app.include_router(case_presence_router)  # who else has a case open (0247)
    app.include_router(push_router)  # Web Push for agents
    app.include_router(inbound_mail_router)  # inbound-mail audit, mailboxes
    app.include_router(sla_router)  # SLA (B13)
    app.include_router(keys_router)  # API keys: admins' and agents' own (0134, 0198)
    app.include_router(audit_router)  # the admin audit log (0198)
    app.include_router(accounts_router)  # invitations, deactivation, sessions of agents
    app.include_router(ui_case_model.router)  # before ui.router, whose /cases/{id} is broader
    app.include_router(case_list_routes.router)  # /cases/export, /cases/bulk: before ui.router too
    app.include_router(account_routes.router)  # sign-in, sign-out, password reset, mailed links
    app.include_router(outbound_routes.router)  # New email: before ui.router's /cases/{case_id}
    app.include_router(ui.router)
    app.include_router(case_work_ui.router)
    app.include_router(mail_image_routes.router)
    app.include_router(inbox_routes.router)
    app.include_router(profile.router)
    app.include_router(directory_pages.router)  # contacts and organisations
    app.include_router(admin_routes.router)  # the admin console under /admin
    # htmx comes from the npm install (never copied into the repo); the UI works without it too
    app.mount(
        "/static/vendor",
        StaticFiles(directory=repo_root() / "node_modules" / "htmx.org" / "dist", check_dir=False),
        name="vendor",
    )
    # the UI toolkit (decision 0201): Tabler (Bootstrap 5), Tom Select for pickers, flatpickr for dates
    modules = repo_root() / "node_modules"
    for prefix, folder in UI_LIBRARIES.items():
        app.mount(f"/static/lib/{prefix}", StaticFiles(directory=modules / folder, check_dir=False), name=prefix)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    return app


def is_page(path: str) -> bool:
    """A path of the agent UI (HTML answers), not of the API, the webhooks or the ops endpoints."""
    return not path.startswith(("/api/", "/webhooks/", "/static/", "/healthz", "/metrics"))


async def _access(request: Request) -> None:
    """What a light agent may not call (403), then the cases the caller may not see (404): one dependency,
    as FastAPI's cost is per dependency (decision 0165). A refused write never reveals whether its case exists."""
    await role_gate.check(request)
    await case_scope.check(request)


def _session_store(scope: Scope) -> SessionStore | None:
    ctx = getattr(scope["app"].state, "ctx", None)
    return ctx.sessions if isinstance(ctx, AppContext) else None


def _install_ui_handlers(app: FastAPI) -> None:
    """Pages answer humans: a redirect to sign in, an HTML page for a forged form."""

    @app.exception_handler(LoginRequired)
    async def _login(_request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)

    @app.exception_handler(AdminRequired)
    async def _admin_only(request: Request, _exc: AdminRequired) -> Response:
        message = "This page is for admins. Ask an admin if you need a change here."
        return ui.error_page(request, 403, "Admins only", message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if not is_page(request.url.path):
            return validation_response(exc)
        # a page address with a malformed or impossible id names nothing: the same page as a missing object
        if any(e.get("loc", ("",))[0] == "path" for e in exc.errors()):
            return ui.error_page(request, 404, "Not found", "There is nothing at this address.")
        return ui.error_page(request, 422, "Invalid request", "The request was not valid. Go back and try again.")

    @app.exception_handler(RoleForbiddenPage)
    async def _forbidden(request: Request, exc: RoleForbiddenPage) -> Response:
        return ui.error_page(request, 403, "Not allowed for your role", exc.message)

    @app.exception_handler(ui.CsrfFailed)
    async def _csrf(request: Request, _exc: ui.CsrfFailed) -> Response:
        message = "The form was stale or forged. Reload the page and try again."
        return ui.error_page(request, 403, "Form expired", message)


def main() -> None:
    """`python -m gateway web`: one uvicorn worker on GATEWAY_HOST:GATEWAY_PORT."""
    import uvicorn

    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level, settings.log_format)
    log.info("gateway_starting", host=settings.listen_host, port=settings.port)
    app = create_app(settings)
    # no access log: chassis.logging keeps `uvicorn.access` at WARNING, where its INFO lines were dropped after
    # uvicorn had built each one's arguments (decision 0165)
    uvicorn.run(
        app,
        host=settings.listen_host,
        port=settings.port,
        workers=1,
        log_config=None,
        proxy_headers=True,
        access_log=False,
    )
