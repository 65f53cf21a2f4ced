"""The notifications worker next to the gateway stack (for the tests of issue 5's routes)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

from conftest import Stack, wait_until
from kombu import Connection

from chassis.testing import ServiceProcess, free_port, pg_database

QUEUES = [
    "evt-cases-message_added--notifications.on_message_added",
    "evt-cases-case_created--notifications.alert_on_case_created",
    "evt-mail_gateway-mail_bounced--notifications.on_mail_bounced",
]


@contextlib.contextmanager
def notifications_worker(stack: Stack) -> Iterator[ServiceProcess]:
    """Migrate and run `python -m notifications worker` on a fresh database and the stack's vhost."""
    with pg_database("notifications") as db_url:
        ops_port = free_port()
        env = {
            "HELPDESK_AMQP_URI": stack.amqp_uri,
            "HELPDESK_VAR_DIR": str(stack.var_dir),
            "HELPDESK_ENV": "test",
            "NOTIFICATIONS_DATABASE_URL": db_url,
            "NOTIFICATIONS_OPS_PORT": str(ops_port),
            "NOTIFICATIONS_REDIS_PREFIX": f"test:gw-notifications:{uuid.uuid4().hex}",
        }
        subprocess.run(
            [sys.executable, "-m", "notifications", "migrate"], env={**os.environ, **env}, check=True, timeout=120
        )
        process = ServiceProcess(
            "notifications", "worker", env, f"http://127.0.0.1:{ops_port}/healthz", stack.var_dir / "logs"
        ).start()
        try:
            # events published before the worker's queues exist would be lost
            wait_until(lambda: _queues_exist(stack.amqp_uri), timeout=30, what="notifications queues")
            yield process
        finally:
            process.stop()


def _queues_exist(amqp_uri: str) -> bool:
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        try:
            for name in QUEUES:
                channel.queue_declare(queue=name, passive=True)
        except Exception:
            return False
    return True
