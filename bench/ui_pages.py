"""The agent UI's server time for the case list page and the case page at 100,000 cases (the target: p95 <= 50 ms).

Starts the cases worker and the gateway against the search benchmark's database (`bench/dataset.py`, built the
first time, then kept), signs in to the agent UI as the busiest agent (a password set in the gateway's
database, as an operator would), and requests each page `--requests` times, one at a time, over HTTP on this
machine: the time to the last byte is the gateway's server time plus the loopback (well under a millisecond).
Each process's user+system CPU per request is read from /proc/<pid>/stat around each page's run, the idle
rate (measured first) subtracted, so figures taken on a loaded machine compare with quiet ones.

Pages: `/` (the list: views and saved searches with counts, the first 25 cases, the filter pickers),
`/?sort=-updated&status=open` (a filtered, sorted list), `/cases/{id}` (a case page: conversation, composer,
side panel, work tabs, SLA), one case id per request from a sample of the dataset.

`--seed` picks the dataset (a different seed is a database of its own: one whose migrations are not those of
other checkouts on the same PostgreSQL).

Usage: .venv/bin/python bench/ui_pages.py [--cases 100000] [--requests 200] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from cpu_per_mail import cpu_seconds  # noqa: E402
from dataset import cases_database  # noqa: E402
from search import busiest_agent, sample_case_ids  # noqa: E402
from system import running_system  # noqa: E402

PROCESSES = ("gateway", "cases")
TARGET_P95_MS = 50.0


def _set_password(gateway_url: str, email: str, password: str) -> None:
    from chassis.db import make_engine, make_sessionmaker
    from gateway.access import set_agent_password

    engine = make_engine(gateway_url)
    try:
        set_agent_password(factory=make_sessionmaker(engine), email=email, password=password)
    finally:
        engine.dispose()


def _sign_in(client: httpx.Client, email: str, password: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if token is None:
        raise RuntimeError("no CSRF token on the sign-in page")
    resp = client.post("/login", data={"email": email, "password": password, "csrf_token": token.group(1), "next": "/"})
    if resp.status_code != 303:
        raise RuntimeError(f"sign-in failed: {resp.status_code} {resp.text[:300]}")


def _percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, round(p * (len(sorted_values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="per page")
    parser.add_argument("--seed", type=int, default=1, help="the dataset's seed (another seed: another database)")
    args = parser.parse_args()

    cases_url = cases_database(args.cases, messages_per_case=3, seed=args.seed, rebuild=False)
    _agent_id, agent_email, _open = busiest_agent(cases_url)
    case_ids = sample_case_ids(cases_url, args.requests, args.seed)
    pages = {
        "list": ["/"] * args.requests,
        "list_filtered_sorted": ["/?status=open&sort=-updated"] * args.requests,
        "case_page": [f"/cases/{i}" for i in case_ids],
    }
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_system(Path(tmp), start=False, databases={"cases": cases_url}) as (system, _),
    ):
        system.start(*PROCESSES)
        password = f"bench-{uuid.uuid4().hex}"
        _set_password(system.databases["gateway"], agent_email, password)
        pids = {n: system.processes[n].proc.pid for n in PROCESSES}  # type: ignore[union-attr]
        figures: dict[str, Any] = {}
        with httpx.Client(base_url=system.gateway_url, timeout=60) as client:
            _sign_in(client, agent_email, password)
            for paths in pages.values():  # warm every page (imports, template compilation, caches)
                for path in paths[:10]:
                    client.get(path).raise_for_status()
            start, t0 = {n: cpu_seconds(p) for n, p in pids.items()}, time.perf_counter()
            time.sleep(3)
            idle = {n: (cpu_seconds(p) - start[n]) / (time.perf_counter() - t0) for n, p in pids.items()}
            for name, paths in pages.items():
                before, t0 = {n: cpu_seconds(p) for n, p in pids.items()}, time.perf_counter()
                walls = []
                for path in paths:
                    t = time.perf_counter()
                    resp = client.get(path)
                    walls.append(time.perf_counter() - t)
                    if resp.status_code != 200:
                        raise RuntimeError(f"{path}: {resp.status_code} {resp.text[:300]}")
                elapsed = time.perf_counter() - t0
                after = {n: cpu_seconds(p) for n, p in pids.items()}
                walls.sort()
                figures[name] = {
                    "p50_ms": round(_percentile(walls, 0.5) * 1000, 1),
                    "p95_ms": round(_percentile(walls, 0.95) * 1000, 1),
                    "max_ms": round(walls[-1] * 1000, 1),
                    **{
                        f"{n}_cpu_ms": round((after[n] - before[n] - idle[n] * elapsed) * 1000 / len(paths), 2)
                        for n in pids
                    },
                    "meets_target": _percentile(walls, 0.95) * 1000 <= TARGET_P95_MS,
                }
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(
        json.dumps(
            {"cases": args.cases, "requests": args.requests, "concurrency": 1, "load": load, **figures}, indent=1
        )
    )


if __name__ == "__main__":
    main()
