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
    session_max_age: int = 8 * 3600
    # seed inputs: the demo admin's password and an API key with exactly this secret
    admin_password: str = Field(default="", validation_alias=AliasChoices("HELPDESK_ADMIN_PASSWORD"))
    api_key: str = Field(default="", validation_alias=AliasChoices("HELPDESK_API_KEY"))
    # the URL Twilio calls (signatures cover it) and the account's auth token; empty token: webhook off
    public_url: str = "http://127.0.0.1:8080"
    twilio_auth_token: str = ""

    @property
    def listen_host(self) -> str:
        """The interface uvicorn listens on."""
        return self.host or self.bind_host
