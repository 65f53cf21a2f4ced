"""IMAP IDLE benchmark (decision 0147): latency of new mail with IDLE vs polling, and what idling costs.

Runs the mail gateway's worker (a real process) on a fresh PostgreSQL database and RabbitMQ vhost,
and a real dovecot. Prints JSON:
- `latency_idle` / `latency_poll`: for `--mails` mails appended one at a time (`--gap` s apart) to a
  mailbox watched with IDLE, then to one polled every `--poll-seconds`, the time from APPEND until the
  `mail_received` event is published (p50/p95/max).
- `idle_cost`: worker CPU (utime+stime from /proc/<pid>/stat) and SQL statements (pg_stat_statements
  is not assumed: `xact_commit` of the run's database) per watched mailbox per minute, with
  `--mailboxes` mailboxes idling and no mail for `--seconds`, next to the same mailboxes polled every
  60 s with IDLE off, and to the worker with no IMAP mailbox at all (`baseline_cost`: its timers).

Usage: .venv/bin/python bench/imap_idle.py [--mails 10] [--gap 1.0] [--poll-seconds 10]
                                           [--mailboxes 20] [--seconds 60]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from ingest import Arrivals, mail, percentile

from chassis.settings import repo_root
from chassis.testing import ServiceProcess, SyncRpc, amqp_vhost, free_port, pg_database

sys.path.insert(0, str(repo_root() / "services" / "mail-gateway" / "tests"))
from imap_server import Dovecot, dovecot_server

PASSWORD = "bench-idle-password"  # noqa: S105 (throw-away dovecot users)
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def commits(db_url: str) -> int:
    dsn = db_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").fetchone()
    return int(row[0]) if row else 0


@contextlib.contextmanager
def worker(tmp: Path) -> Iterator[tuple[str, str, ServiceProcess]]:
    with pg_database("bench_imap_idle") as db_url, amqp_vhost() as amqp_uri:
        ops = free_port()
        env = {
            "HELPDESK_ENV": "test",
            "HELPDESK_AMQP_URI": amqp_uri,
            "HELPDESK_VAR_DIR": str(tmp / "var"),
            "MAIL_GATEWAY_DATABASE_URL": db_url,
            "MAIL_GATEWAY_BLOB_DIR": str(tmp / "blobs"),
            "MAIL_GATEWAY_SMTP_PORT": str(free_port()),
            "MAIL_GATEWAY_OPS_PORT": str(ops),
            "MAIL_GATEWAY_LOG_LEVEL": "WARNING",
        }
        for command in ("migrate", "seed"):
            subprocess.run(
                [sys.executable, "-m", "mail_gateway", command], env={**os.environ, **env}, cwd=repo_root(), check=True
            )
        process = ServiceProcess("mail_gateway", "worker", env, f"http://127.0.0.1:{ops}/healthz", tmp / "logs")
        try:
            process.start()
            yield amqp_uri, db_url, process
        finally:
            process.stop()


def box(imap: Dovecot, user: str, **extra: Any) -> dict[str, Any]:
    return {
        "address": f"{user}@bench.example",
        "imap_host": imap.host,
        "imap_port": imap.port,
        "imap_security": "none",
        "imap_user": user,
        "imap_password": PASSWORD,
        **extra,
    }


def latency(imap: Dovecot, arrivals: Arrivals, user: str, run: str, mails: int, gap: float) -> dict[str, float]:
    took = []
    for i in range(mails):
        mid, raw = mail(i, run, to=f"{user}@bench.example")
        began = time.perf_counter()
        imap.append(user, raw)
        arrivals.wait([mid], timeout=600)
        took.append(arrivals.seen[mid] - began)
        time.sleep(gap)
    return {
        "mails": mails,
        "p50_s": round(percentile(took, 50), 2),
        "p95_s": round(percentile(took, 95), 2),
        "max_s": round(max(took), 2),
    }


def cost(
    rpc: SyncRpc, proc: ServiceProcess, db_url: str, ids: list[int], seconds: float, settle: float
) -> dict[str, float]:
    assert proc.proc is not None
    time.sleep(settle)  # watchers connected (or stopped: they notice a change within a tick), first fetches done
    cpu0, tx0 = cpu_seconds(proc.proc.pid), commits(db_url)
    time.sleep(seconds)
    cpu1, tx1 = cpu_seconds(proc.proc.pid), commits(db_url)
    watched = sum(1 for b in rpc.call("mail_gateway", "list_mailboxes") if b["id"] in ids and b["imap_idle_active"])
    minutes = seconds / 60
    return {
        "mailboxes": len(ids),
        "watched_with_idle": watched,
        "worker_cpu_ms_per_minute": round((cpu1 - cpu0) * 1000 / minutes, 1),
        "db_commits_per_minute": round((tx1 - tx0) / minutes, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=10)
    parser.add_argument("--gap", type=float, default=1.0)
    parser.add_argument("--poll-seconds", type=int, default=10)
    parser.add_argument("--mailboxes", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    users = {f"u{n}": PASSWORD for n in range(args.mailboxes)} | {"watched": PASSWORD, "polled": PASSWORD}
    result: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp,
        dovecot_server(users) as imap,
        worker(Path(tmp)) as (amqp_uri, db_url, proc),
    ):
        arrivals = Arrivals(amqp_uri)
        rpc = SyncRpc(amqp_uri)
        try:
            result["baseline_cost"] = cost(rpc, proc, db_url, [], args.seconds, settle=3)  # no IMAP mailbox
            rpc.call("mail_gateway", "save_mailbox", data=box(imap, "watched", imap_poll_seconds=3600))
            rpc.call(
                "mail_gateway",
                "save_mailbox",
                data=box(imap, "polled", use_idle=False, imap_poll_seconds=args.poll_seconds),
            )
            time.sleep(3)
            result["latency_idle"] = latency(imap, arrivals, "watched", "idle", args.mails, args.gap)
            result["latency_poll"] = {
                "poll_seconds": args.poll_seconds,
                **latency(imap, arrivals, "polled", "poll", args.mails, args.gap),
            }
            for name in ("watched", "polled"):  # out of the cost figures
                rpc.call("mail_gateway", "save_mailbox", data=box(imap, name, active=False))
            ids = [
                rpc.call("mail_gateway", "save_mailbox", data=box(imap, u, imap_poll_seconds=60))["id"]
                for u in users
                if u.startswith("u")
            ]
            result["idle_cost"] = cost(rpc, proc, db_url, ids, args.seconds, settle=10)
            for u in users:
                if u.startswith("u"):
                    rpc.call("mail_gateway", "save_mailbox", data=box(imap, u, use_idle=False, imap_poll_seconds=60))
            result["poll_cost"] = cost(rpc, proc, db_url, ids, args.seconds, settle=25)
        finally:
            rpc.close()
            arrivals.close()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
