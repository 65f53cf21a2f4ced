"""The notifications worker next to the gateway stack, for the routes that call it (deliveries, Web Push)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

from chassis.settings import repo_root
from chassis.testing import ServiceProcess, free_port, pg_database, pg_template

# the notifications service's own test kit knows when its worker's queues exist
sys.path.insert(0, str(repo_root() / "services" / "notifications" / "tests"))
from notifications_testkit import wait_for_queues

if TYPE_CHECKING:  # the conftest imports this module
    from conftest import Stack

QUEUES = [
    "evt-cases-message_added--notifications.on_message_added",
    "evt-cases-case_created--notifications.alert_on_case_created",
    "evt-mail_gateway-mail_bounced--notifications.on_mail_bounced",
    "evt-mail_gateway-mailbox_sending_changed--notifications.on_mailbox_sending_changed",
]


def _migrate(db_url: str) -> None:
    env = {**os.environ, "HELPDESK_ENV": "test", "NOTIFICATIONS_DATABASE_URL": db_url}
    subprocess.run([sys.executable, "-m", "notifications", "migrate"], env=env, check=True, timeout=120)


@contextlib.contextmanager
def notifications_worker(stack: Stack) -> Iterator[ServiceProcess]:
    """Run `python -m notifications worker` on a fresh copy of a migrated database and the stack's vhost."""
    with pg_database("notifications", template=pg_template("notifications:migrate", _migrate)) as db_url:
        ops_port = free_port()
        env = {
            "HELPDESK_AMQP_URI": stack.amqp_uri,
            "HELPDESK_VAR_DIR": str(stack.var_dir),
            "HELPDESK_ENV": "test",
            "NOTIFICATIONS_DATABASE_URL": db_url,
            "NOTIFICATIONS_OPS_PORT": str(ops_port),
            "NOTIFICATIONS_REDIS_PREFIX": f"test:gw-notifications:{uuid.uuid4().hex}",
        }
        process = ServiceProcess(
            "notifications", "worker", env, f"http://127.0.0.1:{ops_port}/healthz", stack.var_dir / "logs"
        ).start()
        try:
            # events published before the worker's queues exist would be lost
            wait_for_queues(stack.amqp_uri, QUEUES, timeout=30)
            yield process
        finally:
            process.stop()
