"""Settings of the notifications service (env prefix NOTIFICATIONS_, shared ones HELPDESK_)."""

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    service_name: str = "notifications"
    ops_port: int = 9104

    # the mailbox our mail comes from; customers answer to it, so it is also a loop address
    from_address: str = "support@example.com"
    from_name: str = "Support"
    # where agents open a case (links in their alert mails)
    agent_ui_url: str = "http://127.0.0.1:8080"
    # further addresses of ours (other mailboxes) we must never send automatic mail to
    own_addresses: list[str] = []

    # host:port of the SMTP relay; empty means "write .eml files to var/outbox/"
    smtp_relay: str = Field(default="", validation_alias=AliasChoices("HELPDESK_SMTP_RELAY"))
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_timeout: float = 10.0

    max_attempts: int = 6
    retry_base_delay: float = 30.0
    retry_max_delay: float = 3600.0
    send_batch_size: int = 50
    # concurrent nameko workers: event handlers and the sender's timer share these slots
    max_workers: int = 10

    # loop safety (E4): automatic mail per recipient and per case within one window, counted in Redis
    rate_limit_per_recipient: int = 10
    rate_limit_per_case: int = 20
    rate_limit_window_seconds: int = 600
    redis_prefix: str = "helpdesk:notifications"

    # SMS through Twilio (A5, E1); base_url empty means api.twilio.com, tests point it at a local fake
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from_number: str = ""
    twilio_base_url: str = ""
    twilio_timeout: float = 10.0

    @property
    def outbox_dir(self) -> Path:
        """Where mail goes when no relay is configured."""
        return self.var_dir / "outbox"
