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
    # sender mailboxes whose server cannot take plus-addresses: their mail gets a plain Reply-To (decision 0090)
    plain_reply_to_mailboxes: list[str] = []
    # where customers read a case in the portal (E3 "link only" mails link there)
    portal_url: str = Field(
        default="http://127.0.0.1:8081", validation_alias=AliasChoices("NOTIFICATIONS_PORTAL_URL", "PORTAL_PUBLIC_URL")
    )
    # how long the signed case link of a confirmation / "link only" mail opens its case (D5, decision 0100)
    case_link_ttl_seconds: int = 30 * 24 * 3600
    # the most bytes of an agent reply's files one customer mail carries (decision 0102); the rest are named
    max_reply_attachment_bytes: int = 10 * 1024 * 1024

    # host:port of the SMTP relay; empty means "write .eml files to var/outbox/"
    smtp_relay: str = Field(default="", validation_alias=AliasChoices("HELPDESK_SMTP_RELAY"))
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_timeout: float = 10.0
    # a CA bundle the certificates of our SMTP servers (the global relay and mailboxes' own) may also chain to
    smtp_ca_file: str = ""
    # seconds an OAuth2 mailbox's token request to mail-gateway may take (decision 0227)
    mail_gateway_rpc_timeout: float = 5.0

    # seconds a call to the cases service may take before the event is requeued (it may be down)
    cases_rpc_timeout: float = 5.0
    # seconds the agent directory from cases is reused for group members / task assignees (decision 0107); 0: off
    directory_cache_seconds: float = 10.0

    # Web Push (E2): the VAPID private key (base64url raw or PEM); empty: generated into var/ outside production
    vapid_private_key: str = ""
    vapid_subject: str = "mailto:support@example.com"
    push_timeout: float = 10.0
    push_ttl_seconds: int = 3600

    max_attempts: int = 6
    retry_base_delay: float = 30.0
    retry_max_delay: float = 3600.0
    send_batch_size: int = 50
    # the sender (decision 0098): this many senders at once, each claiming this many due rows per transaction
    send_concurrency: int = 2
    send_chunk_size: int = 20
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
