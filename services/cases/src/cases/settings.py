"""Settings of the cases service (env prefix CASES_, shared ones HELPDESK_)."""

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class CasesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CASES_", extra="ignore")

    service_name: str = "cases"
    ops_port: int = 9101
    # attachments (B6); empty blob_dir means <HELPDESK_VAR_DIR>/case-blobs
    blob_dir: str = ""
    max_attachment_bytes: int = 5 * 1024 * 1024
    # how often the recurrence timer looks for due slots (A6)
    recurrence_interval_seconds: float = 30.0
    # how often the dormancy timer wakes cases whose dormant period ended (B2)
    dormant_check_seconds: float = 30.0
    # how often the SLA timer sends due warnings and breaches (B13)
    sla_check_seconds: float = 30.0
    # decision 0144: a policy/calendar/group change touching more open cases than this becomes
    # a background job, worked off every `sla_job_seconds` in transactions of `sla_job_batch` cases
    sla_inline_recompute_max: int = 500
    sla_job_batch: int = 500
    sla_job_seconds: float = 5.0
    # decision 0126: nameko's greenthreads, and so its prefetch: the most mails a group can hold
    max_workers: int = 60
    # mails applied in one transaction at most, and how long a new group waits for more to arrive
    mail_group_size: int = 50
    mail_group_linger_seconds: float = 0.002
    # per-process caches emptied by this process's own writes (decisions 0112, 0154, 0155); 0 switches one off.
    # The HELPDESK_ names are the ones these had before 0155, still accepted.
    config_cache_seconds: float = Field(
        default=1.0, validation_alias=AliasChoices("CASES_CONFIG_CACHE_SECONDS", "HELPDESK_CONFIG_CACHE_SECONDS")
    )
    scope_cache_seconds: float = Field(
        default=1.0, validation_alias=AliasChoices("CASES_SCOPE_CACHE_SECONDS", "HELPDESK_SCOPE_CACHE_SECONDS")
    )
