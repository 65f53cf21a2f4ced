"""Settings of the reports service (env prefix REPORTS_, shared ones HELPDESK_)."""

from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class ReportsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTS_", extra="ignore")

    service_name: str = "reports"
    ops_port: int = 9105
    # decision 0143: a cases RPC (facts of imported cases) gives up after this and the event is retried later
    cases_rpc_timeout: float = 5.0
