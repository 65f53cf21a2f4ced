"""Settings of the cases service (env prefix CASES_, shared ones HELPDESK_)."""

from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class CasesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CASES_", extra="ignore")

    service_name: str = "cases"
    ops_port: int = 9101
