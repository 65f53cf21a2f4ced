"""Operator commands: `python -m gateway migrate|seed|create-api-key`."""

from __future__ import annotations

import argparse
import getpass
import uuid
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from chassis import passwords
from chassis.db import make_engine, make_sessionmaker
from chassis.migrations import upgrade
from gateway import access, audit_log
from gateway.context import ADMIN_EMAIL, SEEDED_KEY_NAME
from gateway.domain import api_keys
from gateway.domain.audit import Outcome, redact
from gateway.settings import GatewaySettings

SERVICE_DIR = Path(__file__).resolve().parents[2]
CREDENTIALS_FILE = "demo-credentials.txt"


def migrate() -> None:
    """Upgrade the schema to the newest migration (idempotent)."""
    upgrade(SERVICE_DIR, GatewaySettings().db_url)


def seed() -> None:
    """The admin's sign-in and, with HELPDESK_API_KEY, an admin API key (idempotent; needs no other service)."""
    settings = GatewaySettings()
    factory = make_sessionmaker(make_engine(settings.db_url))
    where = _seed_admin_password(settings, factory)
    if settings.api_key:
        created = access.ensure_api_key(
            factory=factory, name=SEEDED_KEY_NAME, secret=settings.api_key, is_admin=True, agent_email=ADMIN_EMAIL
        )
        print(f"gateway: admin API key {'created' if created else 'already present'} (HELPDESK_API_KEY)")
    print(f"gateway: sign in at http://{settings.listen_host}:{settings.port}/login as {ADMIN_EMAIL}; password {where}")


def _seed_admin_password(settings: GatewaySettings, factory: sessionmaker[Session]) -> str:
    """Set the admin password; say where to find it (never print the secret itself)."""
    if settings.admin_password:
        access.set_agent_password(factory=factory, email=ADMIN_EMAIL, password=settings.admin_password)
        return "from HELPDESK_ADMIN_PASSWORD"
    path = settings.var_dir / CREDENTIALS_FILE
    if access.has_credential(factory=factory, email=ADMIN_EMAIL) and path.exists():
        return f"in {path}"
    # generated once, kept only where the operator can read it
    password = passwords.generate_password()
    access.set_agent_password(factory=factory, email=ADMIN_EMAIL, password=password)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"Agent UI sign-in\nemail: {ADMIN_EMAIL}\npassword: {password}\n")
    path.chmod(0o600)
    return f"in {path}"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment or the password database (containers)
        return "operator"


def create_api_key(*argv: str) -> None:
    """`python -m gateway create-api-key NAME [--agent-email E] [--scope S ...] [--admin]`: prints the key once."""
    parser = argparse.ArgumentParser(prog="python -m gateway create-api-key")
    parser.add_argument("name")
    parser.add_argument("--agent-email")
    parser.add_argument("--scope", action="append", choices=api_keys.ALL_SCOPES)
    parser.add_argument("--admin", action="store_true")
    args = parser.parse_args(argv)
    factory = make_sessionmaker(make_engine(GatewaySettings().db_url))
    # in the audit log like a key made through the API: written first, completed after (decision 0198)
    operator = audit_log.AuditActor(type="operator", name=_os_user(), channel="cli")
    entry_id = audit_log.start(
        factory=factory,
        actor=operator,
        object_type="api_key",
        object_id=None,
        action="create",
        before=None,
        request_id=uuid.uuid4().hex,
    )
    key_id, secret = access.create_api_key(
        factory=factory, name=args.name, scopes=args.scope, is_admin=args.admin, agent_email=args.agent_email
    )
    after = redact(access.get_api_key(factory=factory, key_id=key_id))
    audit_log.finish(factory=factory, entry_id=entry_id, outcome=Outcome.SUCCEEDED, after=after, object_id=str(key_id))
    print(f"API key {key_id} ({args.name}): {secret}\nStore it now: it is not shown again.")
