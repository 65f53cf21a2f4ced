"""Reads for the portal: a contact as the portal sees them, and the branding a page shows (D1, D10)."""

from __future__ import annotations

import base64

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.directory.tables import Contact, Organisation
from cases.portal import rules
from cases.portal.tables import PortalBranding
from contracts.errors import NotFound
from contracts.portal import BrandingLogo, BrandingRead, PortalContact


def get_portal_contact(*, session: Session, contact_id: int) -> PortalContact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(message="no such contact", details={"contact_id": contact_id})
    organisation = session.get(Organisation, contact.organisation_id) if contact.organisation_id else None
    return PortalContact(
        id=contact.id,
        name=contact.name,
        email=contact.primary_email,
        organisation_id=organisation.id if organisation else None,
        organisation_name=organisation.name if organisation else None,
        sees_organisation_cases=bool(organisation and organisation.members_see_cases),
    )


def branding_read(row: PortalBranding | None, organisation_id: int | None) -> BrandingRead:
    if row is None:
        return BrandingRead(organisation_id=organisation_id)
    logo = None
    if row.logo and row.logo_content_type:
        logo = BrandingLogo(content_type=row.logo_content_type, data_base64=base64.b64encode(row.logo).decode())
    return BrandingRead(
        organisation_id=row.organisation_id,
        title=row.title,
        welcome=row.welcome,
        footer=row.footer,
        accent_colour=row.accent_colour,
        header_colour=row.header_colour,
        logo=logo,
        updated_at=row.updated_at,
    )


def _row(session: Session, organisation_id: int | None) -> PortalBranding | None:
    return session.scalar(select(PortalBranding).where(PortalBranding.scope == rules.scope_of(organisation_id)))


def get_portal_branding(*, session: Session, organisation_id: int | None, effective: bool) -> BrandingRead:
    """The stored record (admin console), or with `effective` what a page shows: each empty field of the
    organisation's record taken from the default's."""
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise NotFound(message="no such organisation", details={"organisation_id": organisation_id})
    own = branding_read(_row(session, organisation_id), organisation_id)
    if not effective or organisation_id is None:
        return own
    default = branding_read(_row(session, None), None)
    merged = {
        name: getattr(own, name) or getattr(default, name)
        for name in ("title", "welcome", "footer", "accent_colour", "header_colour", "logo")
    }
    updated = max((t for t in (own.updated_at, default.updated_at) if t is not None), default=None)
    return BrandingRead(organisation_id=organisation_id, updated_at=updated, **merged)
