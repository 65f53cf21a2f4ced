"""Cases RPCs of SLAs (policies, business calendars, a case's clocks) and of imported cases' facts."""

# The stubs have no body: a call goes through the `rpc` descriptor to the service.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from contracts.bulk import CaseFactsPage
from contracts.rpc import rpc
from contracts.search import Count, Viewer
from contracts.sla import BusinessCalendarRead, BusinessCalendarWrite, CaseSla, SlaPolicyRead, SlaPolicyWrite


class SlaRpc:
    @rpc
    def list_sla_policies(self) -> list[SlaPolicyRead]: ...

    @rpc
    def save_sla_policy(self, *, data: SlaPolicyWrite, policy_id: int | None = None) -> SlaPolicyRead: ...

    @rpc
    def delete_sla_policy(self, *, policy_id: int) -> None: ...

    @rpc
    def list_business_calendars(self) -> list[BusinessCalendarRead]: ...

    @rpc
    def save_business_calendar(
        self, *, data: BusinessCalendarWrite, calendar_id: int | None = None
    ) -> BusinessCalendarRead: ...

    @rpc
    def delete_business_calendar(self, *, calendar_id: int) -> None: ...

    @rpc
    def get_case_sla(self, *, case_id: int, viewer: Viewer | None = None) -> CaseSla: ...

    @rpc
    def sla_at_risk_count(self, *, viewer: Viewer) -> Count:
        """The capped count of the agent UI's "SLA at risk" folder (decision 0145)."""


class FactsRpc:
    @rpc
    def case_facts(self, *, case_ids: list[int]) -> CaseFactsPage:
        """The reporting facts of existing cases among `case_ids` (at most `contracts.bulk.CASE_FACTS_MAX`)."""
