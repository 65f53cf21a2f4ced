"""The cases worker's cost per RPC, from outside: CPU ms and profiled Python function calls (decision 0163).

Starts the cases worker (as bench/read_cpu.py does, on the search benchmark's database, `bench/dataset.py`)
and calls it straight over AMQP with `chassis.rpc_client.RpcClient` (no gateway): `health` (a handler that
does nothing, so its whole cost is nameko's and the chassis' per-call work: receive, decode, spawn the
worker, dependency hooks, reply, ack) and `view_cases` (the inbox view `mine` of the busiest agent, as the
gateway asks it). CPU ms per call come from /proc (idle rate subtracted; median of `--rounds`).

`--profile` runs the worker under bench/profile_runner.py with profiling windows: after the plain rounds,
one more round per endpoint is profiled (CPU-time cProfile, /tmp/mgbench/worker.<endpoint>.prof), giving the
Python function calls per RPC, a count that does not move with the load of the shared machine (this VM has no
hardware PMU, so bench/gateway_cpu.py's instruction counter is not available here).
`--concurrency N` keeps N calls in flight (the bench's 4 agents). To compare with another version of the code,
put its `chassis` first on PYTHONPATH (e.g. `git archive HEAD libs/chassis/src | tar -x -C /tmp/head`).

Usage: .venv/bin/python bench/worker_cpu.py [--cases 20000] [--requests 500] [--rounds 5] [--concurrency 1] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import signal
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from cpu_per_mail import PROFILE_DIR, Profiled, cpu_seconds  # noqa: E402
from read_cpu import on_dataset  # noqa: E402

from chassis.rpc_client import RpcClient  # noqa: E402
from contracts.errors import SERVICE_UNAVAILABLE, DomainError  # noqa: E402


async def calls(client: RpcClient, method: str, kwargs: dict[str, Any], requests: int, concurrency: int) -> None:
    queue = list(range(requests))

    async def one_caller() -> None:
        while queue:
            queue.pop()
            await client.call_json("cases", method, **kwargs)

    await asyncio.gather(*(one_caller() for _ in range(concurrency)))


async def profiled_window(
    client: RpcClient, pid: int, name: str, method: str, kwargs: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    """Profile `requests` calls in the worker (bench/profile_runner.py windows): Python function calls per RPC
    (the same for the same code whatever the load) and the profiler's CPU ms per RPC; the profile is kept in
    /tmp/mgbench/worker.<name>.prof."""
    out = PROFILE_DIR / "worker.cases"
    done = Path(str(out) + ".prof.done")
    done.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    await asyncio.sleep(0.2)
    await calls(client, method, kwargs, args.requests, args.concurrency)
    os.kill(pid, signal.SIGUSR2)
    while not done.exists():
        await asyncio.sleep(0.05)
    kept = PROFILE_DIR / f"worker.{name}.prof"
    Path(str(out) + ".prof").replace(kept)
    stats = pstats.Stats(str(kept))
    return {
        "profiled_function_calls_per_call": round(stats.total_calls / args.requests),  # type: ignore[attr-defined]
        "profiled_cpu_ms_per_call": round(stats.total_tt * 1000 / args.requests, 3),  # type: ignore[attr-defined]
    }


async def measure(amqp_uri: str, pid: int, agent_id: int, args: argparse.Namespace) -> dict[str, Any]:
    client = RpcClient(amqp_uri, timeout=30, name="bench-worker-cpu")
    await client.connect()
    viewer = {"agent_id": agent_id, "is_admin": False}
    endpoints: dict[str, tuple[str, dict[str, Any]]] = {
        "health": ("health", {}),
        "view_mine": ("view_cases", {"viewer": viewer, "key": "mine", "cursor": None, "limit": 25}),
    }
    figures: dict[str, Any] = {}
    try:
        # the ops server answers before nameko's consumer has bound the queue: wait for the first answer
        for _ in range(300):
            try:
                await client.call("cases", "health", timeout=5)
                break
            except DomainError as exc:
                if exc.code != SERVICE_UNAVAILABLE:
                    raise
                await asyncio.sleep(0.1)
        for method, kwargs in endpoints.values():  # warm every path (imports, caches, prepared statements)
            await calls(client, method, kwargs, 50, args.concurrency)
        start, wall = cpu_seconds(pid), time.perf_counter()
        await asyncio.sleep(3)
        idle = (cpu_seconds(pid) - start) / (time.perf_counter() - wall)
        for name, (method, kwargs) in endpoints.items():
            cpus = []
            for _ in range(args.rounds):
                cpu, wall = cpu_seconds(pid), time.perf_counter()
                await calls(client, method, kwargs, args.requests, args.concurrency)
                elapsed = time.perf_counter() - wall
                cpus.append((cpu_seconds(pid) - cpu - idle * elapsed) * 1000 / args.requests)
            cpus.sort()
            figures[name] = {"cpu_ms_per_call_median": round(cpus[len(cpus) // 2], 3), "cpu_ms_min": round(cpus[0], 3)}
            if args.profile:
                figures[name].update(await profiled_window(client, pid, name, method, kwargs, args))
            print(name, figures[name], flush=True)
    finally:
        await client.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=500, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile the worker (CPU time)")
    args = parser.parse_args()
    with on_dataset(args.cases, sample=0) as (system, agent_id, _email, _ids):
        if args.profile:
            plain = system.process("cases")
            profiled = Profiled(plain.package, plain.command, plain.env, plain.health_url, system.var_dir / "logs")
            PROFILE_DIR.mkdir(exist_ok=True)
            profiled.out = PROFILE_DIR / "worker.cases"
            profiled.env = {**plain.env, "PROFILE_RUNNER_WINDOWS": "1"}
            system.processes["cases"] = profiled
        system.start("cases")
        pid = system.processes["cases"].proc.pid  # type: ignore[union-attr]
        figures = asyncio.run(measure(system.amqp_uri, pid, agent_id, args))
    print(json.dumps({"cases": args.cases, "requests": args.requests, "concurrency": args.concurrency, **figures}))
    if args.profile:
        print(f"profiles: {PROFILE_DIR}/worker.<endpoint>.prof (python -m pstats)", file=sys.stderr)


if __name__ == "__main__":
    main()
