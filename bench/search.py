"""Benchmark of search and inbox views at a million cases; prints JSON figures and writes the query plans.

Builds (or reuses, keyed by size) a PostgreSQL cases database holding `--cases` generated cases
(`bench/dataset.py`), starts the whole system against it (every service as its real process), and
measures through the REST API at `--concurrency` (default 4), as an agent (a non-admin API key
linked to the generated agent with the most open cases):

- inbox views: GET /api/v1/views/{mine,unanswered,my_groups}/cases
- case detail: GET /api/v1/cases/{id} (random cases)
- keyword search: GET /api/v1/search?q= (words in English, Norwegian, Swedish, German; whole and partial)
- saved-search count: GET /api/v1/saved-searches/{id}/count

Then EXPLAIN (ANALYZE, BUFFERS) of every SELECT those requests run in the cases service (captured
by calling the same service functions in-process), written to `--plans` (default bench/plans-search-<cases>.txt).

`--load wrk` drives the same request paths with `wrk` (Debian package `wrk`; C, one thread) and the Lua
script bench/search.lua instead of the Python httpx client, so the load generator takes less of the 2 cores
the system under test runs on; `--load both` measures each endpoint both ways (decision 0137). With `--cpu`,
each wrk run also reports every process's CPU ms per request (gateway, cases worker, RabbitMQ, the PostgreSQL
backends; bench/process_cpu.py, idle rates measured first and subtracted in `minus_idle`).

Usage: .venv/bin/python bench/search.py --cases 1000000 [--requests 400] [--cases-workers 2] [--rebuild]
       [--load httpx|wrk|both] [--wrk-seconds 10] [--wrk-warmup 10] [--cpu]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from dataset import cases_database  # noqa: E402
from process_cpu import CpuMeter  # noqa: E402
from system import running_system  # noqa: E402

from chassis.testing import ServiceProcess, free_port  # noqa: E402

SEARCH_WORDS = [
    "skrivaren",
    "Rechnung",
    "refund",
    "faktura",
    "Drucker",
    "invoice",
    "passord",
    "Lieferung",
    "leveransen",
    "abonnement",
    "Anmeldung",
    "synkroniseringen",
    "skriv",  # partial words: prefixes
    "rückerst",
    "deliv",
    "Göteborg",
    "Tromsø",
    "router login",
]
VIEWS = ["mine", "unanswered", "my_groups"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure_httpx(
    client: httpx.AsyncClient, paths: list[str], concurrency: int, check: Callable[[Any], None] | None = None
) -> dict[str, Any]:
    """GET every path (spread over `concurrency` workers); latency percentiles in ms."""
    latencies: list[float] = []
    queue: asyncio.Queue[str] = asyncio.Queue()
    for path in paths:
        queue.put_nowait(path)

    async def worker() -> None:
        while not queue.empty():
            path = queue.get_nowait()
            started = time.perf_counter()
            resp = await client.get(path)
            latencies.append(time.perf_counter() - started)
            if resp.status_code != 200:
                raise RuntimeError(f"GET {path}: {resp.status_code} {resp.text[:300]}")
            if check is not None:
                check(resp.json())

    for path in paths[: min(20, len(paths))]:  # warm-up outside the measurement
        (await client.get(path)).raise_for_status()
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "requests": len(paths),
        "client_cpu_ms": round(cpu * 1000 / len(paths), 2),  # the load generator's own CPU per request
        "concurrency": concurrency,
        "per_s": round(len(paths) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
    }


def busiest_agent(cases_url: str) -> tuple[int, str, int]:
    """The generated agent with the most open cases: (id, email, open cases)."""
    import psycopg

    with psycopg.connect(cases_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute(
            'SELECT a.id, a.email, count(*) FROM "case" c JOIN agent a ON a.id = c.assignee_id '
            "WHERE c.status NOT IN ('resolved', 'closed') GROUP BY a.id, a.email ORDER BY 3 DESC LIMIT 1"
        ).fetchone()
    if row is None:
        raise RuntimeError("the dataset has no assigned open case")
    return int(row[0]), str(row[1]), int(row[2])


def sample_case_ids(cases_url: str, count: int, seed: int) -> list[int]:
    import psycopg

    with psycopg.connect(cases_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        low, high = conn.execute('SELECT min(id), max(id) FROM "case"').fetchone() or (1, 1)
    rng = random.Random(seed)
    return [rng.randint(int(low), int(high)) for _ in range(count)]


def agent_key(gateway_url: str, agent_email: str) -> str:
    """A new non-admin API key acting as the agent (written to the gateway's database, as an admin would)."""
    from chassis.db import make_engine, make_sessionmaker
    from gateway.access import create_api_key

    engine = make_engine(gateway_url)
    try:
        _id, secret = create_api_key(
            factory=make_sessionmaker(engine), name="bench search agent", is_admin=False, agent_email=agent_email
        )
    finally:
        engine.dispose()
    return secret


def explain_hot_queries(cases_url: str, agent_id: int, search_id: int, case_id: int) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of each SELECT the measured requests run, captured from the service code."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from cases.case import reads as queries
    from cases.search import reads as service
    from chassis.db import make_engine
    from contracts.search import Viewer

    engine = make_engine(cases_url)
    captured: list[tuple[str, Any]] = []
    capturing = [True]

    @event.listens_for(engine, "before_cursor_execute")
    def _capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        if capturing[0]:
            captured.append((statement, parameters))

    viewer = Viewer(agent_id=agent_id, is_admin=False)

    def view(key: str) -> Callable[[Session], Any]:
        return lambda s: service.view_cases(session=s, viewer=viewer, key=key, cursor=None, limit=25)

    def search(q: str) -> Callable[[Session], Any]:
        return lambda s: service.search_cases(session=s, viewer=viewer, q=q, cursor=None, limit=25)

    calls: list[tuple[str, Callable[[Session], Any]]] = [
        *[(f"GET /views/{key}/cases", view(key)) for key in VIEWS],
        (f"GET /cases/{case_id}", lambda s: queries.get_case(session=s, case_id=case_id, viewer=viewer)),
        ("GET /search?q=faktura", search("faktura")),
        ("GET /search?q=skriv", search("skriv")),
        (
            f"GET /saved-searches/{search_id}/count",
            lambda s: service.saved_search_count(session=s, viewer=viewer, search_id=search_id),
        ),
    ]
    out: list[str] = []
    try:
        for label, call in calls:
            with Session(engine) as session:
                capturing[0], captured[:] = True, []
                call(session)  # warm: the plans below are of a warm cache, as in the measurement
                captured[:] = []
                call(session)
                capturing[0] = False
                statements = [
                    (sql, params) for sql, params in captured if sql.lstrip().upper().startswith(("SELECT", "WITH"))
                ]
                out.append(f"=== {label}: {len(statements)} SELECT statement(s)")
                for sql, params in statements:
                    rows = session.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).all()
                    out.append(f"--- {sql.strip()}\n--- params: {params}")
                    out.extend(str(r[0]) for r in rows)
                out.append("")
    finally:
        engine.dispose()
    return "\n".join(out)


def measure_wrk(base_url: str, key: str, paths: list[str], concurrency: int, seconds: float) -> dict[str, Any]:
    """The same paths through `wrk` (closed loop, `concurrency` connections, one thread) for `seconds`."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("--load wrk needs the wrk binary: apt-get install wrk (scripts/ensure-infra.sh)")
    with tempfile.NamedTemporaryFile("w", suffix=".paths", delete=False) as fh:
        fh.write("\n".join(paths) + "\n")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        out = subprocess.run(
            [wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
             "-s", str(ROOT / "bench" / "search.lua"), "-H", f"Authorization: Bearer {key}", base_url, "--", fh.name],
            capture_output=True, text=True, timeout=seconds + 60,
        )  # fmt: skip
    finally:
        Path(fh.name).unlink()
    if out.returncode != 0 or not out.stdout.strip():
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr.strip()[:500]}")
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the only child reaped meanwhile
    cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    figures["client_cpu_ms"] = round(cpu * 1000 / max(1, figures["requests"]), 3)
    if figures["non_2xx"] or figures["socket_errors"]:
        raise RuntimeError(f"wrk: {figures['non_2xx']} non-2xx answers, {figures['socket_errors']} socket errors")
    return {"load": "wrk", "concurrency": concurrency, **figures}


async def run(
    base_url: str,
    key: str,
    *,
    requests: int,
    concurrency: int,
    case_ids: list[int],
    load: str = "httpx",
    wrk_seconds: float = 10.0,
    wrk_warmup: float = 0.0,
    meter: CpuMeter | None = None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"}
    rng = random.Random(7)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:

        async def measure(
            client: httpx.AsyncClient, paths: list[str], concurrency: int, check: Callable[[Any], None] | None = None
        ) -> dict[str, Any]:
            """`measure_httpx` and/or `measure_wrk`, as --load says (wrk after the httpx warm-up)."""
            found: dict[str, Any] = {}
            if load in ("httpx", "both"):
                found = {"load": "httpx", **await measure_httpx(client, paths, concurrency, check)}
            if load in ("wrk", "both"):
                for path in paths[: min(20, len(paths))]:  # warm-up outside the measurement
                    (await client.get(path)).raise_for_status()
                if wrk_warmup > 0:  # the same load, unmeasured: caches, prepared statements, pools at steady state
                    measure_wrk(base_url, key, paths, concurrency, wrk_warmup)
                if meter is not None:
                    meter.start()
                by_wrk = measure_wrk(base_url, key, paths, concurrency, wrk_seconds)
                if meter is not None:  # every process's CPU per request during the wrk run (wrk's own: client_cpu_ms)
                    by_wrk["cpu_ms"] = meter.stop(by_wrk["requests"], unit="request")
                found = by_wrk if load == "wrk" else {**found, "wrk": by_wrk}
            return found

        resp = await client.post(
            "/api/v1/saved-searches",
            json={
                "name": f"bench: urgent open work {int(time.time())}",
                "filters": {"statuses": ["open", "waiting"], "priorities": ["high", "urgent"]},
            },
        )
        if resp.status_code != 201:
            raise RuntimeError(f"saved search: {resp.status_code} {resp.text}")
        search_id = int(resp.json()["id"])
        figures: dict[str, Any] = {}
        for view in VIEWS:
            figures[f"inbox_view_{view}"] = await measure(
                client, [f"/api/v1/views/{view}/cases"] * requests, concurrency
            )
        figures["case_detail"] = await measure(client, [f"/api/v1/cases/{i}" for i in case_ids[:requests]], concurrency)
        words = [rng.choice(SEARCH_WORDS) for _ in range(requests)]
        figures["keyword_search"] = await measure(client, [f"/api/v1/search?q={quote(w)}" for w in words], concurrency)
        figures["saved_search_count"] = await measure(
            client, [f"/api/v1/saved-searches/{search_id}/count"] * requests, concurrency
        )
        views = (await client.get("/api/v1/views")).json()
        figures["view_counts"] = {v["key"]: v["count"] for v in views.get("items", [])}
        figures["saved_search_id"] = search_id
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--messages-per-case", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=400, help="per endpoint")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rebuild", action="store_true", help="generate the dataset again")
    parser.add_argument("--cases-workers", type=int, default=1, help="cases worker processes (default 1)")
    parser.add_argument("--plans", type=Path, default=None, help="default: bench/plans-search-<cases>.txt")
    parser.add_argument("--load", choices=("httpx", "wrk", "both"), default="httpx", help="the load generator")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="per endpoint, with --load wrk/both")
    parser.add_argument(
        "--wrk-warmup", type=int, default=10, help="seconds of unmeasured wrk load before each measured wrk run"
    )
    parser.add_argument(
        "--cpu", action="store_true", help="with --load wrk/both: CPU ms per request of each process (process_cpu.py)"
    )
    args = parser.parse_args()
    args.plans = args.plans or ROOT / "bench" / f"plans-search-{args.cases}.txt"

    started = time.perf_counter()
    cases_url = cases_database(
        args.cases, messages_per_case=args.messages_per_case, seed=args.seed, rebuild=args.rebuild
    )
    dataset_seconds = time.perf_counter() - started
    agent_id, agent_email, open_cases = busiest_agent(cases_url)
    case_ids = sample_case_ids(cases_url, args.requests, args.seed)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_system(Path(tmp), databases={"cases": cases_url}) as (system, _),
        contextlib.ExitStack() as extra,
    ):
        for _n in range(args.cases_workers - 1):  # competing consumers of the same RPC queues
            port = free_port()
            worker = ServiceProcess(
                "cases", "worker", {**system.env, "CASES_OPS_PORT": str(port)},
                f"http://127.0.0.1:{port}/healthz", system.var_dir / f"logs-cases-{port}",
            )  # fmt: skip
            worker.start(timeout=60)
            extra.callback(worker.stop)
        key = agent_key(system.databases["gateway"], agent_email)
        meter = None
        if args.cpu:
            meter = CpuMeter(system)
            meter.measure_idle(5.0)
        figures = asyncio.run(
            run(
                system.gateway_url,
                key,
                requests=args.requests,
                concurrency=args.concurrency,
                case_ids=case_ids,
                load=args.load,
                wrk_seconds=args.wrk_seconds,
                wrk_warmup=args.wrk_warmup,
                meter=meter,
            )
        )
        plans = explain_hot_queries(cases_url, agent_id, figures["saved_search_id"], case_ids[0])
        headers = {"Authorization": f"Bearer {key}"}
        httpx.delete(f"{system.gateway_url}/api/v1/saved-searches/{figures['saved_search_id']}", headers=headers)
    args.plans.write_text(
        f"# bench/search.py --cases {args.cases}: EXPLAIN (ANALYZE, BUFFERS) of the hot queries\n\n{plans}\n",
        encoding="utf-8",
    )
    result = {
        "cases": args.cases,
        "messages_per_case": args.messages_per_case,
        "dataset_ready_s": round(dataset_seconds, 1),
        "agent": {"id": agent_id, "email": agent_email, "open_cases": open_cases},
        "cases_workers": args.cases_workers,
        **figures,
        "plans": str(args.plans),
        "note": "2 cores shared by every service, PostgreSQL and the load generator",
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
