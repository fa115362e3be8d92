"""Imports point only left: spec → engines → results → slo → outputs → commands → cli."""

from __future__ import annotations

import ast
from pathlib import Path

RUNNER = Path(__file__).resolve().parent.parent / "runner"

RANKS = {
    "runner": 0,  # the package itself: __version__ only
    "runner.errors": 0,
    "runner.redact": 0,
    "runner.spec": 1,
    "runner.histogram": 1,
    "runner.results": 2,
    "runner.engines": 3,
    "runner.slo": 4,
    "runner.rehearsal_judge": 4,
    "runner.outputs": 5,
    "runner.outdir": 5,
    "runner.commands": 6,
    "runner.cli": 7,
    "runner.__main__": 8,
}


def rank(module: str) -> int:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in RANKS:
            return RANKS[".".join(parts[:end])]
    raise AssertionError(f"{module} has no layer: add it to RANKS")


def module_name(path: Path) -> str:
    relative = path.relative_to(RUNNER.parent).with_suffix("")
    parts = [p for p in relative.parts if p != "__init__"]
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name == "runner" or name.startswith("runner.")}


def test_imports_point_only_left() -> None:
    wrong = []
    for path in sorted(RUNNER.rglob("*.py")):
        name = module_name(path)
        if name.startswith("runner.demoshop"):
            continue
        for imported in imports(path):
            if imported.startswith("runner.demoshop") and name == "runner.cli":
                continue  # the CLI starts the demo shop; nothing else may touch it
            if rank(imported) > rank(name):
                wrong.append(f"{name} imports {imported}")
    assert wrong == []


def test_the_demo_shop_imports_nothing_else_of_ours() -> None:
    for path in (RUNNER / "demoshop").rglob("*.py"):
        outside = {m for m in imports(path) if not m.startswith("runner.demoshop")}
        assert outside == set(), path
