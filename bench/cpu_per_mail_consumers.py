"""CPU milliseconds per inbound mail in the consumers after cases: the notifications and reports workers.

The pipeline of bench/cpu_per_mail.py (SMTP listener, mail-gateway worker, cases worker on fresh databases
and a RabbitMQ vhost), plus `notifications worker` (its confirmations handed to a local SMTP sink, the rate
limits in Redis) and `reports worker`. Sends N mails over real SMTP and waits until every one is a case,
both notifications consumers of `case_created` have applied it, every confirmation has left the outbound
queue and reports holds every case. CPU is user+system from /proc/<pid>/stat, idle rate subtracted pro rata.
`--profile notifications|reports` runs that worker under bench/profile_runner.py (CPU cProfile + SQL counts).

Usage: .venv/bin/python bench/cpu_per_mail_consumers.py [--mails 500] [--profile notifications|reports] [--env K=V]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import text

from chassis.db import make_engine
from chassis.testing import ServiceProcess, amqp_vhost, free_port, pg_database

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from cpu_per_mail import PROFILE_DIR, Profiled, _run, measure, system, wait_cases
from system import SmtpSink

CONSUMERS = ("notifications", "reports")
# what "done" means for a mail in each consumer's database: (SQL returning a count, how many per mail)
DONE = {
    "notifications": [
        ("SELECT count(*) FROM processed_event WHERE consumer = 'notifications.on_case_created'", 1),
        ("SELECT count(*) FROM processed_event WHERE consumer = 'notifications.alert_on_case_created'", 1),
        ("SELECT count(*) FROM delivery WHERE kind = 'confirmation' AND status <> 'queued'", 1),
    ],
    "reports": [("SELECT count(*) FROM case_summary", 1)],
}


@contextlib.contextmanager
def consumers(
    tmp: Path, profile: str | None, extra_env: dict[str, str]
) -> Iterator[tuple[int, dict[str, ServiceProcess], str, dict[str, str]]]:
    sink = SmtpSink().start()
    try:
        with (
            amqp_vhost() as amqp_uri,
            pg_database("bench_cpu_notifications") as notifications_db,
            pg_database("bench_cpu_reports") as reports_db,
        ):
            ports = {name: free_port() for name in CONSUMERS}
            env = {
                "HELPDESK_ENV": "test",
                "HELPDESK_AMQP_URI": amqp_uri,  # overrides the vhost of cpu_per_mail.system: one broker for all
                "HELPDESK_VAR_DIR": str(tmp / "var"),
                "HELPDESK_SMTP_RELAY": f"127.0.0.1:{sink.port}",
                "NOTIFICATIONS_DATABASE_URL": notifications_db,
                "NOTIFICATIONS_OPS_PORT": str(ports["notifications"]),
                "NOTIFICATIONS_LOG_LEVEL": "WARNING",
                "NOTIFICATIONS_REDIS_PREFIX": f"bench:notifications:{amqp_uri.rsplit('/', 1)[-1]}",
                "REPORTS_DATABASE_URL": reports_db,
                "REPORTS_OPS_PORT": str(ports["reports"]),
                "REPORTS_LOG_LEVEL": "WARNING",
                **extra_env,
            }
            for package in CONSUMERS:
                _run(package, "migrate", env)
                _run(package, "seed", env)
            with system(tmp, None, 0, env) as (smtp_port, procs, cases_db):
                started: list[ServiceProcess] = []
                try:
                    for name in CONSUMERS:
                        health = f"http://127.0.0.1:{ports[name]}/healthz"
                        proc: ServiceProcess
                        if name == profile:
                            proc = Profiled(name, "worker", env, health, tmp / "logs")
                            PROFILE_DIR.mkdir(parents=True, exist_ok=True)
                            proc.out = PROFILE_DIR / f"{name}.worker"
                        else:
                            proc = ServiceProcess(name, "worker", env, health, tmp / "logs")
                        started.append(proc.start(timeout=60))
                        procs[f"{name}.worker"] = proc
                    yield smtp_port, procs, cases_db, {"notifications": notifications_db, "reports": reports_db}
                finally:
                    for proc in reversed(started):
                        proc.stop()
                    if profile:
                        print(f"profile written to {PROFILE_DIR / profile}.worker.prof", file=sys.stderr)
    finally:
        sink.stop()


def wait_consumers(databases: dict[str, str], mails: int, timeout: float = 900) -> None:
    engines = {name: make_engine(url) for name, url in databases.items()}
    deadline = time.monotonic() + timeout
    try:
        for name, checks in DONE.items():
            for sql, per_mail in checks:
                while True:
                    with engines[name].connect() as conn:
                        have = conn.execute(text(sql)).scalar() or 0
                    if have >= mails * per_mail:
                        break
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{name}: {have} of {mails * per_mail} ({sql})")
                    time.sleep(0.25)
    finally:
        for engine in engines.values():
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=500)
    parser.add_argument("--profile", choices=CONSUMERS, default=None)
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="services' environment")
    args = parser.parse_args()
    extra_env = dict(item.split("=", 1) for item in args.env)
    with (
        tempfile.TemporaryDirectory(prefix="bench-consumers-") as tmp,
        consumers(Path(tmp), args.profile, extra_env) as (port, procs, cases_db, databases),
    ):

        def done(count: int) -> None:
            wait_cases(cases_db, count)
            wait_consumers(databases, count)

        rows, wall = measure(port, procs, args.mails, done)
    result: dict[str, Any] = {"mails": args.mails, "env": extra_env, "wall_s": round(wall, 1)}
    result["load_average"] = os.getloadavg()
    result.update(rows)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
