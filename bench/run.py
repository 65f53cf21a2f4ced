"""Benchmarks of the walking skeleton; prints JSON figures.

Starts the whole system (every service as its real process, PostgreSQL databases, a RabbitMQ vhost) and
measures:
- API case creation: POST /api/v1/cases at concurrency 8 -> cases/s and latency p50/p95/p99;
- SMTP ingest: mails sent over real SMTP (4 connections) -> messages/s from the first byte sent until
  the last case is visible through the API, and per-mail latency (send start -> visible in the API);
  with the CPU milliseconds per mail of every process taking part (bench/process_cpu.py): each
  service, their PostgreSQL backends, RabbitMQ, and this process (SMTP clients, API poller, SMTP sink).
- `--preload N [M ...]`: the same into a system whose cases database first holds N generated cases
  (bench/dataset.py), each on a fresh system.

Usage: .venv/bin/python bench/run.py [--cases 1000] [--mails 300] [--preload 0 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import smtplib
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset import preload_cases
from process_cpu import CpuMeter, poll_cost
from system import API_KEY, System, running_system


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def bench_api(base_url: str, total: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                started = time.perf_counter()
                resp = await client.post(
                    "/api/v1/cases",
                    json={"title": f"bench api case {i}", "requester_email": f"b{i % 50}@bench.example"},
                )
                latencies.append(time.perf_counter() - started)
                if resp.status_code != 201:
                    raise RuntimeError(f"{resp.status_code}: {resp.text}")

        # warm-up outside the measurement
        await client.post("/api/v1/cases", json={"title": "warm-up"})
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "requests": total,
        "concurrency": concurrency,
        "cases_per_s": round(total / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
    }


class ApiPoller:
    """Sees when each bench mail's case appears in `GET /api/v1/cases` (newest first, paged until known cases).

    Its own CPU (this thread) and its request count are reported, since its requests cost the gateway
    and the cases worker CPU too.
    """

    def __init__(self, base_url: str, prefix: str, interval: float) -> None:
        self.base_url, self.prefix, self.interval = base_url, prefix, interval
        self.seen_at: dict[str, float] = {}
        self.requests = 0
        self.cpu_s = 0.0
        self.expected = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self, expected: int) -> ApiPoller:
        self.expected = expected
        self._thread.start()
        return self

    def _poll_once(self, api: httpx.Client) -> None:
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"sort": "-created", "limit": 100}
            if cursor:
                params["cursor"] = cursor
            page = api.get("/api/v1/cases", params=params).json()
            self.requests += 1
            now = time.perf_counter()
            fresh = 0
            for case in page["items"]:
                title = case["title"]
                if title.startswith(self.prefix) and title not in self.seen_at:
                    self.seen_at[title] = now
                    fresh += 1
            # a full page of new cases: older new ones may be on the next page
            cursor = page.get("next")
            if fresh < len(page["items"]) or not cursor:
                return

    def _run(self) -> None:
        started = time.thread_time()
        with httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30) as api:
            while not self._done.is_set() and len(self.seen_at) < self.expected:
                self._poll_once(api)
                time.sleep(self.interval)
        self.cpu_s = time.thread_time() - started

    def wait(self, timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while len(self.seen_at) < self.expected and time.perf_counter() < deadline:
            time.sleep(0.1)
        self._done.set()
        self._thread.join(30)


def bench_mail(i: int, run: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"sender{i}@bench.example"
    msg["To"] = "support@example.com"
    msg["Subject"] = f"bench mail {run} {i:05d}"
    msg["Message-ID"] = f"<bench-{run}-{i}@bench.example>"
    msg.set_content(f"Benchmark message {i}\n" + "lorem ipsum " * 40)
    return msg


def send_mails(smtp_port: int, messages: list[EmailMessage], connections: int, sent_at: dict[str, float]) -> None:
    def send(batch: list[EmailMessage]) -> None:
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=60) as smtp:
            for msg in batch:
                sent_at[str(msg["Subject"])] = time.perf_counter()
                smtp.send_message(msg)

    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(send, [messages[k::connections] for k in range(connections)]))


def bench_smtp(system: System, total: int, connections: int, poll_interval: float) -> dict[str, Any]:
    """`total` mails over SMTP until every case is visible in the API, with each process's CPU per mail."""
    # warm-up outside the measurement: first connections, caches, prepared statements
    warm = ApiPoller(system.gateway_url, "bench mail warm ", poll_interval).start(20)
    send_mails(system.smtp_port, [bench_mail(i, "warm") for i in range(20)], connections, {})
    warm.wait(120)
    meter = CpuMeter(system)
    meter.measure_idle(5.0)
    run = f"r{int(time.time())}"
    messages = [bench_mail(i, run) for i in range(total)]
    sent_at: dict[str, float] = {}
    poller = ApiPoller(system.gateway_url, f"bench mail {run} ", poll_interval).start(total)
    meter.start()
    started = time.perf_counter()
    send_mails(system.smtp_port, messages, connections, sent_at)
    accepted = time.perf_counter() - started
    poller.wait(900)
    seen_at = poller.seen_at
    elapsed = max(seen_at.values()) - started if seen_at else float("nan")
    cpu = meter.stop(total)
    backlog = meter.backlog_summary()
    latencies = [seen_at[s] - sent_at[s] for s in sent_at if s in seen_at]
    per_poll = poll_cost(system, 30)
    return {
        "mails": total,
        "smtp_connections": connections,
        "visible": len(seen_at),
        "smtp_accept_per_s": round(total / accepted, 1),
        "end_to_end_per_s": round(len(seen_at) / elapsed, 1),
        "visible_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "visible_p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "visible_max_ms": round(max(latencies) * 1000, 1),
        "api_poll_interval_ms": round(poll_interval * 1000),
        "api_poll_requests": poller.requests,
        "api_poller_thread_cpu_ms_per_mail": round(1000 * poller.cpu_s / total, 2),
        "api_poll_cpu_ms_per_request": per_poll,
        "cpu_ms_per_mail": cpu,
        "backlog_during_run": backlog,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1000, help="API case creations (0: skip)")
    parser.add_argument("--mails", type=int, default=300)
    parser.add_argument("--connections", type=int, default=4, help="SMTP connections sending at once")
    parser.add_argument("--poll-interval", type=float, default=0.2, help="seconds between API visibility polls")
    parser.add_argument(
        "--preload",
        type=int,
        nargs="+",
        default=[0],
        help="cases generated into the cases database before the services start (bench/dataset.py); "
        "several values run one fresh system each, e.g. --preload 0 100000",
    )
    args = parser.parse_args()
    runs: list[dict[str, Any]] = []
    for preload in args.preload:
        with tempfile.TemporaryDirectory() as tmp, running_system(Path(tmp), start=False) as (system, _sink):
            if preload:
                preload_cases(system.databases["cases"], preload, progress=False)
            system.start()
            result: dict[str, Any] = {"preloaded_cases": preload}
            if args.cases:
                result["api_case_creation"] = asyncio.run(bench_api(system.gateway_url, args.cases, 8))
            result["smtp_ingest"] = bench_smtp(system, args.mails, args.connections, args.poll_interval)
            runs.append(result)
        print(json.dumps(result, indent=2), file=sys.stderr, flush=True)
    print(
        json.dumps(
            {
                "runs": runs,
                "load_average_at_end": os.getloadavg(),
                "mean_note": "single machine, 2 cores; every service one process; PostgreSQL + RabbitMQ local",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
