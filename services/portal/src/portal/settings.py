"""Settings of the portal service (env prefix PORTAL_, shared ones HELPDESK_)."""

from enum import StrEnum

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class Registration(StrEnum):
    """Who may set up a password account themselves (decision 0252)."""

    OFF = "off"  # nobody: magic links only, and passwords already set
    INVITE = "invite"  # contacts already in the directory (an agent added them, or they wrote to us)
    OPEN = "open"  # those too, and anyone at a known organisation's mail domain (never a free-mail one)


class PortalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

    service_name: str = "portal"
    # empty: fall back to HELPDESK_BIND_HOST (127.0.0.1); containers set 0.0.0.0
    host: str = ""
    port: int = 8081
    # the address customers reach us on; magic links in emails start with it
    public_url: str = "http://127.0.0.1:8081"
    magic_link_ttl_seconds: int = 15 * 60
    # per e-mail address: at most `magic_link_rate_limit` links per `magic_link_rate_window_seconds`
    magic_link_rate_limit: int = 5
    magic_link_rate_window_seconds: int = 15 * 60
    # Redis keys start with this, so several portals (or test runs) can share one Redis
    redis_prefix: str = "portal"
    session_max_age_seconds: int = 7 * 24 * 3600
    session_cookie: str = "portal_session"
    # PORTAL_REGISTRATION: off | invite | open
    registration: Registration = Registration.INVITE
    # failed password sign-ins, per e-mail address typed in and per client address, within the window
    signin_failures_per_account: int = Field(default=10, ge=1)
    signin_failures_per_address: int = Field(default=50, ge=1)
    signin_window_seconds: int = Field(default=15 * 60, ge=1)
    # mails with a link to set a password (registration, reset), per e-mail address and per client address
    password_links_per_account: int = Field(default=3, ge=1)
    password_links_per_address: int = Field(default=20, ge=1)
    password_links_window_seconds: int = Field(default=3600, ge=1)
    password_link_ttl_seconds: int = Field(default=3600, ge=60)
    # how long a page reuses the branding it fetched from cases before asking again
    branding_cache_seconds: float = 30.0
    rpc_timeout_seconds: float = 10.0
    page_size: int = 25
    # department forms: one file answer at most this large; a contact sends at most
    # `form_submit_rate_limit` forms per `form_submit_rate_window_seconds`
    form_upload_max_bytes: int = 10 * 1024 * 1024
    form_submit_rate_limit: int = 10
    form_submit_rate_window_seconds: int = 3600

    @model_validator(mode="after")
    def _fill_host(self) -> "PortalSettings":
        if not self.host:
            self.host = self.bind_host
        self.public_url = self.public_url.rstrip("/")
        return self

    @property
    def secure_cookies(self) -> bool:
        """Mark the session cookie Secure whenever customers reach us over HTTPS."""
        return self.public_url.startswith("https://")
