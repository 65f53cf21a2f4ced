"""Commands for the portal: a customer registers by their organisation's mail domain; admins brand the portal."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from sqlalchemy import select

from cases.common import repo
from cases.common.rows import get_row
from cases.directory import rules as directory_rules
from cases.directory.tables import Organisation
from cases.portal import rules
from cases.portal.reads import branding_read
from cases.portal.tables import PortalBranding
from chassis.db import utcnow
from contracts.cases import ContactRead
from contracts.errors import REGISTRATION_REFUSED, DomainError, ValidationFailed
from contracts.portal import BrandingLogo, BrandingRead, BrandingWrite

if TYPE_CHECKING:
    from cases.common.runtime import Runtime


def register_contact(*, runtime: Runtime, email: str, name: str) -> ContactRead:
    """The contact for `email` when its domain is a known organisation's (never a free-mail one): the existing
    contact of that address, or a new one in that organisation. Anything else is refused, whether or not a
    contact has the address, so the answer never tells who is known (decision 0252)."""
    domain = directory_rules.domain_of(email)
    with runtime.transaction() as session:
        organisation = None
        if domain and not directory_rules.is_free_mail(domain):
            for candidate in session.scalars(select(Organisation).order_by(Organisation.id)):
                if domain in {directory_rules.normalise_domain(d) for d in candidate.domains or []}:
                    organisation = candidate
                    break
        if organisation is None:
            raise DomainError(
                REGISTRATION_REFUSED,
                "Registration is open only to addresses of organisations we work with.",
                {"email": email},
            )
        contact = repo.get_or_create_contact(session, email=email, name=name)
        if contact.organisation_id is None:
            contact.organisation_id = organisation.id
        session.flush()
        return repo.contact_read(contact)


def save_portal_branding(
    *,
    runtime: Runtime,
    organisation_id: int | None,
    data: BrandingWrite,
    logo: BrandingLogo | None = None,
    remove_logo: bool = False,
) -> BrandingRead:
    """Set the default's or one organisation's texts and colours, and its logo when one is given."""
    content = _logo_bytes(logo) if logo is not None else None
    with runtime.transaction() as session:
        if organisation_id is not None:
            get_row(session, Organisation, organisation_id, "organisation")
        scope = rules.scope_of(organisation_id)
        row = session.scalar(select(PortalBranding).where(PortalBranding.scope == scope))
        if row is None:
            row = PortalBranding(scope=scope, organisation_id=organisation_id)
            session.add(row)
        row.title = data.title.strip()
        row.welcome = data.welcome.strip()
        row.footer = data.footer.strip()
        row.accent_colour = data.accent_colour
        row.header_colour = data.header_colour
        if content is not None and logo is not None:
            row.logo, row.logo_content_type = content, logo.content_type.split(";")[0].strip().lower()
        elif remove_logo:
            row.logo, row.logo_content_type = None, None
        row.updated_at = utcnow()
        session.flush()
        return branding_read(row, organisation_id)


def _logo_bytes(logo: BrandingLogo) -> bytes:
    try:
        data = base64.b64decode(logo.data_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(message="the logo is not valid base64", details={"logo": "data_base64"}) from None
    problem = rules.logo_problem(logo.content_type, data)
    if problem is not None:
        code, message = problem
        raise DomainError(code, message, {"logo": logo.content_type})
    return data
