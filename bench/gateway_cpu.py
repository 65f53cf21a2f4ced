"""The gateway's own cost per read request, in-process: instructions retired and CPU ms (decisions 0159, 0165).

`bench/read_cpu.py` measures the gateway process from outside; on a shared 2-core machine its CPU time moves
with the load. Here the gateway app runs in this process, called as ASGI (no HTTP server, no HTTP client),
against the real cases worker (started as in read_cpu.py, on the search benchmark's database), and each
request is counted in user-space instructions retired by the event-loop thread (`perf_event_open`, x86-64
Linux): a figure that does not move with the load, so a change can be compared to the one before it.
Where the machine has no hardware counters (a VM without a PMU: `dmesg | grep PMU`), the counts are left out
and the Python function calls per request (one cProfile pass per endpoint, the same on every run) stand in
for them. The event-loop thread's CPU ms per request are printed too. `--profile FILE` writes the CPU-time
cProfile of those passes. The endpoints are those of read_cpu.py, a saved-search count included.

To compare with another version of the code, put its `gateway` / `chassis` first on PYTHONPATH, e.g. from
`git archive HEAD services/gateway/src | tar -x -C /tmp/head`.

Usage: .venv/bin/python bench/gateway_cpu.py [--cases 20000] [--requests 200] [--rounds 3] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import ctypes
import json
import os
import pstats
import struct
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from read_cpu import on_dataset, read_endpoints  # noqa: E402
from search import agent_key  # noqa: E402

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


async def asgi_request(app: Any, method: str, target: str, key: str, body: bytes = b"") -> tuple[int, bytes]:
    """`method target` sent to the ASGI app as uvicorn would call it: (status, body)."""
    path, _, query = target.partition("?")
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {key}".encode())]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def asgi_get(app: Any, target: str, key: str) -> tuple[int, bytes]:
    return await asgi_request(app, "GET", target, key)


def optional_instruction_counter() -> int | None:
    """`instruction_counter()`, or None where the machine has no hardware counters (a VM without a PMU)."""
    try:
        return instruction_counter()
    except OSError as exc:
        print(f"no instruction counts: {exc}; CPU ms and Python calls per request only", file=sys.stderr)
        return None


async def measure(app: Any, endpoints: dict[str, list[str]], key: str, rounds: int, profile: str | None) -> None:
    async with app.router.lifespan_context(app):
        while not app.state.ctx.rpc.connected:
            await asyncio.sleep(0.1)
        for name, paths in list(endpoints.items()):  # warm every path (a saved search is made first)
            if name == "saved_search_count":
                endpoints[name] = paths = [p.format(id=await saved_search(app, key)) for p in paths]
            for path in paths[:20]:
                status, body = await asgi_get(app, path, key)
                if status != 200:
                    raise RuntimeError(f"{path}: {status} {body[:300]!r}")
        fd = optional_instruction_counter()
        whole: pstats.Stats | None = None
        for name, paths in endpoints.items():
            counts, cpus = [], []
            for _ in range(rounds):
                start, cpu = instructions(fd) if fd is not None else 0, time.thread_time()
                for path in paths:
                    await asgi_get(app, path, key)
                # the event-loop thread only: the app's own work (key checks in the threadpool are cached)
                cpus.append((time.thread_time() - cpu) * 1000 / len(paths))
                if fd is not None:
                    counts.append((instructions(fd) - start) / len(paths))
            # Python function calls per request: the same on every run, so a change shows whatever the load
            profiler = cProfile.Profile(time.thread_time)
            profiler.enable()
            for path in paths:
                await asgi_get(app, path, key)
            profiler.disable()
            stats = pstats.Stats(profiler)
            calls = stats.total_calls / len(paths)  # type: ignore[attr-defined]
            whole = stats if whole is None else whole.add(stats)
            counts.sort()
            cpus.sort()
            figures = (
                f"instructions/request median {counts[len(counts) // 2] / 1e6:.2f}M (min {counts[0] / 1e6:.2f}M); "
                if counts
                else ""
            )
            print(
                f"{name:18s} {figures}CPU ms/request median {cpus[len(cpus) // 2]:.3f} (min {cpus[0]:.3f});"
                f" Python calls/request {calls:.0f}"
            )
        if whole and profile:
            whole.dump_stats(profile)
            whole.sort_stats("cumulative").print_stats(50)


async def saved_search(app: Any, key: str) -> int:
    """A saved search of the agent, as bench/search.py makes one, through the app itself."""
    body = json.dumps({"name": "bench: gateway cpu", "filters": {"statuses": ["open"], "priorities": ["high"]}})
    status, answer = await asgi_request(app, "POST", "/api/v1/saved-searches", key, body.encode())
    if status != 201:
        raise RuntimeError(f"saved search: {status} {answer[:300]!r}")
    return int(json.loads(answer)["id"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", default=None, help="write a CPU-time cProfile here")
    args = parser.parse_args()
    with on_dataset(args.cases, args.requests) as (system, _agent_id, agent_email, case_ids):
        system.start("cases")
        os.environ.update(system.env)
        key = agent_key(system.databases["gateway"], agent_email)
        from gateway.app import create_app

        # one keyword, so that every round does the same work; the saved search is made in `measure`
        endpoints = read_endpoints(args.requests, case_ids, "{id}", words=["invoice"])
        import uvloop  # as uvicorn runs the gateway (decision 0151)

        uvloop.run(measure(create_app(), endpoints, key, args.rounds, args.profile))


if __name__ == "__main__":
    main()
