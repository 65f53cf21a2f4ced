"""`make run`: migrate, seed and start every service locally, wait until all are healthy, print the URLs.

Runs without a terminal (e.g. `setsid make run < /dev/null`); Ctrl-C or SIGTERM stops everything.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv" / "bin" / "python")
PACKAGES = ["cases", "mail_gateway", "notifications", "reports", "gateway", "portal"]
HEALTH = {
    "cases": "http://127.0.0.1:9101/healthz",
    "mail-gateway": "http://127.0.0.1:9102/healthz",
    "smtp": "http://127.0.0.1:9103/healthz",
    "notifications": "http://127.0.0.1:9104/healthz",
    "reports": "http://127.0.0.1:9105/healthz",
    "gateway": "http://127.0.0.1:8080/healthz",
    "portal": "http://127.0.0.1:8081/healthz",
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


def main() -> int:
    env = environment()
    infra = subprocess.run(["bash", str(ROOT / "scripts" / "ensure-infra.sh"), "rabbitmq", "redis"], env=env)
    if infra.returncode != 0:
        return infra.returncode
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

    def stop(_signum: int, _frame: object) -> None:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    deadline = time.monotonic() + float(env.get("HELPDESK_START_TIMEOUT", "90"))
    waiting = dict(HEALTH)
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
    print(
        "\n"
        "  Agent UI + REST API   http://127.0.0.1:8080/        (API docs: /api/v1/docs)\n"
        "  Customer portal       http://127.0.0.1:8081/\n"
        "  Inbound SMTP          127.0.0.1:2525, mailbox support@example.com\n"
        f"  Outgoing mail relay   {relay}\n"
        + (f"  Sign-in               {credentials.read_text().strip()}\n" if credentials.exists() else "")
        + "\n",
        flush=True,
    )
    return honcho.wait()


if __name__ == "__main__":
    sys.exit(main())
