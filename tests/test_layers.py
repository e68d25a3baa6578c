"""The house rules, read from the code's own imports (no import is executed).

- `domain` imports no package of ours: it is the pure core that stored events name.
- `projections` imports `domain` (and libraries) only: what it needs of the event store is handed
  to it (`projections.eventlog.store`), so read models run without the HTTP edge.
- `app` may import both.
- No cycle between rooms (`app.postbacks`, `projections.lead_view`, …): a room can be read, moved
  or tested with only what it depends on.
- No module over 300 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "domain", "projections")
ALLOWED = {"domain": {"domain"}, "projections": {"domain", "projections"}}
MAX_LINES = 300


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }


def imported_modules(path: Path, name: str) -> set[str]:
    """Every module of ours that `path` imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {module for module in found if module.split(".")[0] in PACKAGES}


def room_of(module: str, modules: dict[str, Path]) -> str:
    """`app.postbacks.writer` → `app.postbacks`; a module at a package's top is its own room."""
    parts = module.split(".")
    if parts[0] == "domain":
        return "domain"
    return ".".join(parts[:2])


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    return {
        name: {module for module in imported_modules(path, name) if module in modules}
        for name, path in modules.items()
    }


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{importer} imports {imported}"
        for importer, imports in graph.items()
        for imported in imports
        if importer.split(".")[0] in ALLOWED
        and imported.split(".")[0] not in ALLOWED[importer.split(".")[0]]
    )


def room_cycles(graph: dict[str, set[str]], modules: dict[str, Path]) -> list[list[str]]:
    rooms: dict[str, set[str]] = {}
    for importer, imports in graph.items():
        here = room_of(importer, modules)
        rooms.setdefault(here, set()).update(
            room_of(imported, modules) for imported in imports if room_of(imported, modules) != here
        )
    cycles, done = [], set()

    def visit(room: str, path: list[str]) -> None:
        for nxt in sorted(rooms.get(room, ())):
            if nxt in path:
                cycle = path[path.index(nxt) :]
                if frozenset(cycle) not in done:
                    done.add(frozenset(cycle))
                    cycles.append([*cycle, nxt])
            elif len(path) < 12:
                visit(nxt, [*path, nxt])

    for room in sorted(rooms):
        visit(room, [room])
    return cycles


def test_domain_and_projections_import_only_inward():
    assert layer_violations(import_graph(project_modules())) == []


def test_no_cycle_between_rooms():
    modules = project_modules()
    assert room_cycles(import_graph(modules), modules) == []


def test_no_module_is_over_300_lines():
    long = {
        name: lines
        for name, path in project_modules().items()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


@pytest.mark.parametrize(
    ("importer", "imported", "source"),
    [
        ("domain.lead", "app.wire", "from app.wire import LeadOut\n"),
        (
            "projections.lead_view.projection",
            "app.eventstore.application",
            "import app.eventstore.application\n",
        ),
        ("projections.runner", "app.ops.metrics", "def f():\n    from app.ops import metrics\n"),
    ],
)
def test_the_rules_catch_an_import_against_them(tmp_path, importer, imported, source):
    """The checks above can fail: an inward-breaking import, even inside a function, is seen."""
    path = tmp_path / "module.py"
    path.write_text(source)
    modules = project_modules()
    graph = {
        importer: {m for m in imported_modules(path, importer) if m in modules or m == imported}
    }
    assert layer_violations(graph) != []


def test_a_cycle_between_rooms_is_seen():
    graph = {
        "app.postbacks.writer": {"app.ledger.answers"},
        "app.ledger.answers": {"app.postbacks.parsing"},
        "app.postbacks.parsing": set(),
    }
    assert room_cycles(graph, {}) == [["app.ledger", "app.postbacks", "app.ledger"]]
