"""Settings of the mail-gateway service (env prefix MAIL_GATEWAY_, shared ones HELPDESK_)."""

import ssl
from pathlib import Path

from pydantic import Field, field_validator
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
    # mails arriving while a commit runs share the next transaction (0130); 1 = a transaction per mail
    smtp_group_commit_max: int = 64
    blob_dir: Path | None = None  # empty means var/blobs/
    batch_size: int = 500  # inbound mails one timer tick (every 0.2 s) processes at most (0131)
    rows_per_transaction: int = 50  # stored mails processed in one transaction (0088, 0131)
    # a reply to a mail we hold but have not threaded yet waits at most this long for it (decision 0223)
    parent_wait_seconds: float = 60.0
    max_body_chars: int = 1_000_000  # text/HTML bodies beyond this are cut (the raw mail keeps all)
    max_attachment_bytes: int = 5 * 1024 * 1024  # larger attachments are left out; the sender is told
    imap_batch_size: int = 50  # mails one poll of one IMAP mailbox fetches at most
    imap_timeout: float = 30.0  # seconds for any one IMAP network operation
    # IMAP IDLE (decision 0147): false turns it off for every mailbox (each has `use_idle` too)
    imap_idle: bool = True
    imap_idle_refresh_seconds: float = 25 * 60  # re-issue IDLE this often (capped at RFC 2177's 29 minutes)
    imap_idle_tick_seconds: float = 15.0  # renew the mailbox lease and notice changed settings this often
    # one process at a time fetches a mailbox: it holds a lease this long, renewing it (0147); a process that
    # dies holds its mailboxes this long at most
    imap_lease_seconds: float = 90.0
    # a PEM bundle of CA certificates IMAP servers may chain to, trusted besides the system's (decision 0157):
    # for a mail server with a certificate from a private CA; verification itself is never turned off
    imap_ca_file: Path | None = None
    # OAuth2 mailboxes (decisions 0224-0226): each preset's app registration, used when the mailbox's own
    # consent form names no client; a secret given in the console is stored encrypted instead
    oauth_microsoft_client_id: str = ""
    oauth_microsoft_client_secret: str = Field(default="", repr=False)
    oauth_microsoft_tenant: str = "organizations"  # or the directory's id, "common", "consumers"
    oauth_google_client_id: str = ""
    oauth_google_client_secret: str = Field(default="", repr=False)
    oauth_refresh_margin_seconds: float = 300.0  # refresh an access token this long before it expires
    oauth_timeout: float = 15.0  # seconds for a call to a provider's token endpoint
    oauth_consent_seconds: float = 900.0  # an admin has this long to answer the provider's consent screen

    @field_validator("imap_ca_file", mode="before")
    @classmethod
    def _loadable_ca_file(cls, value: object) -> Path | None:
        """Refuse to start with a CA file that is missing or holds no certificate (not at the first poll)."""
        if value is None or str(value).strip() == "":
            return None  # unset (an empty variable too)
        path = Path(str(value))
        try:
            ssl.create_default_context(cafile=str(path))
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(
                f"MAIL_GATEWAY_IMAP_CA_FILE {str(path)!r} is not a readable PEM CA bundle: {exc}"
            ) from None
        return path

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
