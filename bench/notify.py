"""Notification benchmark of the notifications service alone; prints JSON figures.

Runs `python -m notifications worker` on a fresh PostgreSQL database and RabbitMQ vhost, with a real SMTP
sink (aiosmtpd) as the relay, publishes `case_created` events at a steady rate (default 100 events/s,
each for a new requester) and measures event-to-SMTP-handoff latency: from the moment the event was
confirmed by the broker until the sink has the confirmation mail. Reports p50/p95/p99 and the rate
actually achieved.

The worker's CPU time (user+system, from /proc) over the run is reported per event: on a shared machine
that figure is steadier than wall-clock latency. `--senders 1 --chunk 1` runs the sender as it was
before decision 0098 (one delivery per transaction, one sender), for comparison.

`--profile OUT` runs the worker under bench/profile_runner.py (CPU-time cProfile + SQL statement counts, written
to OUT.prof and OUT.sql.json at the end); its CPU figure then includes the profiler's overhead.

Usage: .venv/bin/python bench/notify.py [--events 1000] [--rate 100] [--max-workers 10] [--senders 2] [--chunk 20]
       [--workers 1] [--profile OUT]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from chassis.settings import repo_root
from chassis.testing import amqp_vhost, pg_database

sys.path.insert(0, str(repo_root() / "services" / "notifications" / "tests"))
import notifications_testkit
from notifications_testkit import Publisher, SmtpSink, make_case, make_message, running_worker, wait_until

from contracts.cases import CaseCreated


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class TimedSink(SmtpSink):
    """The test kit's SMTP sink, noting when each recipient's first mail was handed over."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}
        handler, arrived, lock = self.handler, self.arrived, threading.Lock()
        original = handler.handle_DATA

        async def handle_data(server: Any, session: Any, envelope: Any) -> str:
            now = time.perf_counter()
            with lock:
                for rcpt in envelope.rcpt_tos:
                    arrived.setdefault(rcpt, now)
            return await original(server, session, envelope)

        handler.handle_DATA = handle_data


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(
    events: int, rate: float, max_workers: int, senders: int = 2, chunk: int = 20, workers: int = 1
) -> dict[str, Any]:
    sink = TimedSink().start()
    tmp = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    try:
        with amqp_vhost() as amqp_uri, pg_database("notifications") as db_url:
            settings = {"send_batch_size": "200", "rate_limit_per_recipient": "1000", "max_workers": str(max_workers)}
            settings |= {"send_concurrency": str(senders), "send_chunk_size": str(chunk)}
            with contextlib.ExitStack() as stack:
                # several worker processes are competing consumers of the same queues and the same delivery table
                started = []
                for n in range(workers):
                    (tmp / f"w{n}").mkdir()
                    started.append(
                        stack.enter_context(
                            running_worker(
                                db_url=db_url,
                                amqp_uri=amqp_uri,
                                smtp_port=sink.port,
                                log_dir=tmp / f"w{n}",
                                var_dir=tmp,
                                **settings,
                            )
                        )
                    )
                worker = started[0]
                publisher = Publisher(amqp_uri)
                cases = [make_case(requester_email=f"b{i}@bench.example") for i in range(events)]
                payloads = [CaseCreated(case=c, first_message=make_message(case=c)) for c in cases]
                published: dict[str, float] = {}
                pids = []
                for each in started:
                    assert each.process.proc is not None
                    pids.append(each.process.proc.pid)
                cpu_before = sum(cpu_seconds(pid) for pid in pids)
                start = time.perf_counter()
                for i, payload in enumerate(payloads):
                    due = start + i / rate
                    if (delay := due - time.perf_counter()) > 0:
                        time.sleep(delay)
                    publisher.publish(payload)
                    published[f"b{i}@bench.example"] = time.perf_counter()
                publish_seconds = time.perf_counter() - start
                wait_until(lambda: len(sink.arrived) >= events, timeout=120 + events / 10, what="every mail")
                cpu_used = sum(cpu_seconds(pid) for pid in pids) - cpu_before
                publisher.close()
                rows = worker.deliveries(status="sent")
    finally:
        sink.stop()
    latencies = [(sink.arrived[r] - t) * 1000 for r, t in published.items()]
    # where the time goes: queued (event handled) -> sent (handed to the relay), from the delivery log
    in_queue = [(r["sent_at"] - r["created_at"]).total_seconds() * 1000 for r in rows]
    return {
        "events": events,
        "target_rate_per_s": rate,
        "max_workers": max_workers,
        "worker_processes": workers,
        "senders": senders,
        "chunk": chunk,
        "worker_cpu_ms_per_event": round(cpu_used * 1000 / events, 2),
        "achieved_publish_rate_per_s": round(events / publish_seconds, 1),
        "handoff_latency_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p95": round(percentile(latencies, 95), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(max(latencies), 1),
        },
        "queued_to_sent_ms": {"p50": round(percentile(in_queue, 50), 1), "p95": round(percentile(in_queue, 95), 1)},
    }


def profile_worker(out: Path) -> None:
    """Start the notifications worker under bench/profile_runner.py (the same runner cpu_per_mail.py uses)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from cpu_per_mail import Profiled

    def profiled(*args: Any) -> Profiled:
        process = Profiled(*args)
        process.out = out
        return process

    notifications_testkit.ServiceProcess = profiled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--max-workers", type=int, default=10, help="NOTIFICATIONS_MAX_WORKERS of the worker")
    parser.add_argument("--senders", type=int, default=2, help="NOTIFICATIONS_SEND_CONCURRENCY")
    parser.add_argument("--chunk", type=int, default=20, help="NOTIFICATIONS_SEND_CHUNK_SIZE")
    parser.add_argument("--workers", type=int, default=1, help="notifications worker processes")
    parser.add_argument("--profile", default=None, help="profile the worker into OUT.prof / OUT.sql.json")
    args = parser.parse_args()
    if args.profile:
        profile_worker(Path(args.profile))
    figures = run(args.events, args.rate, args.max_workers, args.senders, args.chunk, args.workers)
    print(json.dumps({"notify": figures}, indent=2))


if __name__ == "__main__":
    main()
