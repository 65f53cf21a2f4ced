"""Settings of the gateway service (env prefix GATEWAY_, shared ones HELPDESK_)."""

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from chassis.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    # empty: HELPDESK_BIND_HOST (127.0.0.1 by default; the images set 0.0.0.0)
    host: str = ""
    port: int = 8080
    rpc_timeout: float = 10.0
    # decision 0134: how long a verified API key is trusted without reading the database; 0: always read
    api_key_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    # decision 0210: how long the agent UI keeps the admin's reference lists (statuses, types, field
    # configuration, agents, groups) without asking the cases service; 0: always ask
    reference_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # agent UI sessions live in Redis (decision 0190): an absolute lifetime, ended early by sign-out
    session_max_age: int = 8 * 3600
    # Redis keys start with this, so several gateways (or test runs) can share one Redis
    redis_prefix: str = "gateway"
    # sign-in throttle: failed attempts per account and per client address within the window (decision 0190)
    signin_failures_per_account: int = Field(default=10, ge=1)
    signin_failures_per_address: int = Field(default=50, ge=1)
    signin_window_seconds: int = Field(default=15 * 60, ge=1)
    # password-reset mails asked for, per address typed in and per client address, within the window
    reset_requests_per_account: int = Field(default=3, ge=1)
    reset_requests_per_address: int = Field(default=20, ge=1)
    reset_window_seconds: int = Field(default=3600, ge=1)
    # who has a case open (decision 0247): an open page's entry lives this long without a refresh, so a closed
    # tab or a dead process drops out by itself; a typing ping lasts typing_seconds
    presence_ttl_seconds: float = Field(default=45.0, ge=3, le=600)
    typing_seconds: float = Field(default=8.0, ge=1, le=60)
    # seed inputs: the demo admin's password and an API key with exactly this secret
    admin_password: str = Field(default="", validation_alias=AliasChoices("HELPDESK_ADMIN_PASSWORD"))
    api_key: str = Field(default="", validation_alias=AliasChoices("HELPDESK_API_KEY"))
    # the agent UI's public address: the URL Twilio calls (signatures cover it) and where mailed links point;
    # the Twilio account's auth token (empty: webhook off)
    public_url: str = "http://127.0.0.1:8080"
    twilio_auth_token: str = ""

    @property
    def listen_host(self) -> str:
        """The interface uvicorn listens on."""
        return self.host or self.bind_host
