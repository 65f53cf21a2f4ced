"""`make test`: every test suite in its own pytest process (nameko suites need eventlet, web suites must not
have it), two at a time, then one closing line with the totals.

`make test-unit` (`--unit`) runs only the unit tests, the same way: every `services/*/tests/unit` and
`libs/*/tests/unit`, and a library's whole `tests/` when it has no unit/integration split. They need no
PostgreSQL, RabbitMQ, Redis or browser, and take well under a minute.

Usage: scripts/test.py [suite-path ...]   (default: all suites)
       scripts/test.py --unit
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# longest first (measured: gateway ~7 min, e2e ~4.5, notifications ~4, cases ~3, mail-gateway ~2.5), so the
# two workers finish together instead of one waiting on a long suite started last
SUITES = [
    "services/gateway/tests",
    "tests/e2e",
    "services/notifications/tests",
    "services/cases/tests",
    "services/mail-gateway/tests",
    "services/portal/tests",
    "libs/chassis/tests",
    "services/reports/tests",
    "libs/contracts/tests",
    "tests/ops",
]


def unit_suites(root: Path = ROOT) -> list[str]:
    """Every unit-test folder, found rather than listed, so a new service's unit tests are run without an edit."""
    found = [*root.glob("services/*/tests/unit"), *root.glob("libs/*/tests/unit")]
    for tests in root.glob("libs/*/tests"):
        if not (tests / "unit").is_dir() and not (tests / "integration").is_dir():
            found.append(tests)
    # the longest first (mail-gateway's real-mail corpus, then cases), so the two workers finish together
    longest = ["services/mail-gateway/tests/unit", "services/cases/tests/unit"]
    names = sorted(str(path.relative_to(root)) for path in found if path.is_dir())
    return sorted(names, key=lambda name: longest.index(name) if name in longest else len(longest))


def run_suite(suite: str, report_dir: Path) -> tuple[str, dict[str, int], str, float]:
    report = report_dir / (suite.replace("/", "_") + ".xml")
    started = time.monotonic()
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "pytest", suite, "-q", "-rfEs", f"--junitxml={report}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if report.exists():
        # our own pytest just wrote this file
        for suite_el in ET.parse(report).getroot().iter("testsuite"):  # noqa: S314
            for key in counts:
                counts[key] += int(suite_el.get(key, 0))
    if proc.returncode not in (0, 5) and counts["failures"] + counts["errors"] == 0:
        counts["errors"] += 1  # pytest itself failed (collection, crash)
    return suite, counts, proc.stdout + proc.stderr, time.monotonic() - started


def main(argv: list[str]) -> int:
    default = unit_suites() if argv == ["--unit"] else [s for s in SUITES if (ROOT / s).exists()]
    suites = [] if argv == ["--unit"] else argv
    suites = suites or default
    jobs = int(os.environ.get("HELPDESK_TEST_JOBS", "2"))
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(jobs) as pool:
        for suite, counts, output, seconds in pool.map(lambda s: run_suite(s, Path(tmp)), suites):
            failed = counts["failures"] + counts["errors"]
            passed = counts["tests"] - failed - counts["skipped"]
            totals["passed"] += passed
            totals["failed"] += failed
            totals["skipped"] += counts["skipped"]
            print(f"\n===== {suite}: {passed} passed, {failed} failed, {counts['skipped']} skipped ({seconds:.0f}s)")
            if failed or os.environ.get("VERBOSE"):
                print(output)
            else:
                print("\n".join(output.strip().splitlines()[-3:]))
            sys.stdout.flush()
    print(f"\n{totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped")
    return 1 if totals["failed"] or totals["passed"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
