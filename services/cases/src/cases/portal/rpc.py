"""The nameko entrypoints of the portal capability: the contact, registration, branding."""

from __future__ import annotations

from cases.common.rpc import RpcBase
from cases.portal import reads as portal_reads
from cases.portal import writes as portal_writes
from chassis.typed_rpc import typed_rpc
from contracts.bounds import LaxId
from contracts.cases import ContactRead
from contracts.portal import BrandingLogo, BrandingRead, BrandingWrite, PortalContact


class PortalRpc(RpcBase):
    @typed_rpc
    def get_portal_contact(self, *, contact_id: LaxId) -> PortalContact:
        with self._session() as session:
            return portal_reads.get_portal_contact(session=session, contact_id=contact_id)

    @typed_rpc
    def register_contact(self, *, email: str, name: str = "") -> ContactRead:
        return portal_writes.register_contact(runtime=self.runtime, email=email, name=name[:200])

    @typed_rpc
    def get_portal_branding(self, *, organisation_id: LaxId | None = None, effective: bool = False) -> BrandingRead:
        with self._session() as session:
            return portal_reads.get_portal_branding(
                session=session, organisation_id=organisation_id, effective=effective
            )

    @typed_rpc
    def save_portal_branding(
        self,
        *,
        organisation_id: LaxId | None = None,
        data: BrandingWrite,
        logo: BrandingLogo | None = None,
        remove_logo: bool = False,
    ) -> BrandingRead:
        return portal_writes.save_portal_branding(
            runtime=self.runtime, organisation_id=organisation_id, data=data, logo=logo, remove_logo=remove_logo
        )
