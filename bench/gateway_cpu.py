"""The gateway's own cost per read request, in-process: instructions retired and CPU ms (issue 6, decision 0159).

`bench/read_cpu.py` measures the gateway process from outside; on a shared 2-core machine its CPU time moves
with the load. Here the gateway app runs in this process, called as ASGI (no HTTP server, no HTTP client),
against the real cases worker (started as in read_cpu.py, on the search benchmark's database), and each
request is counted in user-space instructions retired by the event-loop thread (`perf_event_open`, x86-64
Linux): a figure that does not move with the load, so a change can be compared to the one before it.
CPU ms (process, idle subtracted) are printed too. `--profile FILE` adds a CPU-time cProfile.

To compare with another version of the code, put its `gateway` / `chassis` first on PYTHONPATH, e.g. from
`git archive HEAD services/gateway/src | tar -x -C /tmp/head`.

Usage: .venv/bin/python bench/gateway_cpu.py [--cases 20000] [--requests 200] [--rounds 3] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import ctypes
import os
import pstats
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from dataset import cases_database  # noqa: E402
from search import VIEWS, agent_key, busiest_agent, sample_case_ids  # noqa: E402
from system import running_system  # noqa: E402

_SYS_PERF_EVENT_OPEN = 298  # x86-64


def instruction_counter() -> int:
    """A file descriptor counting user-space instructions of the calling thread."""
    # struct perf_event_attr (PERF_ATTR_SIZE_VER0): type HARDWARE, size 64, config INSTRUCTIONS, flags
    # exclude_kernel | exclude_hv
    attr = ctypes.create_string_buffer(struct.pack("IIQQQQQIIQ", 0, 64, 1, 0, 0, 0, (1 << 5) | (1 << 6), 0, 0, 0), 64)
    fd = int(ctypes.CDLL(None, use_errno=True).syscall(_SYS_PERF_EVENT_OPEN, attr, 0, -1, -1, 0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "perf_event_open (needs x86-64 Linux, perf_event_paranoid <= 2)")
    return fd


def instructions(fd: int) -> int:
    return int(struct.unpack("Q", os.read(fd, 8))[0])


async def asgi_get(app: Any, target: str, key: str) -> tuple[int, bytes]:
    """GET `target` from the ASGI app as uvicorn would call it: (status, body)."""
    path, _, query = target.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {key}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    status, body = 0, []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(body)


async def measure(app: Any, endpoints: dict[str, list[str]], key: str, rounds: int, profile: str | None) -> None:
    async with app.router.lifespan_context(app):
        while not app.state.ctx.rpc.connected:
            await asyncio.sleep(0.1)
        for paths in endpoints.values():  # warm every path
            for path in paths[:20]:
                status, body = await asgi_get(app, path, key)
                if status != 200:
                    raise RuntimeError(f"{path}: {status} {body[:300]!r}")
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.sleep(3)
        idle = (time.process_time() - cpu) / (time.perf_counter() - wall)
        fd = instruction_counter()
        profiler = cProfile.Profile(time.process_time) if profile else None
        for name, paths in endpoints.items():
            counts, cpus = [], []
            for _ in range(rounds):
                if profiler:
                    profiler.enable()
                start, cpu, wall = instructions(fd), time.process_time(), time.perf_counter()
                for path in paths:
                    await asgi_get(app, path, key)
                counts.append((instructions(fd) - start) / len(paths))
                cpus.append((time.process_time() - cpu - idle * (time.perf_counter() - wall)) * 1000 / len(paths))
                if profiler:
                    profiler.disable()
            counts.sort()
            cpus.sort()
            print(
                f"{name:16s} instructions/request median {counts[len(counts) // 2] / 1e6:.2f}M"
                f" (min {counts[0] / 1e6:.2f}M); CPU ms/request median {cpus[len(cpus) // 2]:.2f}"
            )
        if profiler and profile:
            profiler.dump_stats(profile)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(50)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", default=None, help="write a CPU-time cProfile here")
    args = parser.parse_args()
    cases_url = cases_database(args.cases, messages_per_case=3, seed=1, rebuild=False)
    _agent_id, agent_email, _open = busiest_agent(cases_url)
    case_ids = sample_case_ids(cases_url, args.requests, 1)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_system(Path(tmp), start=False, databases={"cases": cases_url}) as (system, _),
    ):
        system.start("cases")
        os.environ.update(system.env)
        key = agent_key(system.databases["gateway"], agent_email)
        from gateway.app import create_app

        endpoints = {
            **{f"view_{v}": [f"/api/v1/views/{v}/cases"] * args.requests for v in VIEWS},
            "case_detail": [f"/api/v1/cases/{i}" for i in case_ids],
            "keyword_search": ["/api/v1/search?q=invoice"] * args.requests,
        }
        import uvloop  # as uvicorn runs the gateway (decision 0151)

        uvloop.run(measure(create_app(), endpoints, key, args.rounds, args.profile))


if __name__ == "__main__":
    main()
