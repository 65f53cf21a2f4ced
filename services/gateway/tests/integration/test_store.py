"""The gateway's own data: migrations on both backends, the seed, keys, credentials and idempotency records."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from chassis.db import make_engine, make_sessionmaker
from chassis.testing import pg_database
from gateway import access, idempotency


def _gateway(command: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "gateway", command],
        env={**os.environ, "HELPDESK_ENV": "test", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with pg_database("gateway") as url:
        _gateway("migrate", {"GATEWAY_DATABASE_URL": url})
        yield url


@pytest.fixture(scope="module")
def factory(pg_url: str) -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(pg_url))


def test_migrations_run_on_sqlite_too(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    _gateway("migrate", {"GATEWAY_DATABASE_URL": url})
    _gateway("migrate", {"GATEWAY_DATABASE_URL": url})
    with make_engine(url).connect() as conn:
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
    assert {"api_key", "agent_credential", "idempotency_record"} <= tables


def test_seed_is_idempotent_and_stores_no_secret(pg_url: str, factory: sessionmaker[Session], tmp_path: Path) -> None:
    secret = "hdk_seeded_" + os.urandom(8).hex()
    env = {"GATEWAY_DATABASE_URL": pg_url, "HELPDESK_API_KEY": secret, "HELPDESK_VAR_DIR": str(tmp_path)}
    out = _gateway("seed", env) + _gateway("seed", env)
    assert secret not in out
    with factory() as session:
        rows = session.execute(text("SELECT key_hash, prefix, is_admin, agent_email FROM api_key")).all()
        assert [(r.key_hash, r.is_admin, r.agent_email) for r in rows] == [
            (hashlib.sha256(secret.encode()).hexdigest(), True, "admin@example.com")
        ]
        assert rows[0].prefix == secret[:12]
        dump = " ".join(str(v) for v in session.execute(text("SELECT * FROM api_key")).one())
        assert secret not in dump
    who = access.authenticate_api_key(factory=factory, secret=secret)
    assert who is not None and who.is_admin

    # no HELPDESK_ADMIN_PASSWORD: a password is generated once and written for the operator
    credentials = tmp_path / "demo-credentials.txt"
    first = re.search(r"password: (\S+)", credentials.read_text())
    assert first is not None
    assert first.group(1) not in out
    assert access.check_agent_password(factory=factory, email="admin@example.com", password=first.group(1))
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"


def test_admin_password_from_the_environment(pg_url: str, factory: sessionmaker[Session], tmp_path: Path) -> None:
    env = {"GATEWAY_DATABASE_URL": pg_url, "HELPDESK_ADMIN_PASSWORD": "s3cret-Pa55", "HELPDESK_VAR_DIR": str(tmp_path)}
    assert "s3cret-Pa55" not in _gateway("seed", env)
    assert access.check_agent_password(factory=factory, email="ADMIN@example.com", password="s3cret-Pa55")
    assert not access.check_agent_password(factory=factory, email="admin@example.com", password="wrong")
    assert not access.check_agent_password(factory=factory, email="nobody@example.com", password="s3cret-Pa55")
    with factory() as session:
        stored = session.execute(text("SELECT password_hash FROM agent_credential")).scalars().all()
    assert len(stored) == 1 and stored[0].startswith("$argon2id$") and "s3cret" not in stored[0]


def test_created_keys_authenticate_until_revoked(factory: sessionmaker[Session]) -> None:
    key_id, secret = access.create_api_key(factory=factory, name="partner", scopes=["cases:read"])
    who = access.authenticate_api_key(factory=factory, secret=secret)
    assert who is not None
    assert (who.key_id, who.scopes, who.is_admin, who.owner) == (key_id, ("cases:read",), False, f"api_key:{key_id}")
    assert access.authenticate_api_key(factory=factory, secret=secret + "x") is None
    access.revoke_api_key(factory=factory, key_id=key_id)
    assert access.authenticate_api_key(factory=factory, secret=secret) is None


def test_idempotency_record_first_writer_wins(factory: sessionmaker[Session]) -> None:
    assert idempotency.find(factory=factory, owner="api_key:1", key="k1") is None
    first = idempotency.save(
        factory=factory, owner="api_key:1", key="k1", request_hash="a" * 64, status_code=201, body={"id": 1}
    )
    late = idempotency.save(
        factory=factory, owner="api_key:1", key="k1", request_hash="b" * 64, status_code=201, body={"id": 2}
    )
    assert late == first
    assert idempotency.find(factory=factory, owner="api_key:1", key="k1") == first
    other_owner = idempotency.save(
        factory=factory, owner="api_key:2", key="k1", request_hash="b" * 64, status_code=201, body={"id": 3}
    )
    assert other_owner.body == {"id": 3}
