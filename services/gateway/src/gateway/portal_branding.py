"""The customer portal's branding (D1) as the admin console and the API change it: texts and colours, and the
logo (PNG, JPEG or WebP, at most 256 KB). cases stores it; every change is in the audit log, without the logo's
bytes (their size and type say what changed)."""

from __future__ import annotations

import base64
from typing import Any

from pydantic import BaseModel, Field

from contracts.portal import BrandingLogo, BrandingRead, BrandingWrite
from gateway import admin_changes, admin_objects
from gateway.context import AppContext


class LogoInfo(BaseModel):
    content_type: str
    size: int = Field(description="Bytes")


class PortalBranding(BaseModel):
    """One branding record: `organisation_id` null is the default every organisation's empty fields take."""

    organisation_id: int | None = None
    title: str = ""
    welcome: str = ""
    footer: str = ""
    accent_colour: str | None = None
    header_colour: str | None = None
    logo: LogoInfo | None = Field(default=None, description="The stored logo, or null for none")
    updated_at: Any = None


def summary(read: BrandingRead) -> PortalBranding:
    values = read.model_dump(exclude={"logo"})
    logo = None
    if read.logo is not None:
        logo = LogoInfo(content_type=read.logo.content_type, size=len(base64.b64decode(read.logo.data_base64)))
    return PortalBranding(**values, logo=logo)


async def load(ctx: AppContext, organisation_id: int | None) -> BrandingRead:
    """The stored record (404 for an unknown organisation)."""
    if organisation_id is not None:
        await admin_objects.organisation(ctx, organisation_id)
    return await ctx.cases.get_portal_branding(organisation_id=organisation_id)


def write_of(read: BrandingRead) -> BrandingWrite:
    return BrandingWrite.model_validate(read.model_dump(include=set(BrandingWrite.model_fields)))


async def change(
    ctx: AppContext,
    actor: admin_changes.ChangeActor,
    organisation_id: int | None,
    *,
    data: BrandingWrite | None = None,
    logo: BrandingLogo | None = None,
    remove_logo: bool = False,
    expected_version: str | None = None,
    request_id: str | None = None,
) -> PortalBranding:
    """Save texts and colours (`data`; None keeps them), a new logo or none; in the audit log."""

    async def before() -> PortalBranding:
        return summary(await load(ctx, organisation_id))

    async def apply() -> PortalBranding:
        texts = data if data is not None else write_of(await load(ctx, organisation_id))
        saved = await ctx.cases.save_portal_branding(
            organisation_id=organisation_id, data=texts, logo=logo, remove_logo=remove_logo
        )
        return summary(saved)

    return await admin_changes.guarded_change(
        ctx,
        actor=actor,
        object_type="portal_branding",
        object_id=organisation_id,
        action="update",
        expected_version=expected_version,
        load_before=before,
        apply=apply,
        request_id=request_id,
    )


def logo_of(content_type: str, data: bytes) -> BrandingLogo:
    """The upload as cases takes it; its size and type are checked there (and the first bytes)."""
    return BrandingLogo(content_type=content_type or "", data_base64=base64.b64encode(data).decode())
