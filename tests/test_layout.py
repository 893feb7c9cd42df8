"""The house rules of include/ (issue 17): the product's rooms import only what is below them,
no module imports another in a circle, the product never imports the developer tools, and
every module stays small enough to hold in your head.

Read from the source (ast), not by importing: a rule broken by a lazy import inside a
function counts as much as one at the top of a module.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = ROOT / "include"
# room -> the rooms it may import (besides itself); the order the data walks
MAY_IMPORT = {
    "foundation": set(),
    "contract": {"foundation"},
    "ingest": {"foundation", "contract"},
    "marts": {"foundation", "contract"},
    "operations": {"foundation", "contract", "ingest", "marts"},
    "dashboard": {"foundation"},
}
MAX_LINES = 330   # "~300 lines": a module past this is split by what it does


def _modules(package: str) -> dict[str, Path]:
    out = {}
    for path in sorted((INCLUDE / package).rglob("*.py")):
        if "vendor" in path.parts or "migrations" in path.parts:
            continue
        rel = path.relative_to(INCLUDE).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(path: Path, name: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:   # relative: resolve against this module's package
                base = name.split(".")[: -node.level] if not path.name == "__init__.py" else name.split(".")
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)
    return {m for m in found if m.split(".")[0] in ("dgsa", "dgsa_tools")}


def _graph(*packages: str) -> dict[str, set[str]]:
    mods = {}
    for p in packages:
        mods.update(_modules(p))
    graph = {}
    for name, path in mods.items():
        graph[name] = {m for m in _imports(path, name) if m in mods and m != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_circles():
    graph = _graph("dgsa", "dgsa_tools")
    assert len(graph) > 40
    assert _cycles(graph) == []


def test_rooms_import_only_what_is_below_them():
    broken = []
    for name, deps in _graph("dgsa").items():
        parts = name.split(".")
        if len(parts) < 3 and name != "dgsa" and parts[1] not in MAY_IMPORT:
            broken.append(f"{name}: a module outside the rooms")
            continue
        if name == "dgsa":
            continue
        room = parts[1]
        for dep in deps:
            dep_room = dep.split(".")[1] if dep.count(".") else None
            if dep_room not in (room, None) and dep_room not in MAY_IMPORT[room]:
                broken.append(f"{name} imports {dep}")
    assert broken == []


def test_the_product_never_imports_the_tools():
    product = [*(INCLUDE / "dgsa").rglob("*.py"), *(ROOT / "dags").rglob("*.py"), *(ROOT / "plugins").rglob("*.py")]
    assert len(product) > 30
    offenders = [str(p.relative_to(ROOT)) for p in product
                 if "vendor" not in p.parts and any(m.startswith("dgsa_tools") for m in _imports(p, "x"))]
    assert offenders == []


def test_each_room_says_its_job_and_what_it_may_import():
    for room in [*MAY_IMPORT, "."]:
        init = INCLUDE / "dgsa" / room / "__init__.py"
        tree = ast.parse(init.read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree)
        assert doc, f"{init} has no docstring"
        assert len(tree.body) == 1, f"{init} holds more than its docstring"
        if room != ".":
            assert "May import:" in doc, f"{init} does not say what it may import"


def test_modules_stay_small():
    big = {str(p.relative_to(INCLUDE)): n for p in [*(INCLUDE / "dgsa").rglob("*.py"), *(INCLUDE / "dgsa_tools").rglob("*.py")]
           if "vendor" not in p.parts and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert big == {}


def test_the_rules_catch_a_circle():
    """The cycle finder itself finds a planted circle (a test that could never fail is worth nothing)."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
