"""The README's run command: the embedded default (SQLite files under var/), no terminal, clean stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from mail import customer_mail, deliver

from chassis.settings import repo_root
from chassis.testing import free_port

ROOT = repo_root()
KEY = "hd_run_test_" + "r" * 30
PORT_VARIABLES = (
    "CASES_OPS_PORT",
    "MAIL_GATEWAY_OPS_PORT",
    "MAIL_GATEWAY_SMTP_OPS_PORT",
    "MAIL_GATEWAY_SMTP_PORT",
    "NOTIFICATIONS_OPS_PORT",
    "REPORTS_OPS_PORT",
    "GATEWAY_PORT",
    "PORTAL_PORT",
)


def run_env(var_dir: Path) -> dict[str, str]:
    ports = {name: str(free_port()) for name in PORT_VARIABLES}
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env.pop("HELPDESK_SMTP_RELAY", None)
    return {**env, **ports, "HELPDESK_VAR_DIR": str(var_dir), "HELPDESK_API_KEY": KEY, "HELPDESK_LOG_FORMAT": "json"}


def test_run_starts_everything_on_sqlite_and_stops_cleanly(tmp_path):
    env = run_env(tmp_path / "var")
    log = (tmp_path / "run.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "run.py")],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 120
        while "all services are healthy" not in (tmp_path / "run.log").read_text():
            assert proc.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "not healthy in 120 s"
            time.sleep(0.5)
        output = (tmp_path / "run.log").read_text()
        assert f"http://127.0.0.1:{env['GATEWAY_PORT']}/" in output
        assert "admin@example.com / " in output  # the sign-in details are printed
        for service in ("cases", "mail_gateway", "notifications", "reports", "gateway", "portal"):
            assert (tmp_path / "var" / f"{service}.db").exists(), f"{service} is not on its SQLite file"

        deliver(
            int(env["MAIL_GATEWAY_SMTP_PORT"]),
            customer_mail(sender="a@customer.example", subject="Run test", body="hi"),
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{env['GATEWAY_PORT']}/api/v1/cases", headers={"Authorization": f"Bearer {KEY}"}
        )
        deadline = time.monotonic() + 10
        while True:
            with urllib.request.urlopen(request) as resp:
                items = json.load(resp)["items"]
            if items:
                break
            assert time.monotonic() < deadline, "the mail did not become a case"
            time.sleep(0.1)
        assert items[0]["title"] == "Run test"
        # no relay configured: the confirmation is written under var/outbox/
        deadline = time.monotonic() + 10
        while not list((tmp_path / "var" / "outbox").glob("*.eml")):
            assert time.monotonic() < deadline, "no .eml in var/outbox"
            time.sleep(0.1)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        code = proc.wait(60)
    assert code == 0
    # every process is gone: none of their ports answers any more
    still_open = [name for name in PORT_VARIABLES if port_open(int(env[name]))]
    assert not still_open, f"still listening after stop: {still_open}"


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_run_says_in_one_line_when_rabbitmq_cannot_be_reached(tmp_path):
    env = {**run_env(tmp_path / "var"), "HELPDESK_AMQP_URI": f"amqp://guest:guest@127.0.0.2:{free_port()}/"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "run.py")],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
    assert errors == [errors[0]] and "RabbitMQ is not reachable" in errors[0] and "HELPDESK_AMQP_URI" in errors[0]
