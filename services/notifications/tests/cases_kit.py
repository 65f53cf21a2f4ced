"""The real cases service for notifications tests that need its directory (agents, groups, cases)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from notifications_testkit import wait_until

from chassis.testing import ServiceProcess, SyncRpc, free_port


class Cases:
    """`python -m cases worker` on its own database and the test's vhost; stoppable and startable again."""

    def __init__(self, db_url: str, amqp_uri: str, log_dir: Path, *, seed: bool = False) -> None:
        self.port = free_port()
        self.amqp_uri = amqp_uri
        self.log_dir = log_dir
        self.env = {"CASES_DATABASE_URL": db_url, "HELPDESK_AMQP_URI": amqp_uri, "CASES_OPS_PORT": str(self.port)}
        self.process: ServiceProcess | None = None
        self._rpc: SyncRpc | None = None
        for command in ("migrate", "seed") if seed else ("migrate",):
            result = subprocess.run(
                [sys.executable, "-m", "cases", command],
                env={**os.environ, **self.env},
                capture_output=True,
                text=True,
            )
            assert result.returncode == 0, f"cases {command}: {result.stderr}"

    def start(self) -> Cases:
        health = f"http://127.0.0.1:{self.port}/healthz"
        self.process = ServiceProcess("cases", "worker", self.env, health, self.log_dir).start()
        probe = SyncRpc(self.amqp_uri, timeout=1.0)
        try:  # /healthz answers before the RPC queue is consumed
            wait_until(lambda: _answers(probe), 30, "cases answers RPC")
        finally:
            probe.close()
        return self

    def stop(self) -> None:
        if self._rpc is not None:
            self._rpc.close()
            self._rpc = None
        if self.process is not None:
            self.process.stop()
            self.process = None

    def call(self, method: str, **kwargs: Any) -> Any:
        if self._rpc is None:
            self._rpc = SyncRpc(self.amqp_uri)
        return self._rpc.call("cases", method, **kwargs)


def _answers(probe: SyncRpc) -> bool:
    try:
        probe.call("cases", "health")
    except TimeoutError:
        return False
    return True
