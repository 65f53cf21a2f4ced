"""Settings base: one object per service, from the environment, refusing unsafe defaults in production."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 - refused outside development


def repo_root() -> Path:
    """The checkout root (where `var/` lives in development)."""
    return Path(os.environ.get("HELPDESK_HOME", Path(__file__).resolve().parents[4]))


class ServiceSettings(BaseSettings):
    """Fields every service shares (env `HELPDESK_*`); subclasses add their own with their prefix."""

    model_config = SettingsConfigDict(extra="ignore", env_prefix="HELPDESK_")

    service_name: str = "service"
    env: Literal["development", "test", "production"] = Field(
        default="development", validation_alias=AliasChoices("HELPDESK_ENV")
    )
    amqp_uri: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672/", validation_alias=AliasChoices("HELPDESK_AMQP_URI")
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", validation_alias=AliasChoices("HELPDESK_REDIS_URL"))
    secret_key: str = Field(default=DEV_SECRET, validation_alias=AliasChoices("HELPDESK_SECRET_KEY"))
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("HELPDESK_LOG_LEVEL"))
    log_format: Literal["json", "console"] = Field(default="json", validation_alias=AliasChoices("HELPDESK_LOG_FORMAT"))
    var_dir: Path = Field(
        default_factory=lambda: repo_root() / "var", validation_alias=AliasChoices("HELPDESK_VAR_DIR")
    )
    bind_host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("HELPDESK_BIND_HOST"))
    mail_domain: str = Field(default="helpdesk.example.com", validation_alias=AliasChoices("HELPDESK_MAIL_DOMAIN"))
    # a service's own database URL: <PREFIX>_DATABASE_URL; empty means the SQLite file under var/
    database_url: str = ""
    ops_port: int = 0

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> ServiceSettings:
        if self.env == "production":
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise ValueError("HELPDESK_SECRET_KEY must be set to 32+ random characters in production")
            if self.database_url.startswith("sqlite") or not self.database_url:
                raise ValueError(f"{self.service_name}: set a PostgreSQL database URL in production")
        return self

    @property
    def db_url(self) -> str:
        """The database URL, defaulting to `var/<service>.db` (SQLite)."""
        if self.database_url:
            return self.database_url
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.var_dir / (self.service_name + '.db')}"
