"""The architecture's import contracts (pyproject.toml, decision 0184) hold. `make lint` runs them too; this test
puts them on the path of `make test`, so CI checks them with everything else."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # lint-imports finds the custom contract type as scripts.import_contracts the same way

from scripts.import_contracts import modules_named, one_circle, strongly_connected  # noqa: E402

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
    assert set(contracts["no-module-cycles"]["packages"]) == packages
    assert set(contracts["no-cycles"]["ancestors"]) == packages - {"cases"} | {"cases.*"}


def test_the_rules_of_the_architecture_are_all_declared() -> None:
    contracts = {c["id"]: c["type"] for c in CONFIG["contracts"]}
    assert contracts == {
        "services-independent": "independence",
        "libs-import-no-service": "forbidden",
        "contracts-import-no-chassis": "forbidden",
        "pure-rules": "forbidden_by_name",
        "no-module-cycles": "acyclic_modules",
        "no-cycles": "acyclic_siblings",
    }


def _graph(*imports: tuple[str, str, int]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported, line in imports:
        graph.add_import(importer=importer, imported=imported, line_number=line, line_contents="import x")
    return graph


def test_a_circle_of_modules_is_found_with_the_lines_of_its_imports() -> None:
    graph = _graph(("p.a", "p.b", 3), ("p.b", "p.c", 4), ("p.c", "p.a", 5), ("p.d", "p.a", 6), ("p.b", "p.e", 7))
    modules = {"p.a", "p.b", "p.c", "p.d", "p.e"}
    assert strongly_connected(graph, modules) == [{"p.a", "p.b", "p.c"}]
    assert one_circle(graph, {"p.a", "p.b", "p.c"}) == [
        {"importer": "p.a", "imported": "p.b", "lines": [3]},
        {"importer": "p.b", "imported": "p.c", "lines": [4]},
        {"importer": "p.c", "imported": "p.a", "lines": [5]},
    ]


def test_imports_in_one_direction_and_circles_outside_the_package_are_not_circles() -> None:
    graph = _graph(("p.a", "p.b", 1), ("p.b", "p.c", 1), ("p.a", "p.c", 1), ("q.x", "q.y", 1), ("q.y", "q.x", 1))
    assert strongly_connected(graph, {"p.a", "p.b", "p.c"}) == []
    assert strongly_connected(graph, {"p.a", "q.x"}) == []


def test_two_separate_circles_are_two_findings() -> None:
    graph = _graph(("p.a", "p.b", 1), ("p.b", "p.a", 2), ("p.c", "p.d", 3), ("p.d", "p.c", 4), ("p.b", "p.c", 5))
    found = strongly_connected(graph, {"p.a", "p.b", "p.c", "p.d"})
    assert sorted(map(sorted, found)) == [["p.a", "p.b"], ["p.c", "p.d"]]


def test_pure_modules_are_chosen_by_the_last_part_of_their_name() -> None:
    names = ["p.domain", "p.domain.sla", "p.case.rules", "p.sla.rules_clock", "p.rulesets", "p.case.writes", "q.rules"]
    graph = _graph(*((name, "os", 1) for name in names))

    class Contract:
        source_names = CONFIG["contracts"][[c["id"] for c in CONFIG["contracts"]].index("pure-rules")]["source_names"]
        session_options = {"root_packages": ["p"]}

    # `p.domain.sla` is checked as part of `p.domain`; `q` is not a root package
    assert modules_named(Contract, graph) == ["p.case.rules", "p.domain", "p.sla.rules_clock"]  # type: ignore[arg-type]
