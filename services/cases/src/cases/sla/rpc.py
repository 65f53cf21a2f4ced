"""The nameko entrypoints of the SLA: policies, calendars, a case's SLA, and the SLA timers."""

from __future__ import annotations

from nameko.timer import timer

from cases.case import reads as case_reads
from cases.common.rpc import RpcBase
from cases.settings import CasesSettings
from cases.sla import writes as sla_service
from cases.sla import writes_admin as sla_admin
from cases.sla import writes_events as sla_events
from cases.sla import writes_jobs as sla_jobs
from cases.sla.reads_at_risk import at_risk_count
from chassis.typed_rpc import typed_rpc
from contracts.bounds import LaxId
from contracts.search import Count, Viewer
from contracts.sla import BusinessCalendarRead, BusinessCalendarWrite, CaseSla, SlaPolicyRead, SlaPolicyWrite

# how often SLA warnings and breaches are looked for (B13), and SLA recompute jobs worked off (decision 0144)
_SLA_INTERVAL = CasesSettings().sla_check_seconds
_SLA_JOB_INTERVAL = CasesSettings().sla_job_seconds


class SlaRpc(RpcBase):
    @typed_rpc
    def list_sla_policies(self) -> list[SlaPolicyRead]:
        with self._session() as session:
            return sla_admin.list_policies(session=session)

    @typed_rpc
    def save_sla_policy(self, *, data: SlaPolicyWrite, policy_id: LaxId | None = None) -> SlaPolicyRead:
        return sla_admin.save_policy(runtime=self.runtime, data=data, policy_id=policy_id)

    @typed_rpc
    def delete_sla_policy(self, *, policy_id: LaxId) -> None:
        sla_admin.delete_policy(runtime=self.runtime, policy_id=policy_id)

    @typed_rpc
    def list_business_calendars(self) -> list[BusinessCalendarRead]:
        with self._session() as session:
            return sla_admin.list_calendars(session=session)

    @typed_rpc
    def save_business_calendar(
        self, *, data: BusinessCalendarWrite, calendar_id: LaxId | None = None
    ) -> BusinessCalendarRead:
        return sla_admin.save_calendar(runtime=self.runtime, data=data, calendar_id=calendar_id)

    @typed_rpc
    def delete_business_calendar(self, *, calendar_id: LaxId) -> None:
        sla_admin.delete_calendar(runtime=self.runtime, calendar_id=calendar_id)

    @typed_rpc
    def get_case_sla(self, *, case_id: LaxId, viewer: Viewer | None = None) -> CaseSla:
        with self._session() as session:
            if viewer is not None:  # the case must be one the viewer may see (restricted groups)
                case_reads.get_case(session=session, case_id=case_id, viewer=viewer)
            return sla_service.explain(session, case_id)

    @timer(interval=_SLA_JOB_INTERVAL)
    def run_sla_jobs(self) -> None:
        """Work off SLA recompute jobs too big for the request that made them (decision 0144)."""

        sla_jobs.run_jobs(runtime=self.runtime)

    @typed_rpc
    def sla_at_risk_count(self, *, viewer: Viewer) -> Count:
        """The capped count of the agent UI's "SLA at risk" folder (decision 0145)."""

        with self._session() as session:
            return at_risk_count(session=session, viewer=viewer)

    @timer(interval=_SLA_INTERVAL)
    def send_sla_events(self) -> None:
        """Emit due sla_warning/sla_breached events (every worker runs this; each fires once)."""

        sla_events.send_due_events(runtime=self.runtime)
