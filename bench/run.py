"""Benchmarks of the walking skeleton; prints JSON figures.

Starts the whole system (every service as its real process, PostgreSQL databases, a RabbitMQ vhost) and
measures:
- API case creation: POST /api/v1/cases at concurrency 8 -> cases/s and latency p50/p95/p99;
- SMTP ingest: mails sent over real SMTP (4 connections) -> messages/s from the first byte sent until
  the last case is visible through the API, and per-mail latency (send start -> visible in the API).

Usage: .venv/bin/python bench/run.py [--cases 1000] [--mails 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import smtplib
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from system import API_KEY, running_system


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


def bench_smtp(smtp_port: int, base_url: str, total: int, connections: int) -> dict[str, float]:
    sent_at: dict[str, float] = {}
    seen_at: dict[str, float] = {}
    done = threading.Event()

    def poll() -> None:
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30) as api:
            while not done.is_set() and len(seen_at) < total:
                page = api.get("/api/v1/cases", params={"q": "bench mail", "limit": 100}).json()
                now = time.perf_counter()
                for case in page["items"]:
                    seen_at.setdefault(case["title"], now)
                time.sleep(0.2)

    def send(batch: list[int]) -> None:
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
            for i in batch:
                msg = EmailMessage()
                msg["From"] = f"sender{i}@bench.example"
                msg["To"] = "support@example.com"
                msg["Subject"] = f"bench mail {i:05d}"
                msg.set_content(f"Benchmark message {i}\n" + "lorem ipsum " * 40)
                sent_at[msg["Subject"]] = time.perf_counter()
                smtp.send_message(msg)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    started = time.perf_counter()
    batches = [list(range(total))[k::connections] for k in range(connections)]
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(send, batches))
    accepted = time.perf_counter() - started
    deadline = time.perf_counter() + 120
    while len(seen_at) < total and time.perf_counter() < deadline:
        time.sleep(0.1)
    done.set()
    elapsed = max(seen_at.values()) - started if seen_at else float("nan")
    latencies = [seen_at[s] - sent_at[s] for s in sent_at if s in seen_at]
    return {
        "mails": total,
        "smtp_connections": connections,
        "visible": len(seen_at),
        "smtp_accept_per_s": round(total / accepted, 1),
        "end_to_end_per_s": round(len(seen_at) / elapsed, 1),
        "visible_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "visible_p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "visible_max_ms": round(max(latencies) * 1000, 1),
        "api_poll_interval_ms": 200,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--mails", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_system(Path(tmp)) as (system, _sink):
        results = {
            "api_case_creation": asyncio.run(bench_api(system.gateway_url, args.cases, 8)),
            "smtp_ingest": bench_smtp(system.smtp_port, system.gateway_url, args.mails, 4),
            "mean_note": "single machine, 2 cores; every service one process; PostgreSQL + RabbitMQ local",
        }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
