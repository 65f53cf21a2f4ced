"""Routes of /api/v1 about the customer portal's looks (D1; admins only): the default branding and each
organisation's, texts and colours as JSON, the logo as the request body (PNG, JPEG or WebP, at most 256 KB)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from contracts import errors
from contracts.bounds import LaxId
from contracts.portal import LOGO_MAX_BYTES, LOGO_TYPES, BrandingWrite
from gateway import portal_branding as branding
from gateway.api.changes import AdminChange, ApiChange, versioned
from gateway.api.deliveries import Admin, Ctx
from gateway.api.deps import principal
from gateway.api.responses import FORBIDDEN

_ERROR = {"description": "Error", "content": {"application/json": {"example": {"error": {"code": "forbidden"}}}}}
_COMMON: dict[int | str, dict[str, Any]] = {401: _ERROR, 403: FORBIDDEN, 409: _ERROR, 422: _ERROR, 503: _ERROR}
_LOGO_ERRORS: dict[int | str, dict[str, Any]] = {413: _ERROR, 415: _ERROR}
_LOGO_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": f"The image itself, at most {LOGO_MAX_BYTES // 1024} KB; `Content-Type` says which kind.",
        "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in LOGO_TYPES},
    }
}

router = APIRouter(prefix="/api/v1", tags=["portal branding"], responses=_COMMON, dependencies=[Depends(principal)])

OrganisationId = Annotated[LaxId, Path(description="A customer organisation's id")]
DEFAULT = "/settings/portal-branding"
ORG = "/organisations/{organisation_id}/portal-branding"


def _guard(change: ApiChange) -> dict[str, Any]:
    """The caller's If-Match and X-Request-ID, as every admin write of the API takes them."""
    return {"expected_version": change.expected_version, "request_id": change.request_id}


async def _logo_upload(request: Request) -> tuple[str, bytes]:
    """The body, refused as soon as it is larger than a logo may be (413), or empty or not an image (415)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in LOGO_TYPES:
        raise errors.DomainError(
            errors.UNSUPPORTED_MEDIA_TYPE, "The logo must be a PNG, JPEG or WebP image.", {"content_type": kind}
        )
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > LOGO_MAX_BYTES:
            raise errors.DomainError(
                errors.PAYLOAD_TOO_LARGE, f"The logo is too large: at most {LOGO_MAX_BYTES // 1024} KB.", None
            )
    return kind, bytes(body)


# -- the default ------------------------------------------------------------------------------------------


@router.get(DEFAULT, response_model=branding.PortalBranding)
async def get_default_branding(ctx: Ctx, _who: Admin) -> Response:
    """The portal's default branding: title, welcome text, footer, accent and header colours, logo (its type and
    size). Its `ETag` is the version to send as `If-Match` when changing it."""
    return versioned(branding.summary(await branding.load(ctx, None)))


@router.put(DEFAULT, response_model=branding.PortalBranding, responses={409: _ERROR})
async def put_default_branding(data: BrandingWrite, change: AdminChange) -> Response:
    """Replace the default's texts and colours (the logo stays). 422 `validation_error` for a colour that is not
    `#rrggbb`, or an accent colour white text cannot be read on."""
    saved = await branding.change(change.ctx, change.actor, None, data=data, **_guard(change))
    return versioned(saved)


@router.put(DEFAULT + "/logo", response_model=branding.PortalBranding, responses=_LOGO_ERRORS, openapi_extra=_LOGO_BODY)
async def put_default_logo(request: Request, change: AdminChange) -> Response:
    """Replace the default logo. 413 `payload_too_large` above 256 KB; 415 `unsupported_media_type` for another
    type, or a file that is not the image its `Content-Type` says."""
    kind, data = await _logo_upload(request)
    saved = await branding.change(change.ctx, change.actor, None, logo=branding.logo_of(kind, data), **_guard(change))
    return versioned(saved)


@router.delete(DEFAULT + "/logo", response_model=branding.PortalBranding)
async def delete_default_logo(change: AdminChange) -> Response:
    """Remove the default logo: the portal shows its title only."""
    return versioned(await branding.change(change.ctx, change.actor, None, remove_logo=True, **_guard(change)))


# -- one organisation ---------------------------------------------------------------------------------------


@router.get(ORG, response_model=branding.PortalBranding, responses={404: _ERROR})
async def get_organisation_branding(organisation_id: OrganisationId, ctx: Ctx, _who: Admin) -> Response:
    """What the organisation's contacts see instead of the default (empty fields: the default's)."""
    return versioned(branding.summary(await branding.load(ctx, organisation_id)))


@router.put(ORG, response_model=branding.PortalBranding, responses={404: _ERROR, 409: _ERROR})
async def put_organisation_branding(
    organisation_id: OrganisationId, data: BrandingWrite, change: AdminChange
) -> Response:
    """Replace the organisation's texts and colours; an empty one falls back to the default's."""
    saved = await branding.change(change.ctx, change.actor, organisation_id, data=data, **_guard(change))
    return versioned(saved)


@router.put(
    ORG + "/logo",
    response_model=branding.PortalBranding,
    responses={404: _ERROR, **_LOGO_ERRORS},
    openapi_extra=_LOGO_BODY,
)
async def put_organisation_logo(organisation_id: OrganisationId, request: Request, change: AdminChange) -> Response:
    """Replace the organisation's logo (413, 415 as for the default)."""
    kind, data = await _logo_upload(request)
    logo = branding.logo_of(kind, data)
    saved = await branding.change(change.ctx, change.actor, organisation_id, logo=logo, **_guard(change))
    return versioned(saved)


@router.delete(ORG + "/logo", response_model=branding.PortalBranding, responses={404: _ERROR})
async def delete_organisation_logo(organisation_id: OrganisationId, change: AdminChange) -> Response:
    """Remove the organisation's logo: its contacts see the default's."""
    saved = await branding.change(change.ctx, change.actor, organisation_id, remove_logo=True, **_guard(change))
    return versioned(saved)
