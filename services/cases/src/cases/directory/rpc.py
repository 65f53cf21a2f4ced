"""The nameko entrypoints of the directory: agents, groups, contacts and organisations."""

from __future__ import annotations

from typing import Any

from cases.common.rpc import PageLimit, RpcBase
from cases.directory import reads as directory_reads
from cases.directory import reads_detail as directory_detail
from cases.directory import writes as directory_writes
from cases.directory import writes_delete as directory_delete
from chassis.typed_rpc import typed_rpc
from contracts.bounds import LaxId
from contracts.cases import Actor, AgentRead, ContactRead, GroupRef
from contracts.directory import (
    AgentWrite,
    ContactDetail,
    ContactWrite,
    GroupRead,
    GroupWrite,
    OrganisationRead,
    OrganisationWrite,
)


class DirectoryRpc(RpcBase):
    @typed_rpc
    def list_groups(self) -> list[GroupRef]:
        with self._session() as session:
            return directory_reads.list_groups(session=session)

    @typed_rpc
    def list_agents(self) -> list[AgentRead]:
        with self._session() as session:
            return directory_reads.list_agents(session=session)

    @typed_rpc
    def get_agent(self, *, agent_id: LaxId) -> AgentRead:
        with self._session() as session:
            return directory_reads.get_agent(session=session, agent_id=agent_id)

    @typed_rpc
    def get_agent_by_email(self, *, email: str) -> AgentRead:
        with self._session() as session:
            return directory_reads.get_agent_by_email(session=session, email=email)

    @typed_rpc
    def get_contact_by_email(self, *, email: str) -> ContactRead:
        with self._session() as session:
            return directory_reads.get_contact_by_email(session=session, email=email)

    @typed_rpc
    def list_organisations(self) -> list[OrganisationRead]:
        with self._session() as session:
            return directory_detail.list_organisations(session=session)

    @typed_rpc
    def save_organisation(self, *, data: OrganisationWrite, organisation_id: LaxId | None = None) -> OrganisationRead:
        return directory_writes.save_organisation(runtime=self.runtime, data=data, organisation_id=organisation_id)

    @typed_rpc
    def list_contacts(
        self,
        *,
        q: str | None = None,
        approved: bool | None = None,
        organisation_id: LaxId | None = None,
        cursor: str | None = None,
        limit: PageLimit = 25,
    ) -> dict[str, Any]:
        with self._session() as session:
            return directory_detail.list_contacts(
                session=session, q=q, approved=approved, organisation_id=organisation_id, cursor=cursor, limit=limit
            )

    @typed_rpc
    def get_contact(self, *, contact_id: LaxId) -> ContactDetail:
        with self._session() as session:
            return directory_detail.get_contact(session=session, contact_id=contact_id)

    @typed_rpc
    def save_contact(self, *, data: ContactWrite, actor: Actor, contact_id: LaxId | None = None) -> ContactDetail:
        return directory_writes.save_contact(runtime=self.runtime, data=data, actor=actor, contact_id=contact_id)

    @typed_rpc
    def list_groups_detail(self) -> list[GroupRead]:
        with self._session() as session:
            return directory_detail.list_groups_detail(session=session)

    @typed_rpc
    def save_group(self, *, data: GroupWrite, group_id: LaxId | None = None) -> GroupRead:
        return directory_writes.save_group(runtime=self.runtime, data=data, group_id=group_id)

    @typed_rpc
    def save_agent(self, *, data: AgentWrite, agent_id: LaxId | None = None) -> AgentRead:
        return directory_writes.save_agent(runtime=self.runtime, data=data, agent_id=agent_id)

    @typed_rpc
    def delete_group(self, *, group_id: LaxId) -> None:
        directory_delete.delete_group(runtime=self.runtime, group_id=group_id)
