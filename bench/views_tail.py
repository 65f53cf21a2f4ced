"""Where an inbox view's slow requests come from (bench/HISTORY.md, "Views' tail at 1M (0170)").

Starts the whole system against the `bench/dataset.py` database of `--cases` (reused, never rebuilt here),
then drives one view with a minimal keep-alive HTTP/1.1 client (asyncio streams, ~0.1 ms CPU per request,
closed loop) at each `--concurrency`, recording every request's wall-clock start and latency. Per run it
prints the percentiles and:

- `phase`: the share of slow requests (>= that run's p95) by tenth of the wall-clock second at the request's
  midpoint (a per-second event at a fixed phase would stand out in one tenth);
- `burst`: how many other slow requests lie within +-25 ms of a slow one, against what independent slow
  requests would give (stalls shared by every in-flight request show as a ratio well above 1);
- `sched`: CPU and run-queue wait (`/proc/<pid>/task/*/schedstat`) per request of the gateway, the cases
  worker, RabbitMQ and the PostgreSQL backends of the dataset's database.

Usage: .venv/bin/python bench/views_tail.py --cases 1000000 [--view mine] [--seconds 10] [--concurrency 1 4]
       [--records out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from dataset import cases_database  # noqa: E402
from search import agent_key, busiest_agent, percentile  # noqa: E402
from system import running_system  # noqa: E402

Record = tuple[float, float, int]  # wall-clock start (s), latency (ms), connection


async def _connection(host: str, port: int, key: str, path: str, stop_at: float, out: list[Record], cid: int) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n".encode()
    try:
        while time.time() < stop_at:
            wall, started = time.time(), time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                None,
            )
            if length is None:
                raise RuntimeError(f"GET {path}: no Content-Length (chunked answers are not read by this client)")
            body = await reader.readexactly(length)
            if status != 200:
                raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
            out.append((wall, (time.perf_counter() - started) * 1000, cid))
    finally:
        writer.close()


async def drive(base_url: str, key: str, path: str, seconds: float, concurrency: int) -> list[Record]:
    """`concurrency` keep-alive connections GET `path` back to back for `seconds`; every request's record."""
    host, port = base_url.split("//", 1)[1].rsplit(":", 1)
    out: list[Record] = []
    stop_at = time.time() + seconds
    await asyncio.gather(*(_connection(host, int(port), key, path, stop_at, out, c) for c in range(concurrency)))
    return sorted(out)


def analyse(records: list[Record]) -> dict[str, Any]:
    """Percentiles, the slow requests' phase in the second and their clustering in time."""
    latencies = [r[1] for r in records]
    p95 = percentile(latencies, 95)
    slow = [r[0] + r[1] / 2000 for r in records if r[1] >= p95]  # midpoints, in start order
    span = max(1e-9, records[-1][0] - records[0][0])
    phase = [0] * 10
    for t in slow:
        phase[int((t % 1) * 10)] += 1
    neighbours = [bisect.bisect_right(slow, t + 0.025) - bisect.bisect_left(slow, t - 0.025) - 1 for t in slow]
    independent = len(slow) / span * 0.05
    return {
        "requests": len(records),
        "per_s": round(len(records) / span, 1),
        **{f"p{p}_ms": round(percentile(latencies, p), 2) for p in (50, 95, 99)},
        "max_ms": round(max(latencies), 2),
        "phase_slow_by_tenth": phase,
        "burst_neighbours": round(sum(neighbours) / max(1, len(slow)), 2),
        "burst_if_independent": round(independent, 2),
    }


def schedstat(pids: list[int]) -> tuple[int, int]:
    """CPU ns and run-queue wait ns summed over every thread of `pids`."""
    cpu = wait = 0
    for pid in pids:
        for name in glob.glob(f"/proc/{pid}/task/*/schedstat"):
            try:
                run_ns, wait_ns, _slices = Path(name).read_text().split()
            except (OSError, ValueError):
                continue  # the thread ended meanwhile
            cpu, wait = cpu + int(run_ns), wait + int(wait_ns)
    return cpu, wait


def _pid(system: Any, name: str) -> int:
    proc = system.processes[name].proc
    if proc is None:
        raise RuntimeError(f"{name} is not running")
    return int(proc.pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--view", choices=("mine", "unanswered", "my_groups"), default="mine")
    parser.add_argument("--seconds", type=float, default=10.0, help="per run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 1, 4], help="one run each, in order")
    parser.add_argument("--records", type=Path, default=None, help="write every request's record here (JSON)")
    args = parser.parse_args()

    import psycopg

    cases_url = cases_database(args.cases, progress=False)
    _agent_id, agent_email, _open = busiest_agent(cases_url)
    path = f"/api/v1/views/{args.view}/cases"
    results: list[dict[str, Any]] = []
    kept: list[list[Record]] = []
    with tempfile.TemporaryDirectory() as tmp, running_system(Path(tmp), databases={"cases": cases_url}) as (system, _):
        key = agent_key(system.databases["gateway"], agent_email)
        asyncio.run(drive(system.gateway_url, key, path, 5.0, 4))  # warm-up: caches, pools, prepared statements
        database = cases_url.rsplit("/", 1)[-1]
        with psycopg.connect(cases_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            backends = [
                int(r[0]) for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))
            ]
        beam = [
            int(p) for p in subprocess.run(["pgrep", "-f", "beam.smp"], capture_output=True, text=True).stdout.split()
        ]
        groups = {
            "gateway": [_pid(system, "gateway")],
            "cases_worker": [_pid(system, "cases")],
            "postgres": backends,
            "rabbitmq": beam,
            "client": [os.getpid()],
        }
        for concurrency in args.concurrency:
            before = {name: schedstat(pids) for name, pids in groups.items()}
            records = asyncio.run(drive(system.gateway_url, key, path, args.seconds, concurrency))
            after = {name: schedstat(pids) for name, pids in groups.items()}
            sched = {
                name: {
                    "cpu_ms": round((after[name][0] - before[name][0]) / 1e6 / len(records), 2),
                    "runqueue_wait_ms": round((after[name][1] - before[name][1]) / 1e6 / len(records), 2),
                }
                for name in groups
            }
            results.append({"view": args.view, "concurrency": concurrency, **analyse(records), "sched": sched})
            kept.append(records)
            print(json.dumps(results[-1]), flush=True)
    if args.records is not None:
        args.records.write_text(json.dumps(kept), encoding="utf-8")


if __name__ == "__main__":
    main()
