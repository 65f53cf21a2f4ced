"""Cases RPCs for the customer portal besides the cases themselves: the contact, registration, branding."""

# The stubs have no body: a call goes through the `rpc` descriptor to the service.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from contracts.cases import ContactRead
from contracts.portal import BrandingLogo, BrandingRead, BrandingWrite, PortalContact
from contracts.rpc import rpc


class PortalRpc:
    """What the portal may ask about its contacts and its looks (the portal's client has these)."""

    @rpc
    def get_portal_contact(self, *, contact_id: int) -> PortalContact:
        """NotFound for an unknown contact; says whether their organisation shows them its cases (D10)."""

    @rpc
    def register_contact(self, *, email: str, name: str = "") -> ContactRead:
        """The contact for an address at a known organisation's domain (created when new); else
        `registration_refused`, whether or not the address is known."""

    @rpc
    def get_portal_branding(self, *, organisation_id: int | None = None, effective: bool = False) -> BrandingRead:
        """The stored branding (None: the default), or with `effective` the default filling its gaps."""


class BrandingAdminRpc:
    """The admin console's side of branding (not in the portal's client)."""

    @rpc
    def save_portal_branding(
        self,
        *,
        organisation_id: int | None = None,
        data: BrandingWrite,
        logo: BrandingLogo | None = None,
        remove_logo: bool = False,
    ) -> BrandingRead: ...
