"""The design held by tests: imports point only left, no circles within a rank, no stray engines.

Imports point left along spec → engines → results → slo → builder → outputs → commands → cli;
modules of one rank do not import each other in a circle (a circle makes import order matter,
and it is a sign that one concept has leaked into two modules); and the processes that run `run`, `report`
and `validate` never load gevent or Locust (Locust's import monkey-patches the standard
library), while the one that orchestrates `load` never loads Playwright (its sync objects and
gevent's patched threads do not mix). The import checks take a package root, so they are also
run on deliberately bad packages written to tmp_path: a check that cannot fail proves nothing.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import JOURNEYS, ROOT, free_port, running_demo_shop

RUNNER = ROOT / "runner"
DEMO_SHOP = "runner.demoshop"

RANKS = {
    "runner": 0,  # the package itself: __version__ only
    "runner.errors": 0,
    "runner.redact": 0,
    "runner.vocabulary": 0,
    "runner.stopping": 0,  # Ctrl-C / SIGTERM as a flag: every layer may look at it
    "runner.pipes": 0,  # stdout that a closed pipe cannot fail: cli.py installs it
    "runner.spec": 1,
    "runner.histogram": 1,
    "runner.results": 2,
    "runner.engines": 3,
    "runner.slo": 4,
    "runner.slo.rehearsal": 4,
    "runner.document": 4,
    "runner.builder": 5,
    "runner.outputs": 6,
    "runner.outdir": 6,
    "runner.serve": 6,  # journey serve: scheduler, history, budgets, /metrics
    "runner.commands": 7,
    "runner.cli": 8,
    "runner.arguments": 8,  # the command line's words, which cli.py parses with
    "runner.__main__": 9,
}


# The commands that start the demo shop; nothing else of ours may import it.
DEMO_SHOP_STARTERS = frozenset({"runner.cli", "runner.commands.demo_shop"})


def rank(module: str) -> int:
    """The rank of `module`: its own, or its closest package's (the bare `runner` is no default)."""
    parts = module.split(".")
    for end in range(len(parts), 1, -1):
        if ".".join(parts[:end]) in RANKS:
            return RANKS[".".join(parts[:end])]
    if module in RANKS:
        return RANKS[module]
    raise AssertionError(f"{module} has no layer: add it to RANKS")


def in_demo_shop(module: str) -> bool:
    return module == DEMO_SHOP or module.startswith(f"{DEMO_SHOP}.")


def module_name(path: Path, root: Path) -> str:
    relative = path.relative_to(root.parent).with_suffix("")
    parts = [p for p in relative.parts if p != "__init__"]
    return ".".join(parts)


def modules(root: Path) -> dict[str, Path]:
    """Every module of the package at `root`, by dotted name (a package by its own name)."""
    return {module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def imports(path: Path, root: Path, known: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """The modules of ours that `path` imports, anywhere in it (imports inside functions count).

    `from P import name` counts as importing the module P.name when `known` has one, else P:
    `from runner.engines import http` needs runner/engines/http.py, not the package's
    __init__. Relative imports are resolved against the module's package.
    """
    package = root.name
    here = module_name(path, root).split(".")
    if path.name != "__init__.py":
        here = here[:-1]  # a module's relative imports start from its package
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = here[: len(here) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in known else base)
    return {name for name in found if name == package or name.startswith(f"{package}.")}


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module → the modules of ours it imports, for every module of the package at `root`."""
    found = modules(root)
    known = set(found)
    return {name: imports(path, root, known) - {name} for name, path in found.items()}


def rightward_imports(root: Path) -> list[str]:
    """Every import pointing to a higher rank, and every import of the demo shop but its starters.

    The demo shop, a world apart, has no rank: only DEMO_SHOP_STARTERS may import it.
    """
    wrong = []
    for name, imported_modules in import_graph(root).items():
        if in_demo_shop(name):
            continue
        for imported in sorted(imported_modules):
            if in_demo_shop(imported):
                if name not in DEMO_SHOP_STARTERS:
                    wrong.append(f"{name} imports {imported}")
            elif rank(imported) > rank(name):
                wrong.append(f"{name} imports {imported}")
    return wrong


def demo_shop_escapes(root: Path) -> list[str]:
    """Every import from the demo shop of anything of ours outside it."""
    return [
        f"{name} imports {imported}"
        for name, imported_modules in import_graph(root).items()
        if in_demo_shop(name)
        for imported in sorted(imported_modules)
        if not in_demo_shop(imported)
    ]


def same_rank_circles(root: Path) -> list[list[str]]:
    """Each set of modules of one rank that import each other in a circle, sorted.

    The strongly connected components (Tarjan) of the graph of imports between modules of
    equal rank; the demo shop counts as one rank of its own.
    """

    def layer(module: str) -> int:
        return -1 if in_demo_shop(module) else rank(module)

    graph = import_graph(root)
    edges = {
        name: sorted(m for m in imported if m in graph and layer(m) == layer(name))
        for name, imported in graph.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for other in edges[name]:
            if other not in index:
                visit(other)
                low[name] = min(low[name], low[other])
            elif other in stack:
                low[name] = min(low[name], index[other])
        if low[name] == index[name]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == name:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for name in sorted(edges):
        if name not in index:
            visit(name)
    return sorted(circles)


def test_imports_point_only_left() -> None:
    assert rightward_imports(RUNNER) == []


def test_the_demo_shop_imports_nothing_else_of_ours() -> None:
    assert demo_shop_escapes(RUNNER) == []


def test_modules_of_one_rank_import_each_other_in_no_circle() -> None:
    assert same_rank_circles(RUNNER) == []


def write_package(root: Path, files: dict[str, str]) -> Path:
    """A package `runner` under `root` with `files` (relative path → source); returns it."""
    package = root / "runner"
    for relative, source in {"__init__.py": "", **files}.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return package


def test_an_import_pointing_right_fails_the_layer_check(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "results.py": "def build():\n    from runner.outputs.html import write_html\n",
            "outputs/__init__.py": "",
            "outputs/html.py": "from runner import results\n",
            "engines/__init__.py": "",
            "engines/http.py": "from ..outputs import html\n",
            "spec/__init__.py": "from runner.demoshop.catalogue import PRODUCTS\n",
            "commands/__init__.py": "",
            "commands/demo_shop.py": "from runner.demoshop.server import serve\n",
            "demoshop/__init__.py": "",
            "demoshop/catalogue.py": "",
            "demoshop/server.py": "",
        },
    )
    assert rightward_imports(package) == [
        "runner.engines.http imports runner.outputs.html",
        "runner.results imports runner.outputs.html",
        "runner.spec imports runner.demoshop.catalogue",  # rank 1, yet only starters may
    ]


def test_a_module_without_a_rank_is_named() -> None:
    assert rank("runner.engines.load.master") == RANKS["runner.engines"]
    with pytest.raises(AssertionError, match=r"runner\.newcomer has no layer: add it to RANKS"):
        rank("runner.newcomer")


def test_the_demo_shop_importing_the_runner_fails_its_check(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "errors.py": "",
            "demoshop/__init__.py": "",
            "demoshop/app.py": "from runner.demoshop import orders\nfrom runner.errors import E\n",
            "demoshop/orders.py": "",
        },
    )
    assert demo_shop_escapes(package) == ["runner.demoshop.app imports runner.errors"]


def test_same_rank_modules_importing_each_other_fail_the_circle_check(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "engines/__init__.py": "",
            "engines/http.py": "from runner.engines import checks\n",
            "engines/checks.py": "def check():\n    import runner.engines.http\n",
            # a longer circle, through a relative import
            "outputs/__init__.py": "",
            "outputs/html.py": "from runner.outputs.charts import chart\n",
            "outputs/charts.py": "from . import junit\n",
            "outputs/junit.py": "from runner.outputs import html\n",
            # one way only, and across ranks: no circle
            "outputs/console.py": "from runner.outputs import charts\nfrom runner.engines import http\n",
        },
    )
    assert same_rank_circles(package) == [
        ["runner.engines.checks", "runner.engines.http"],
        ["runner.outputs.charts", "runner.outputs.html", "runner.outputs.junit"],
    ]


# Runs one `journey` command in this fresh interpreter, then records what it had loaded: what
# `import` at the top of a module shows is not enough, as commands import inside functions.
LOADED_AFTER = """
import json, sys
out, argv = sys.argv[1], sys.argv[2:]
from runner.cli import main
try:
    main(argv)
except SystemExit as stop:
    code = stop.code
with open(out, "w", encoding="utf-8") as file:
    json.dump({"exit": code, "modules": sorted(sys.modules)}, file)
"""


def loaded_after(tmp_path: Path, *argv: str) -> tuple[int, list[str]]:
    """Run `journey ARGV` in a fresh interpreter; return its exit code and its sys.modules."""
    out = tmp_path / f"modules-{argv[0]}.json"
    command = [sys.executable, "-c", LOADED_AFTER, str(out), *argv]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=90)
    assert out.exists(), done.stdout + done.stderr
    recorded = json.loads(out.read_text(encoding="utf-8"))
    return recorded["exit"], recorded["modules"]


def among(names: list[str], *packages: str) -> list[str]:
    """The names that are one of `packages` or inside one."""
    return [n for n in names if n.split(".")[0] in packages]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_demo_shop(tmp_path_factory.mktemp("shop")) as url:
        yield url


def test_validate_loads_neither_gevent_nor_locust(tmp_path: Path) -> None:
    code, loaded = loaded_after(tmp_path, "validate", str(JOURNEYS))
    assert code == 0
    assert "runner.spec" in loaded  # it did the work
    assert among(loaded, "gevent", "locust") == []


@pytest.mark.slow
def test_run_and_report_load_neither_gevent_nor_locust(tmp_path: Path, shop: str) -> None:
    run_out = tmp_path / "run"
    journey = str(JOURNEYS / "search.yaml")
    code, loaded = loaded_after(
        tmp_path, "run", journey, "--engine", "http", "--target", shop, "--out", str(run_out)
    )
    assert code == 0
    assert "runner.engines.http" in loaded  # it did run
    assert among(loaded, "gevent", "locust") == []

    report_out = tmp_path / "report"
    code, loaded = loaded_after(
        tmp_path, "report", str(run_out / "results.json"), "--out", str(report_out)
    )
    assert code == 0
    assert (report_out / "junit.xml").exists()  # it did re-render
    assert among(loaded, "gevent", "locust") == []


# A closed-model rehearsal over in ~2 s, with a browser probe: the probe runs in a child
# process, so the orchestrator merges its results without ever loading Playwright.
SHORT_PROFILE = """\
profile: layers
stages:
  - {name: hold, duration: 2s, users: 2}
mix: {search: 100}
think_time: {min: 50ms, max: 100ms}
probes: [search]
probe_interval: 1s
"""


@pytest.mark.slow
def test_the_load_orchestrator_never_loads_playwright(tmp_path: Path, shop: str) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(SHORT_PROFILE, encoding="utf-8")
    argv = ["load", str(profile), "--journeys", str(JOURNEYS), "--target", shop]
    argv += ["--workers", "1", "--master-port", str(free_port()), "--out", str(tmp_path / "out")]
    code, loaded = loaded_after(tmp_path, *argv)
    # judged (0 or 1: a probe's Chromium may not finish a run in 2 s), neither refused nor crashed
    assert code in (0, 1)
    document = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert {(j["name"], j["engine"]) for j in document["journeys"]} == {
        ("search", "http"),
        ("search", "browser"),  # the probe's entry, merged by the orchestrator
    }
    assert "locust" in loaded  # it did rehearse
    assert among(loaded, "playwright") == []
