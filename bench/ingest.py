"""Ingest benchmark of the mail gateway alone; prints JSON figures.

Runs the mail gateway's two real processes (SMTP listener, worker) on a fresh PostgreSQL database and
RabbitMQ vhost and measures, for N mails sent over real SMTP (4 connections): messages/s from the
first byte sent until the last `mail_received` is published, and per-mail latency (send start ->
event seen). With `--imap N`, N more mails are appended to a real dovecot mailbox and the same is
measured from the moment the mailbox is configured. The whole system (mail -> case visible in the
API) is measured by bench/run.py.

Usage: .venv/bin/python bench/ingest.py [--mails 1000] [--imap 500]
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
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from kombu import Connection, Exchange, Queue

from chassis.settings import repo_root
from chassis.testing import ServiceProcess, SyncRpc, amqp_vhost, free_port, pg_database

sys.path.insert(0, str(repo_root() / "services" / "mail-gateway" / "tests"))
from imap_server import dovecot_server


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def mail(i: int, run: str, to: str = "support@example.com") -> tuple[str, bytes]:
    mid = f"ingest-{run}-{i}@bench.example"
    msg = EmailMessage()
    msg["From"] = f"Customer {i % 97} <c{i % 97}@bench.example>"
    msg["To"] = to
    msg["Subject"] = f"bench ingest {i}: the printer on floor {i % 9} is broken"
    msg["Message-ID"] = f"<{mid}>"
    msg.set_content("Hello,\n\nthe printer shows error E42 again.\n\n-- \nCustomer\n" * 3)
    return mid, msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


class Arrivals:
    """Records when each `mail_received` (by Message-ID) arrives, on its own thread."""

    def __init__(self, amqp_uri: str) -> None:
        self.seen: dict[str, float] = {}
        self._stop = threading.Event()
        self.conn = Connection(amqp_uri)
        exchange = Exchange("mail_gateway.events", type="topic", durable=True)
        self.queue = Queue(
            f"bench-ingest-{os.getpid()}", exchange=exchange, routing_key="mail_received", exclusive=True
        )
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.channel = self.conn.channel()
        self.queue(self.channel).declare()
        self.thread.start()

    def _on(self, body: Any, _message: Any) -> None:
        mid = (body if isinstance(body, dict) else json.loads(body))["payload"].get("message_id")
        self.seen.setdefault(mid, time.perf_counter())

    def _run(self) -> None:
        with self.conn.Consumer(self.queue, callbacks=[self._on], accept=["json"], no_ack=True):
            while not self._stop.is_set():
                with contextlib.suppress(TimeoutError, OSError):
                    self.conn.drain_events(timeout=0.2)

    def wait(self, ids: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while any(i not in self.seen for i in ids):
            if time.monotonic() > deadline:
                missing = [i for i in ids if i not in self.seen]
                raise TimeoutError(f"{len(missing)} mails never became mail_received")
            time.sleep(0.05)

    def close(self) -> None:
        self._stop.set()
        self.thread.join(5)
        self.conn.release()


def figures(ids: list[str], started: dict[str, float], first: float, arrivals: Arrivals) -> dict[str, float]:
    last = max(arrivals.seen[i] for i in ids)
    latencies = [arrivals.seen[i] - started[i] for i in ids]
    return {
        "mails": len(ids),
        "messages_per_s": round(len(ids) / (last - first), 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
    }


def bench_smtp(port: int, arrivals: Arrivals, total: int, connections: int = 4) -> dict[str, float]:
    mails = [mail(i, "smtp") for i in range(total)]
    started: dict[str, float] = {}

    def send(chunk: list[tuple[str, bytes]]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            for mid, raw in chunk:
                started[mid] = time.perf_counter()
                client.sendmail("bench@bench.example", ["support@example.com"], raw)

    first = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(send, [mails[i::connections] for i in range(connections)]))
    accepted = time.perf_counter()  # every mail answered 250, i.e. stored (0020)
    ids = [mid for mid, _ in mails]
    arrivals.wait(ids, timeout=600)
    return {
        "connections": connections,
        "smtp_stored_per_s": round(total / (accepted - first), 1),
        **figures(ids, started, first, arrivals),
    }


def bench_imap(amqp_uri: str, arrivals: Arrivals, total: int) -> dict[str, float]:
    password = "bench-imap-password"  # noqa: S105 (a throw-away dovecot user)
    with dovecot_server({"bench": password}) as imap:
        mails = [mail(i, "imap", to="imap-bench@example.com") for i in range(total)]
        conn = imap.client("bench")
        for _, raw in mails:
            conn.append("INBOX", None, None, raw)
        conn.logout()
        rpc = SyncRpc(amqp_uri)
        box = {
            "address": "imap-bench@example.com",
            "imap_host": imap.host,
            "imap_port": imap.port,
            "imap_security": "none",
            "imap_user": "bench",
            "imap_password": password,
            "imap_poll_seconds": 1,
        }
        first = time.perf_counter()
        rpc.call("mail_gateway", "save_mailbox", data=box)
        rpc.close()
        ids = [mid for mid, _ in mails]
        arrivals.wait(ids, timeout=600)
        return figures(ids, dict.fromkeys(ids, first), first, arrivals)


@contextlib.contextmanager
def mail_gateway(tmp: Path) -> Iterator[tuple[str, int]]:
    with pg_database("bench_mail_gateway") as db_url, amqp_vhost() as amqp_uri:
        smtp_port, smtp_ops, worker_ops = free_port(), free_port(), free_port()
        env = {
            "HELPDESK_ENV": "test",
            "HELPDESK_AMQP_URI": amqp_uri,
            "HELPDESK_VAR_DIR": str(tmp / "var"),
            "MAIL_GATEWAY_DATABASE_URL": db_url,
            "MAIL_GATEWAY_BLOB_DIR": str(tmp / "blobs"),
            "MAIL_GATEWAY_SMTP_PORT": str(smtp_port),
            "MAIL_GATEWAY_SMTP_OPS_PORT": str(smtp_ops),
            "MAIL_GATEWAY_OPS_PORT": str(worker_ops),
            "MAIL_GATEWAY_LOG_LEVEL": "WARNING",
        }
        for command in ("migrate", "seed"):
            subprocess.run(
                [sys.executable, "-m", "mail_gateway", command], env={**os.environ, **env}, cwd=repo_root(), check=True
            )
        smtp = ServiceProcess("mail_gateway", "smtp", env, f"http://127.0.0.1:{smtp_ops}/healthz", tmp / "logs")
        worker = ServiceProcess("mail_gateway", "worker", env, f"http://127.0.0.1:{worker_ops}/healthz", tmp / "logs")
        try:
            smtp.start()
            worker.start()
            yield amqp_uri, smtp_port
        finally:
            worker.stop()
            smtp.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--imap", type=int, default=0, help="mails fetched from a real dovecot (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp, mail_gateway(Path(tmp)) as (amqp_uri, port):
        arrivals = Arrivals(amqp_uri)
        try:
            # warm-up outside the measurement
            arrivals.wait([_warm_up(port)], timeout=60)
            result: dict[str, Any] = {"smtp_ingest": bench_smtp(port, arrivals, args.mails)}
            if args.imap:
                result["imap_ingest"] = bench_imap(amqp_uri, arrivals, args.imap)
        finally:
            arrivals.close()
    print(json.dumps(result, indent=2))


def _warm_up(port: int) -> str:
    mid, raw = mail(0, "warm-up")
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.sendmail("bench@bench.example", ["support@example.com"], raw)
    return mid


if __name__ == "__main__":
    main()
