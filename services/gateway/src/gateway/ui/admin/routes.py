"""The admin console's router: the index page, and every area's pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway.ui.admin import (
    api_keys,
    audit,
    case_config,
    case_fields,
    case_work,
    common,
    customer_mail,
    customers,
    forms,
    mail_health,
    mailboxes,
    people,
    portal_branding,
    signatures,
    sla,
)
from gateway.ui.admin.common import Admin

router = APIRouter(include_in_schema=False)


@router.get("/admin")
async def index(request: Request, _admin: Admin) -> Response:
    return common.render(request, "admin/index.html", {})


# the index shows the groups in the order their first area is installed
people.install(router)
mailboxes.install(router)
signatures.install(router)
customer_mail.install(router)
portal_branding.install(router)
case_config.install(router)
case_fields.install(router)
sla.install(router)
case_work.install(router)
customers.install(router)
forms.install(router)
api_keys.install(router)
mail_health.install(router)
audit.install(router)
