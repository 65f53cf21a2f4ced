import pytest
from pydantic import ValidationError

from chassis.settings import ServiceSettings


def test_development_defaults_to_a_sqlite_file_under_var(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_VAR_DIR", str(tmp_path))
    settings = ServiceSettings(service_name="cases")
    assert settings.db_url == f"sqlite:///{tmp_path / 'cases.db'}"


def test_production_refuses_the_development_secret(monkeypatch):
    monkeypatch.setenv("HELPDESK_ENV", "production")
    with pytest.raises(ValidationError, match="HELPDESK_SECRET_KEY"):
        ServiceSettings(service_name="cases", database_url="postgresql+psycopg://db/cases")


def test_production_refuses_sqlite(monkeypatch):
    monkeypatch.setenv("HELPDESK_ENV", "production")
    monkeypatch.setenv("HELPDESK_SECRET_KEY", "x" * 40)
    with pytest.raises(ValidationError, match="PostgreSQL"):
        ServiceSettings(service_name="cases")
    assert ServiceSettings(service_name="cases", database_url="postgresql+psycopg://db/cases").env == "production"
