"""The loader package's module boundaries (issue 15, "Structure, while the loader is open").

Read from the source (every import, the ones inside functions too, since a lazy import
hides a cycle without removing it), and checked at run time in a fresh interpreter:

* no cycle among the modules of ``loader/``;
* the lake interface (``loader.lake``) does not import its Azure implementation: the
  factory that knows both is ``loader.lakes``;
* the T-SQL warehouse does not import the DuckDB warehouse, nor DuckDB: what both syncs
  share is ``loader.sync``;
* the byte scan that decides DuckDB's in-place path lives beside the record splitter it
  mirrors (``loader.records``), and the shared names are defined once.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "loader"


def module_name(path: Path) -> str:
    return "loader" if path.name == "__init__.py" else f"loader.{path.stem}"


MODULES = {module_name(p): p for p in sorted(PACKAGE.glob("*.py"))}


def imports_of(path: Path) -> set[str]:
    """The loader modules ``path`` imports, wherever in the file the import is."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # ``from loader import x``: the package, or its submodule x.
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        out.update(n for n in names if n in MODULES)
    out.discard(module_name(path))
    return out


GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def reachable(start: str) -> set[str]:
    """Every loader module ``start`` imports, directly or through others."""
    seen: set[str] = set()
    todo = list(GRAPH[start])
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(GRAPH[m])
    return seen


def find_cycle() -> list[str] | None:
    """One import cycle among the loader's modules, as a path, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(GRAPH[m]):
            if state.get(n) == 1:
                return path[path.index(n) :] + [n]
            if n not in state and (found := visit(n)):
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(GRAPH):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_the_graph_is_read_from_the_source():
    # The reader sees module-level, lazy (inside a function) and ``from loader import``
    # imports: without them, the checks below would pass on anything.
    assert "loader.lake" in GRAPH["loader.azure_lake"]
    assert "loader.azure_lake" in GRAPH["loader.lakes"]  # lazy, inside open_lake
    assert "loader.contract" in GRAPH["loader.lake"]  # lazy, inside methods
    assert "loader" in GRAPH["loader.warehouse"]  # from loader import two_workers
    assert {"loader.sync", "loader.records", "loader.lake"} <= GRAPH["loader.tsql_warehouse"]


def test_no_import_cycle_in_the_loader():
    assert find_cycle() is None, " -> ".join(find_cycle() or [])


def test_the_cycle_finder_finds_one():
    saved = dict(GRAPH)
    try:
        GRAPH["loader.lake"] = GRAPH["loader.lake"] | {"loader.azure_lake"}
        cycle = find_cycle()
    finally:
        GRAPH.clear()
        GRAPH.update(saved)
    assert cycle is not None and cycle[0] == cycle[-1]
    assert set(cycle) == {"loader.azure_lake", "loader.lake"}


@pytest.mark.parametrize(
    "module,must_not_reach",
    [
        ("loader.lake", "loader.azure_lake"),
        ("loader.azure_lake", "loader.lakes"),
        ("loader.tsql_warehouse", "loader.warehouse"),
        ("loader.warehouse", "loader.tsql_warehouse"),
        ("loader.sync", "loader.warehouse"),
        ("loader.sync", "loader.tsql_warehouse"),
        ("loader.records", "loader.warehouse"),
        ("loader.status", "loader.warehouse"),
    ],
)
def test_module_boundaries(module, must_not_reach):
    assert must_not_reach not in reachable(module)


def test_the_tsql_warehouse_loads_without_duckdb_and_the_lake_without_azure():
    """At run time, in a fresh interpreter: what importing a module actually loads."""
    code = (
        "import sys\n"
        "import loader.tsql_warehouse, loader.lake, loader.lakes, loader.sync, loader.records\n"
        "bad = sorted(m for m in sys.modules if m == 'duckdb' or m.startswith('duckdb.')\n"
        "    or m.startswith('azure') or m in ('loader.warehouse', 'loader.azure_lake'))\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def defined_at_top(path: Path) -> set[str]:
    """The names a module defines at its top level (functions, classes, assignments)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


@pytest.mark.parametrize(
    "name,home",
    [
        ("open_lake", "loader.lakes"),
        ("SCHEMAS", "loader.sync"),
        ("TableLoad", "loader.sync"),
        ("FileProgress", "loader.sync"),
        ("Pending", "loader.sync"),
        ("pending_files", "loader.sync"),
        ("load_pending", "loader.sync"),
        ("check_local_file", "loader.sync"),
        ("landed_file_errors", "loader.sync"),
        ("file_sha256", "loader.lake"),
        ("fast_path_allowed", "loader.records"),
        ("NULL_MARK", "loader.records"),
        ("QUOTE_WALK_LIMIT", "loader.records"),
        ("_white_space_at_a_quote", "loader.records"),
        ("_white_space_at_a_quote_walk", "loader.records"),
        ("split_records", "loader.records"),
    ],
)
def test_each_shared_name_is_defined_once_in_its_module(name, home):
    assert [m for m, p in MODULES.items() if name in defined_at_top(p)] == [home]


def test_the_architecture_document_lists_what_each_module_imports():
    """docs/ARCHITECTURE.md's table of the loader's modules, against the source."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## The loader's modules", 1)[1].split("\n## ", 1)[0]
    documented: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`") or "everything" in cells[2]:
            continue
        names = {c.strip("` ") for c in cells[0].split(",")}
        imported = {
            "loader" if n == "__init__" else f"loader.{n}"
            for n in (c.strip("` ") for c in cells[2].split(","))
            if n != "nothing"
        }
        for n in names:
            documented["loader" if n == "__init__" else f"loader.{n}"] = imported
    assert set(MODULES) - set(documented) == {"loader.cli", "loader.__main__"}
    assert {m: GRAPH[m] for m in documented} == documented
