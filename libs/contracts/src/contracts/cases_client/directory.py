"""Cases RPCs of the directory: agents, groups, contacts and organisations."""

# The stubs have no body: a call goes through the `rpc` descriptor to the service.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from contracts.cases import Actor, AgentRead, GroupRef
from contracts.cases_client.replies import ContactPage
from contracts.directory import (
    AgentWrite,
    ContactDetail,
    ContactWrite,
    GroupRead,
    GroupWrite,
    OrganisationRead,
    OrganisationWrite,
)
from contracts.rpc import rpc


class DirectoryRpc:
    @rpc
    def list_groups(self) -> list[GroupRef]: ...

    @rpc
    def list_groups_detail(self) -> list[GroupRead]: ...

    @rpc
    def save_group(self, *, data: GroupWrite, group_id: int | None = None) -> GroupRead: ...

    @rpc
    def delete_group(self, *, group_id: int) -> None:
        """Only a group with no cases, tasks or templates left; its SLA policies go with it."""

    @rpc
    def list_agents(self) -> list[AgentRead]: ...

    @rpc
    def get_agent(self, *, agent_id: int) -> AgentRead:
        """An active agent (not_found for a deactivated one)."""

    @rpc
    def get_agent_by_email(self, *, email: str) -> AgentRead: ...

    @rpc
    def save_agent(self, *, data: AgentWrite, agent_id: int | None = None) -> AgentRead: ...

    @rpc
    def list_contacts(
        self,
        *,
        q: str | None = None,
        approved: bool | None = None,
        organisation_id: int | None = None,
        cursor: str | None = None,
        limit: int = 25,
    ) -> ContactPage: ...

    @rpc
    def get_contact(self, *, contact_id: int) -> ContactDetail: ...

    @rpc
    def save_contact(self, *, data: ContactWrite, actor: Actor, contact_id: int | None = None) -> ContactDetail: ...

    @rpc
    def list_organisations(self) -> list[OrganisationRead]: ...

    @rpc
    def save_organisation(self, *, data: OrganisationWrite, organisation_id: int | None = None) -> OrganisationRead: ...
