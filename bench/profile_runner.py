"""Run `python -m <package> <command>` under cProfile with CPU time (not wall time) and count SQL statements.

Used by bench/cpu_per_mail.py --profile. Writes <out>.prof (pstats) and <out>.sql.json
(statement text -> count) when the process exits (SIGTERM -> nameko's normal shutdown).

With PROFILE_RUNNER_WINDOWS=1 in the environment the profiler starts off: SIGUSR1 clears and starts it,
SIGUSR2 stops it and writes <out>.prof (then <out>.prof.done), so a caller can profile just a measured window
(bench/worker_cpu.py).
Usage: python bench/profile_runner.py <out> <package> <command>
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import cProfile
import json
import os
import runpy
import signal
import sys
import time

out, package, command = sys.argv[1:4]
statements: collections.Counter[str] = collections.Counter()


def _count(conn: object, cursor: object, statement: str, *args: object) -> None:
    statements[" ".join(statement.split())[:300]] += 1


from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

event.listen(Engine, "before_cursor_execute", _count)
profiler = cProfile.Profile(time.process_time)


def _dump() -> None:
    profiler.disable()
    profiler.dump_stats(out + ".prof")
    with open(out + ".sql.json", "w") as fh:
        json.dump(statements.most_common(), fh, indent=1)


def _window_start(*_: object) -> None:
    global profiler
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()


def _window_end(*_: object) -> None:
    profiler.disable()
    profiler.dump_stats(out + ".prof")
    with open(out + ".prof.done", "w"):
        pass


sys.argv = [package, command]
if os.environ.get("PROFILE_RUNNER_WINDOWS") == "1":
    signal.signal(signal.SIGUSR1, _window_start)
    signal.signal(signal.SIGUSR2, _window_end)
else:
    atexit.register(_dump)
    profiler.enable()
with contextlib.suppress(SystemExit):
    runpy.run_module(package, run_name="__main__", alter_sys=True)
