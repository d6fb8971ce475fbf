"""The project's own modules import one another one way only: no import cycle.

The graph is built from the source with `ast` (nothing is imported), from every
`import` statement, wherever it stands — inside a function or under
`if TYPE_CHECKING:` too, since a lazy or type-only import hides a cycle rather
than removing it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "devtools")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `name` imports (`from pkg import mod` counts as importing `pkg.mod`)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            # the longest known module the target names (a class in a module names that module)
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph = {name: _imports(name, path, known) for name, path in modules.items()}
    # importing `bot.blocks.home` runs `bot/blocks/__init__.py` first, not the other way round;
    # a package's own __init__ importing its submodules is not a cycle through its children
    for name, deps in graph.items():
        graph[name] = {d for d in deps if not name.startswith(d + ".")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_sees_the_project() -> None:
    graph = _graph()
    assert {"bot.scheduler", "handlers", "devtools.demo"} <= set(graph)
    assert "bot.models" in graph["bot.scheduler"] and "handlers.server" in graph["devtools.demo"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_bot_handlers_and_devtools() -> None:
    cycle = find_cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_bot_never_imports_handlers_or_devtools() -> None:
    graph = _graph()
    wrong = sorted(f"{m} -> {d}" for m, deps in graph.items() if m.startswith("bot")
                   for d in deps if d.split(".")[0] in ("handlers", "devtools"))
    assert wrong == []


OPTIONAL = "optional dependency"  # the comment that lets an import stand inside a function


def test_bot_and_handlers_import_at_the_top_only() -> None:
    """Issue 14 item 1: no lazy or type-only import in the product code (they hide cycles);
    an import inside a function stands only for a real optional dependency, said in a comment
    on its line."""
    lazy = []
    for pkg in ("bot", "handlers"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            lines = path.read_text().splitlines()
            tree = ast.parse("\n".join(lines), filename=str(path))
            for node in ast.walk(tree):
                inner = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or (
                    isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test))
                if not inner:
                    continue
                for sub in ast.walk(node):
                    if isinstance(sub, (ast.Import, ast.ImportFrom)) and OPTIONAL not in lines[sub.lineno - 1]:
                        lazy.append(f"{path.relative_to(ROOT)}:{sub.lineno}")
    assert lazy == [], f"imports inside functions or under TYPE_CHECKING: {lazy}"
