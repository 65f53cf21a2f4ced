"""CPU milliseconds per read request, per process (gateway, cases worker), at a million cases.

Wall-clock latency on a 2-core machine shared with other work mostly measures the other work; CPU time
per request does not. Starts the cases worker and the gateway against the search benchmark's database
(`bench/dataset.py`, built by bench/search.py), sends `--requests` requests per endpoint one at a time
as the busiest agent, and reads each process's user+system CPU from /proc/<pid>/stat before and after
(idle CPU, measured first, subtracted pro rata). `--profile gateway|cases` runs that process under
bench/profile_runner.py (CPU-time cProfile + SQL statement counts, written to /tmp/mgbench/read.<name>.*).

`--py-spy PATH` samples both processes with py-spy (a binary, e.g. `pip install --target /tmp/pyspy py-spy`)
during the measured requests, active samples only, into /tmp/mgbench/read.<name>.pyspy.txt (collapsed stacks;
`bench/read_cpu.py --top FILE` prints the functions with the most own and total samples).

Usage: .venv/bin/python bench/read_cpu.py [--cases 1000000] [--requests 100] [--profile gateway] [--py-spy PATH]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from cpu_per_mail import PROFILE_DIR, Profiled, cpu_seconds  # noqa: E402
from dataset import cases_database  # noqa: E402
from search import SEARCH_WORDS, VIEWS, agent_key, busiest_agent, sample_case_ids  # noqa: E402
from system import System, running_system  # noqa: E402

PROCESSES = ("gateway", "cases")


class OnDataset(NamedTuple):
    """A system on the search benchmark's database, and who and what to read there."""

    system: System
    agent_id: int
    agent_email: str
    case_ids: list[int]


@contextlib.contextmanager
def on_dataset(cases: int, sample: int) -> Iterator[OnDataset]:
    """`running_system` (no process started yet) on the search benchmark's database of `cases` cases
    (bench/dataset.py: built the first time, then kept), with the agent who has the most open cases and
    `sample` case ids to open. Shared by the read-path benchmarks (read_cpu, gateway_cpu)."""
    cases_url = cases_database(cases, messages_per_case=3, seed=1, rebuild=False)
    agent_id, agent_email, _open = busiest_agent(cases_url)
    case_ids = sample_case_ids(cases_url, sample, 1)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_system(Path(tmp), start=False, databases={"cases": cases_url}) as (system, _),
    ):
        yield OnDataset(system, agent_id, agent_email, case_ids)


def read_endpoints(
    requests: int, case_ids: list[int], search_id: int | str, words: Sequence[str] = SEARCH_WORDS
) -> dict[str, list[str]]:
    """The measured reads by name, `requests` of each (one per case id for case pages): the inbox views,
    a case page, a keyword search (cycling through `words`) and the count of saved search `search_id`."""
    return {
        **{f"view_{v}": [f"/api/v1/views/{v}/cases"] * requests for v in VIEWS},
        "case_detail": [f"/api/v1/cases/{i}" for i in case_ids],
        "keyword_search": [f"/api/v1/search?q={words[i % len(words)]}" for i in range(requests)],
        "saved_search_count": [f"/api/v1/saved-searches/{search_id}/count"] * requests,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100, help="per endpoint")
    parser.add_argument("--profile", choices=PROCESSES, default=None)
    parser.add_argument("--py-spy", dest="py_spy", default=None, help="path of the py-spy binary")
    parser.add_argument("--only", default=None, help="measure only the endpoints whose name contains this")
    parser.add_argument("--top", type=Path, default=None, help="summarise a py-spy file and exit")
    args = parser.parse_args()
    if args.top:
        print_top(args.top)
        return
    with on_dataset(args.cases, args.requests) as (system, _agent_id, agent_email, case_ids):
        if args.profile:
            plain = system.process(args.profile)
            profiled = Profiled(plain.package, plain.command, plain.env, plain.health_url, system.var_dir / "logs")
            PROFILE_DIR.mkdir(exist_ok=True)
            profiled.out = PROFILE_DIR / f"read.{args.profile}"
            system.processes[args.profile] = profiled
        system.start(*PROCESSES)
        key = agent_key(system.databases["gateway"], agent_email)
        pids = {n: system.processes[n].proc.pid for n in PROCESSES}  # type: ignore[union-attr]
        with httpx.Client(base_url=system.gateway_url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as api:
            resp = api.post(
                "/api/v1/saved-searches",
                json={
                    "name": "bench: cpu",
                    "filters": {"statuses": ["open", "waiting"], "priorities": ["high", "urgent"]},
                },
            )
            resp.raise_for_status()
            search_id = resp.json()["id"]
            endpoints = read_endpoints(args.requests, case_ids, search_id)
            if args.only:
                endpoints = {k: v for k, v in endpoints.items() if args.only in k}
            for paths in endpoints.values():  # warm every path (imports, caches, prepared statements)
                for path in paths[:10]:
                    api.get(path)
            start, t0 = {n: cpu_seconds(p) for n, p in pids.items()}, time.perf_counter()
            time.sleep(3)
            idle = {n: (cpu_seconds(p) - start[n]) / (time.perf_counter() - t0) for n, p in pids.items()}
            figures: dict[str, Any] = {}
            spies = [] if not args.py_spy else [
                subprocess.Popen(
                    [args.py_spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "500", "--nonblocking",
                     "--output", str(PROFILE_DIR / f"read.{n}.pyspy.txt")],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
                for n, pid in pids.items()
            ]  # fmt: skip
            if spies:
                PROFILE_DIR.mkdir(exist_ok=True)
                time.sleep(2)
            for name, paths in endpoints.items():
                before, t0 = {n: cpu_seconds(p) for n, p in pids.items()}, time.perf_counter()
                walls = []
                for path in paths:
                    t = time.perf_counter()
                    r = api.get(path)
                    walls.append(time.perf_counter() - t)
                    if r.status_code not in (200, 404):
                        raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
                elapsed = time.perf_counter() - t0
                after = {n: cpu_seconds(p) for n, p in pids.items()}
                walls.sort()
                figures[name] = {
                    **{
                        f"{n}_cpu_ms": round((after[n] - before[n] - idle[n] * elapsed) * 1000 / len(paths), 2)
                        for n in pids
                    },
                    "p50_ms": round(walls[len(walls) // 2] * 1000, 1),
                }
            for spy in spies:
                spy.send_signal(signal.SIGINT)
                spy.wait(30)
            api.delete(f"/api/v1/saved-searches/{search_id}")
    print(json.dumps({"cases": args.cases, "requests": args.requests, "concurrency": 1, **figures}, indent=1))


def print_top(path: Path, rows: int = 40) -> None:
    """The functions with the most samples in a py-spy collapsed-stack file: own, then total."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f.split(" (")[0] + " " + f.rpartition("/")[2].split(":")[0] for f in stack.split(";")]
        samples += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            total[frame] += int(count)
    print(f"{samples} samples")
    for title, counter in (("own", own), ("total", total)):
        print(f"--- {title}")
        for frame, count in counter.most_common(rows):
            print(f"{100 * count / samples:5.1f}%  {frame}")


if __name__ == "__main__":
    main()
