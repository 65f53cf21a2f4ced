"""Changing a contact or an organisation from a page: the agents' directory pages and the admin console's make
the same change, with the API's version check and audit entry (`gateway.admin_changes`)."""

from __future__ import annotations

from typing import Any

from contracts import cases as c
from contracts import directory
from gateway import admin_changes, admin_objects
from gateway.context import AppContext
from gateway.ui import session as s

CONTACT_FIELDS = ("name", "emails", "phone", "organisation_id", "preferred_channel", "approved")
CHANNEL_LABELS = [(ch.value, "Email" if ch == c.ContactChannel.EMAIL else ch.value.upper()) for ch in c.ContactChannel]


async def change_organisation(
    ctx: AppContext, who: dict[str, Any], data: directory.OrganisationWrite, organisation_id: int | None, version: str
) -> directory.OrganisationRead:
    """Create (no id) or change one; a stale `version` raises `admin_changes.VersionConflict`."""
    return await admin_changes.guarded_change(
        ctx,
        actor=admin_changes.ChangeActor.web(who),
        object_type="organisation",
        object_id=organisation_id,
        action="update" if organisation_id else "create",
        expected_version=version or None,
        load_before=(lambda: admin_objects.organisation(ctx, organisation_id)) if organisation_id else None,
        apply=lambda: ctx.cases.save_organisation(data=data, organisation_id=organisation_id),
    )


async def change_contact(
    ctx: AppContext,
    who: dict[str, Any],
    data: directory.ContactWrite,
    contact_id: int,
    version: str | None,
    action: str = "update",
) -> directory.ContactDetail:
    """Edit, or approve (which releases the held cases); a stale `version` raises `admin_changes.VersionConflict`."""
    return await admin_changes.guarded_change(
        ctx,
        actor=admin_changes.ChangeActor.web(who),
        object_type="contact",
        object_id=contact_id,
        action=action,
        expected_version=version,
        load_before=lambda: admin_objects.contact(ctx, contact_id),
        apply=lambda: ctx.cases.save_contact(data=data, actor=s.actor(who), contact_id=contact_id),
    )
