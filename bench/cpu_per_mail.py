"""CPU milliseconds per inbound mail, per process: mail-gateway SMTP listener, mail-gateway worker, cases worker.

Wall-clock throughput is meaningless on a machine shared with other work; CPU time per mail is not.
Starts the three processes on fresh PostgreSQL databases and a RabbitMQ vhost, sends N mails over real
SMTP (4 connections), waits until N cases exist, and reads each process's user+system CPU time from
/proc/<pid>/stat before and after. The idle CPU of each process (timers, heartbeats), measured for a few
seconds before the run, is subtracted pro rata. With `--preload N` (bench/dataset.py), the cases
database holds N generated cases before the services start (the 100,000-case variant).

Usage: .venv/bin/python bench/cpu_per_mail.py [--mails 1000] [--preload 0] [--profile cases|worker|smtp] [--env K=V]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import smtplib
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import text

from chassis.db import make_engine
from chassis.settings import repo_root
from chassis.testing import ServiceProcess, amqp_vhost, free_port, pg_database, wait_http

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import mail

TICKS = os.sysconf("SC_CLK_TCK")
# <name>.prof and <name>.sql.json of --profile
PROFILE_DIR = Path(os.environ.get("BENCH_PROFILE_DIR") or Path(tempfile.gettempdir()) / "mgbench")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _run(package: str, command: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", package, command], env={**os.environ, **env}, cwd=repo_root(), check=True)


@contextlib.contextmanager
def system(
    tmp: Path, profile: str | None, preload: int = 0, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[int, dict[str, ServiceProcess], str]]:
    with (
        pg_database("bench_cpu_mg") as mg_db,
        pg_database("bench_cpu_cases") as cases_db,
        amqp_vhost() as amqp_uri,
    ):
        smtp_port, smtp_ops, worker_ops, cases_ops = free_port(), free_port(), free_port(), free_port()
        env = {
            "HELPDESK_ENV": "test",
            "HELPDESK_AMQP_URI": amqp_uri,
            "HELPDESK_VAR_DIR": str(tmp / "var"),
            "MAIL_GATEWAY_DATABASE_URL": mg_db,
            "MAIL_GATEWAY_BLOB_DIR": str(tmp / "blobs"),
            "MAIL_GATEWAY_SMTP_PORT": str(smtp_port),
            "MAIL_GATEWAY_SMTP_OPS_PORT": str(smtp_ops),
            "MAIL_GATEWAY_OPS_PORT": str(worker_ops),
            "MAIL_GATEWAY_LOG_LEVEL": "WARNING",
            "CASES_DATABASE_URL": cases_db,
            "CASES_OPS_PORT": str(cases_ops),
            "CASES_LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        for package in ("mail_gateway", "cases"):
            _run(package, "migrate", env)
            _run(package, "seed", env)
        if preload:
            from dataset import preload_cases  # the bulk loader's generator: 100,000 cases in about a minute

            preload_cases(cases_db, preload, progress=False)
        procs = {
            "mail_gateway.smtp": ServiceProcess(
                "mail_gateway", "smtp", env, f"http://127.0.0.1:{smtp_ops}/healthz", tmp / "logs"
            ),
            "mail_gateway.worker": ServiceProcess(
                "mail_gateway", "worker", env, f"http://127.0.0.1:{worker_ops}/healthz", tmp / "logs"
            ),
            "cases.worker": ServiceProcess(
                "cases", "worker", env, f"http://127.0.0.1:{cases_ops}/healthz", tmp / "logs"
            ),
        }
        profiled = {"cases": "cases.worker", "worker": "mail_gateway.worker", "smtp": "mail_gateway.smtp"}.get(
            profile or ""
        )
        if profiled:
            # cProfile of the whole process, written when it stops (SIGTERM -> normal exit)
            plain = procs[profiled]
            procs[profiled] = Profiled(plain.package, plain.command, env, plain.health_url, tmp / "logs")
            PROFILE_DIR.mkdir(parents=True, exist_ok=True)
            procs[profiled].out = PROFILE_DIR / profiled
        try:
            for proc in procs.values():
                proc.start()
            yield smtp_port, procs, cases_db
        finally:
            for proc in reversed(list(procs.values())):
                proc.stop()
            if profiled:
                print(f"profile written to {PROFILE_DIR / profiled}.prof and .sql.json", file=sys.stderr)


RUNNER = Path(__file__).parent / "profile_runner.py"


class Profiled(ServiceProcess):
    """The same process under bench/profile_runner.py: CPU-time cProfile + SQL statement counts."""

    out: Path

    def start(self, timeout: float = 30.0) -> ServiceProcess:
        env = {**os.environ, "HELPDESK_ENV": "test", "HELPDESK_LOG_FORMAT": "json", **self.env}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).parent / "profile_runner.py"),
                str(self.out),
                self.package,
                self.command,
            ],
            env=env,
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
            cwd=repo_root(),
            start_new_session=True,
        )
        if self.health_url:
            wait_http(self.health_url, timeout, self.proc)
        return self


def send(port: int, mails: list[tuple[str, bytes]], connections: int = 4) -> None:
    def one(chunk: list[tuple[str, bytes]]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            for _, raw in chunk:
                client.sendmail("bench@bench.example", ["support@example.com"], raw)

    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(one, [mails[i::connections] for i in range(connections)]))


def wait_cases(cases_db: str, count: int, timeout: float = 900) -> None:
    engine = make_engine(cases_db)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as conn:
                have = conn.execute(text("SELECT count(*) FROM message WHERE inbound_mail_id IS NOT NULL")).scalar()
            if have is not None and have >= count:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{have} of {count} mails became cases")
            time.sleep(0.25)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--preload", type=int, default=0, help="cases in the database first (bench/dataset.py)")
    parser.add_argument("--profile", choices=["cases", "worker", "smtp"], default=None)
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment of the services, e.g. MAIL_GATEWAY_ROWS_PER_TRANSACTION=10 (repeatable)",
    )
    args = parser.parse_args()
    extra_env = dict(item.split("=", 1) for item in args.env)
    with (
        tempfile.TemporaryDirectory(prefix="bench-cpu-") as tmp,
        system(Path(tmp), args.profile, args.preload, extra_env) as (port, procs, db),
    ):
        rows, wall = measure(port, procs, args.mails, lambda count: wait_cases(db, count))
    result: dict[str, Any] = {
        "mails": args.mails,
        "preloaded_cases": args.preload,
        "env": extra_env,
        "wall_s": round(wall, 1),
        "load_average": os.getloadavg(),
    }
    result.update(rows)
    print(json.dumps(result, indent=2))


def measure(
    port: int,
    procs: dict[str, ServiceProcess],
    mails: int,
    done: Callable[[int], None],
    warm: int = 20,
    idle_seconds: float = 5.0,
) -> tuple[dict[str, dict[str, float]], float]:
    """CPU ms per mail of each process in `procs`, and the run's wall seconds.

    Sends `warm` mails first (imports, caches, pools), reads each process's idle rate for `idle_seconds`,
    then sends `mails` more over SMTP to `port`; `done(n)` returns once the first n mails sent went all the
    way through. Each row is raw and minus the process's idle rate over the run.
    """
    send(port, [mail(i, "warm") for i in range(warm)])
    done(warm)
    pids = {name: p.proc.pid for name, p in procs.items() if p.proc is not None}
    idle_start, t0 = {n: cpu_seconds(p) for n, p in pids.items()}, time.perf_counter()
    time.sleep(idle_seconds)
    idle = {n: (cpu_seconds(p) - idle_start[n]) / (time.perf_counter() - t0) for n, p in pids.items()}
    before, started = {n: cpu_seconds(p) for n, p in pids.items()}, time.perf_counter()
    send(port, [mail(i, "run") for i in range(mails)])
    done(warm + mails)
    wall = time.perf_counter() - started
    rows = {}
    for name, pid in pids.items():
        used = cpu_seconds(pid) - before[name]
        rows[name] = {
            "cpu_ms_per_mail": round(1000 * used / mails, 2),
            "cpu_ms_per_mail_minus_idle": round(1000 * (used - idle[name] * wall) / mails, 2),
        }
    return rows, wall


if __name__ == "__main__":
    main()
