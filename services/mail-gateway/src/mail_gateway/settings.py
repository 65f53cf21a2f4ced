"""Settings of the mail-gateway service (env prefix MAIL_GATEWAY_, shared ones HELPDESK_)."""

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class MailGatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MAIL_GATEWAY_", extra="ignore")

    service_name: str = "mail_gateway"
    ops_port: int = 9102  # the worker's /healthz and /metrics
    smtp_host: str = ""  # empty means HELPDESK_BIND_HOST (127.0.0.1 unless a container sets 0.0.0.0)
    smtp_port: int = 2525
    smtp_ops_port: int = 9103  # the SMTP process's /healthz and /metrics
    smtp_hostname: str = ""  # name in the SMTP banner; empty means HELPDESK_MAIL_DOMAIN
    max_message_bytes: int = 25 * 1024 * 1024
    # SMTP accepts (and records, without a case) mail up to this size; 0 means 2 x max_message_bytes (0086)
    smtp_hard_cap_bytes: int = 0
    blob_dir: Path | None = None  # empty means var/blobs/
    batch_size: int = 20  # inbound mails one timer tick processes at most
    max_body_chars: int = 1_000_000  # text/HTML bodies beyond this are cut (the raw mail keeps all)
    max_attachment_bytes: int = 5 * 1024 * 1024  # larger attachments are left out; the sender is told
    imap_batch_size: int = 50  # mails one poll of one IMAP mailbox fetches at most
    imap_timeout: float = 30.0  # seconds for any one IMAP network operation

    @property
    def blob_path(self) -> Path:
        """Where raw mail and attachments are stored (content-addressed)."""
        return self.blob_dir or self.var_dir / "blobs"

    @property
    def smtp_size_cap(self) -> int:
        """The largest DATA the SMTP listener takes in; above it, 552."""
        return self.smtp_hard_cap_bytes or 2 * self.max_message_bytes

    @property
    def smtp_listen_host(self) -> str:
        return self.smtp_host or self.bind_host

    @property
    def banner_hostname(self) -> str:
        return self.smtp_hostname or self.mail_domain
