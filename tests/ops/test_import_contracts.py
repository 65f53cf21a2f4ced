"""The architecture's import contracts (pyproject.toml, decision 0184) hold. `make lint` runs them too; this test
puts them on the path of `make test`, so CI checks them with everything else."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_the_import_contracts_hold() -> None:
    run = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]


def test_every_package_of_the_repository_is_under_the_contracts() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/*/src/*/__init__.py") if p.parts[-5] in ("libs", "services")}
    assert set(CONFIG["root_packages"]) == packages
    services = packages - {"contracts", "chassis"}
    contracts = {c["id"]: c for c in CONFIG["contracts"]}
    assert set(contracts["services-independent"]["modules"]) == services
    assert set(contracts["libs-import-no-service"]["forbidden_modules"]) == services
    assert set(contracts["no-cycles"]["ancestors"]) == packages


def test_the_rules_of_the_architecture_are_all_declared() -> None:
    contracts = {c["id"]: c["type"] for c in CONFIG["contracts"]}
    assert contracts == {
        "services-independent": "independence",
        "libs-import-no-service": "forbidden",
        "contracts-import-no-chassis": "forbidden",
        "pure-rules": "forbidden",
        "no-cycles": "acyclic_siblings",
    }
