"""`make run`: migrate, seed and start every service locally, wait until all are healthy, print the URLs.

Runs without a terminal (e.g. `setsid make run < /dev/null`); Ctrl-C or SIGTERM stops everything.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv" / "bin" / "python")
PACKAGES = ["cases", "mail_gateway", "notifications", "reports", "gateway", "portal"]
# process -> (port variable, default port) of its /healthz
HEALTH = {
    "cases": ("CASES_OPS_PORT", 9101),
    "mail-gateway": ("MAIL_GATEWAY_OPS_PORT", 9102),
    "smtp": ("MAIL_GATEWAY_SMTP_OPS_PORT", 9103),
    "notifications": ("NOTIFICATIONS_OPS_PORT", 9104),
    "reports": ("REPORTS_OPS_PORT", 9105),
    "gateway": ("GATEWAY_PORT", 8080),
    "portal": ("PORTAL_PORT", 8081),
}


def say(message: str) -> None:
    print(f"[run] {message}", flush=True)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - our own localhost URLs
            return bool(resp.status == 200)
    except Exception:
        return False


def environment() -> dict[str, str]:
    env = dict(os.environ)
    var = Path(env.setdefault("HELPDESK_VAR_DIR", str(ROOT / "var")))
    var.mkdir(parents=True, exist_ok=True)
    env.setdefault("HELPDESK_HOME", str(ROOT))
    env.setdefault("HELPDESK_LOG_FORMAT", "console")
    if "HELPDESK_SECRET_KEY" not in env:
        # a per-checkout secret, so signed Message-IDs and sessions are not forgeable with a public default
        key_file = var / ".secret-key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        env["HELPDESK_SECRET_KEY"] = key_file.read_text().strip()
    return env


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def ensure_infrastructure(env: dict[str, str]) -> bool:
    """Start local RabbitMQ/Redis when needed; check remote ones; one clear line when either is missing."""
    wanted = {
        "rabbitmq": ("RabbitMQ", "HELPDESK_AMQP_URI", env.get("HELPDESK_AMQP_URI", "amqp://127.0.0.1:5672/"), 5672),
        "redis": ("Redis", "HELPDESK_REDIS_URL", env.get("HELPDESK_REDIS_URL", "redis://127.0.0.1:6379/0"), 6379),
    }
    local = [name for name, (_, _, url, _) in wanted.items() if urlsplit(url).hostname in LOCAL_HOSTS]
    if local:
        infra = subprocess.run(["bash", str(ROOT / "scripts" / "ensure-infra.sh"), *local], env=env)
        if infra.returncode != 0:
            return False
    for label, variable, url, default_port in wanted.values():
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or default_port
        if not reachable(host, port):
            print(
                f"ERROR: {label} is not reachable at {host}:{port} ({variable}); start it or fix the URL",
                file=sys.stderr,
            )
            return False
    return True


LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", None}


def main() -> int:
    env = environment()
    if not ensure_infrastructure(env):
        return 1
    for package in PACKAGES:
        for command in ("migrate", "seed"):
            result = subprocess.run([PY, "-m", package, command], env=env, cwd=ROOT, capture_output=True, text=True)
            if result.returncode != 0:
                print(f"ERROR: {package} {command} failed:\n{result.stdout}{result.stderr}", file=sys.stderr)
                return 1
    say("starting all services (logs below; Ctrl-C stops everything)")
    honcho = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "honcho"), "start", "-f", str(ROOT / "Procfile"), "-d", str(ROOT)],
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )

    stopping = []

    def stop(_signum: int, _frame: object) -> None:
        stopping.append(True)
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    deadline = time.monotonic() + float(env.get("HELPDESK_START_TIMEOUT", "90"))
    waiting = {name: f"http://127.0.0.1:{env.get(var, default)}/healthz" for name, (var, default) in HEALTH.items()}
    while waiting and honcho.poll() is None and time.monotonic() < deadline:
        waiting = {name: url for name, url in waiting.items() if not healthy(url)}
        time.sleep(0.5)
    if waiting:
        print(f"ERROR: not healthy in time: {', '.join(sorted(waiting))}; stopping", file=sys.stderr)
        stop(0, None)
        honcho.wait(30)
        return 1
    credentials = Path(env["HELPDESK_VAR_DIR"]) / "demo-credentials.txt"
    relay = env.get("HELPDESK_SMTP_RELAY") or f"none: outgoing mail is written to {env['HELPDESK_VAR_DIR']}/outbox/"
    say("all services are healthy")
    gateway, portal = env.get("GATEWAY_PORT", "8080"), env.get("PORTAL_PORT", "8081")
    print(
        "\n"
        f"  Agent UI + REST API   http://127.0.0.1:{gateway}/        (API docs: /api/v1/docs)\n"
        f"  Customer portal       http://127.0.0.1:{portal}/\n"
        f"  Inbound SMTP          127.0.0.1:{env.get('MAIL_GATEWAY_SMTP_PORT', '2525')}, mailbox support@example.com\n"
        f"  Outgoing mail relay   {relay}\n"
        + (f"  Agent sign-in         {sign_in(credentials)}\n" if credentials.exists() else "")
        + "\n",
        flush=True,
    )
    code = honcho.wait()
    return 0 if stopping else code


def sign_in(credentials: Path) -> str:
    """'email / password' from the file the gateway's seed wrote."""
    fields = dict(
        line.split(":", 1) for line in credentials.read_text().splitlines() if ":" in line and not line.startswith("#")
    )
    return f"{fields.get('email', '').strip()} / {fields.get('password', '').strip()}  ({credentials})"


if __name__ == "__main__":
    sys.exit(main())
