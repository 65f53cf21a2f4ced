"""The admin console's router: the index page, and every area's pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway.ui.admin import case_config, common, customer_mail, customers, mail_health, signatures
from gateway.ui.admin.common import Admin

router = APIRouter(include_in_schema=False)


@router.get("/admin")
async def index(request: Request, _admin: Admin) -> Response:
    return common.render(request, "admin/index.html", {})


case_config.install(router)
signatures.install(router)
customers.install(router)
customer_mail.install(router)
mail_health.install(router)
