"""Two import-linter contract types of our own (decision 0184).

`acyclic_modules`: no module imports itself back, through any chain of imports.

import-linter's own `acyclic_siblings` judges the parts of a package as wholes: `cases.common` importing
`cases.case.tables` while `cases.case.writes` imports `cases.common.repo` counts as a cycle, although no module
is ever imported while it is still being imported. This contract judges modules: it fails when some module
of a listed package can reach itself by following imports, and names one such circle with its line numbers.

`forbidden_by_name`: import-linter's `forbidden`, with the source modules chosen by the last part of their
name (a regular expression), because its own wildcards only stand for whole parts: `rules` and `rules_clock`
are both pure rules, and no expression like `*.*.rules*` exists.

Both are registered under `contract_types` in pyproject.toml. `lint-imports` puts its working directory on `sys.path`,
so run from the repository root (as `make lint` and tests/ops do) it finds this file as
`scripts.import_contracts`.
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from typing import Any

import grimp
from importlinter import Contract, ContractCheck, fields, output
from importlinter.application import contract_utils
from importlinter.application.contract_utils import AlertLevel
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.domain.imports import ModuleExpression


class AcyclicModulesContract(Contract):
    """Options: `packages` (root or sub-packages), `ignore_imports`, `unmatched_ignore_imports_alerting`."""

    type_name = "acyclic_modules"

    packages = fields.ListField(subfield=fields.ModuleField())
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)
    unmatched_ignore_imports_alerting = fields.EnumField(AlertLevel, default=AlertLevel.ERROR)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=self.unmatched_ignore_imports_alerting,  # type: ignore[arg-type]
        )
        circles: list[dict[str, Any]] = []
        for package in self.packages:  # type: ignore[attr-defined]
            modules = {package.name} | set(graph.find_descendants(package.name))
            for component in strongly_connected(graph, modules):
                circles.append({"modules": sorted(component), "example": one_circle(graph, component)})
        return ContractCheck(
            kept=not circles,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"circles": circles},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for circle in check.metadata["circles"]:
            modules = circle["modules"]
            output.print(f"{len(modules)} modules reach each other by imports: {', '.join(modules)}. For example:")
            output.new_line()
            for step in circle["example"]:
                lines = ", ".join(f"l.{n}" for n in step["lines"])
                output.print(f"-   {step['importer']} -> {step['imported']} ({lines})")
            output.new_line()


def strongly_connected(graph: grimp.ImportGraph, modules: set[str]) -> list[set[str]]:
    """The sets of two or more modules (among `modules`) that can each reach every other one by imports."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & modules) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(modules):
        if root in index:
            continue
        # Tarjan's algorithm, iterative: a package's import chains can be deeper than Python's recursion limit
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if position < len(edges[node]):
                work.append((node, position + 1))
                nxt = edges[node][position]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def one_circle(graph: grimp.ImportGraph, component: set[str]) -> list[dict[str, Any]]:
    """The shortest circle through the first module of `component`, as imports with their line numbers."""
    start = min(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph.find_modules_directly_imported_by(node) & component):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                modules = [start, *reversed(path[:-1]), start] if node != start else [start, start]
                return [
                    {
                        "importer": a,
                        "imported": b,
                        "lines": sorted(d["line_number"] for d in graph.get_import_details(importer=a, imported=b)),
                    }
                    for a, b in itertools.pairwise(modules)
                ]
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    raise AssertionError(f"no circle through {start} in {sorted(component)}")


class ForbiddenByNameContract(ForbiddenContract):
    """`forbidden`, its `source_modules` being every module of the root packages whose last name part matches
    `source_names` (with everything under it, as in `forbidden`); the other options are `forbidden`'s."""

    type_name = "forbidden_by_name"

    source_modules = fields.SetField(subfield=fields.ModuleExpressionField(), required=False)
    source_names = fields.StringField()

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        self.source_modules = [ModuleExpression(name) for name in modules_named(self, graph)]
        return super().check(graph, verbose)


def modules_named(contract: ForbiddenByNameContract, graph: grimp.ImportGraph) -> list[str]:
    """The modules of the root packages whose last name part matches the contract's `source_names`."""
    pattern = re.compile(str(contract.source_names))
    roots = contract.session_options.get("root_packages") or [contract.session_options["root_package"]]
    return sorted(
        module
        for module in graph.modules
        if module.partition(".")[0] in roots and "." in module and pattern.fullmatch(module.rpartition(".")[2])
    )
