"""Architecture rules, checked statically (no Django setup, no database) by walking the AST of every
product module: packages assistant, ingestion and privacy, migrations excluded.

- No import cycles between modules. Imports inside functions count (they run, later); imports
  under `if TYPE_CHECKING:` do not (they never run).
- No `_private` name imported from, or read as an attribute of, another product module: a helper
  needed elsewhere moves down next to its callers or becomes public (STYLE.md, "Split by
  concern, never by line count").
- Layers: the forbidden contracts of [[tool.importlinter.contracts]] in pyproject.toml, read from
  there so that the rules have one home, plus one that import-linter cannot express (it forbids
  external packages only whole): ingestion.pipeline imports no django.db. As in import-linter,
  a chain through other modules counts as an import.

When import-linter is installed (dev extra), `lint-imports` must pass too.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("assistant", "ingestion", "privacy")


@dataclass(frozen=True)
class Site:
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # the deepest product module the statement names, or the external dotted name
    internal: bool
    site: Site


@dataclass(frozen=True)
class PrivateUse:
    importer: str
    owner: str  # the module the name is taken from, as the code names it
    name: str
    site: Site


@dataclass
class Graph:
    modules: dict[str, Path]
    imports: list[Import] = field(default_factory=list)
    private_uses: list[PrivateUse] = field(default_factory=list)

    def edges(self) -> dict[str, dict[str, list[Site]]]:
        """importer -> imported product module -> where (self-imports left out)."""
        out: dict[str, dict[str, list[Site]]] = defaultdict(lambda: defaultdict(list))
        for imp in self.imports:
            if imp.internal and imp.target != imp.importer:
                out[imp.importer][imp.target].append(imp.site)
        return out


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _ModuleImports(ast.NodeVisitor):
    """Every import statement of one module (at any depth), skipping `if TYPE_CHECKING:` bodies."""

    def __init__(self, module: str, is_package: bool, modules: dict[str, Path]) -> None:
        self.module = module
        self.is_package = is_package
        self.modules = modules
        self.found: list[tuple[str, int]] = []  # absolute dotted name, line
        self.names_from: list[tuple[str, str, int]] = []  # from <base> import <name>, line
        self.module_names: dict[str, str] = {}  # local name bound to a product module -> module
        self.attributes: list[tuple[list[str], int]] = []  # dotted attribute chains, line

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append((alias.name, node.lineno))
            if alias.asname:
                self.module_names[alias.asname] = alias.name
            else:  # `import a.b` binds `a`
                top = alias.name.partition(".")[0]
                self.module_names[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._absolute(node.module, node.level)
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            if candidate in self.modules:  # `from package import submodule`
                self.found.append((candidate, node.lineno))
                self.module_names[alias.asname or alias.name] = candidate
            elif _owner(base, self.modules) is None:  # external: `from django import db` counts
                self.found.append((candidate, node.lineno))  # as django.db, as it may be one
            else:
                self.found.append((base, node.lineno))
                self.names_from.append((base, alias.name, node.lineno))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        parts: list[str] = []
        value: ast.expr = node
        while isinstance(value, ast.Attribute):
            parts.insert(0, value.attr)
            value = value.value
        if isinstance(value, ast.Name) and value.id in self.module_names:
            self.attributes.append(([*self.module_names[value.id].split("."), *parts], node.lineno))
        self.generic_visit(node)

    def _absolute(self, name: str | None, level: int) -> str:
        if level == 0:
            return name or ""
        parts = self.module.split(".")
        if not self.is_package:
            parts = parts[:-1]
        if level > 1:
            parts = parts[: len(parts) - (level - 1)]
        return ".".join([*parts, name] if name else parts)


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """The deepest product module that a dotted name lies in, or None for an external name."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def scan(root: Path, packages: Iterable[str] = PRODUCT) -> Graph:
    modules: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts:
                continue
            modules[".".join(parts).removesuffix(".__init__")] = path
    graph = Graph(modules)
    for module, path in modules.items():
        visitor = _ModuleImports(module, path.name == "__init__.py", modules)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        relative = path.relative_to(root).as_posix()
        for name, line in dict.fromkeys(visitor.found):  # `from m import a, b`: one import
            owner = _owner(name, modules)
            graph.imports.append(
                Import(module, owner or name, owner is not None, Site(relative, line))
            )
        for base, name, line in visitor.names_from:
            owner = _owner(base, modules)
            if _is_private(name) and owner is not None and owner != module:
                graph.private_uses.append(PrivateUse(module, base, name, Site(relative, line)))
        for chain, line in visitor.attributes:
            for i in range(len(chain) - 1, 0, -1):
                owner = ".".join(chain[:i])
                if owner in modules:
                    if owner != module and _is_private(chain[i]):
                        graph.private_uses.append(
                            PrivateUse(module, owner, chain[i], Site(relative, line))
                        )
                    break
    return graph


@cache
def product_graph() -> Graph:
    return scan(ROOT)


# --- cycles -------------------------------------------------------------------------------


def import_cycles(graph: Graph) -> list[str]:
    """One message per strongly connected component of more than one module, listing the
    imports inside it (each one is a place where the cycle can be cut)."""
    edges = graph.edges()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan; a few hundred modules, recursion is fine
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            connect(module)
    messages = []
    for component in sorted(components):
        members = set(component)
        lines = [f"import cycle between {', '.join(component)}:"]
        for importer in component:
            for imported, sites in sorted(edges.get(importer, {}).items()):
                if imported in members:
                    lines += [f"  {site}: {importer} -> {imported}" for site in sites]
        messages.append("\n".join(lines))
    return messages


# --- layers -------------------------------------------------------------------------------


def _expression(expr: str) -> re.Pattern[str]:
    """An import-linter module expression: `a.b`, `a.*` (one level), `a.**` (any depth)."""
    regex = re.escape(expr).replace(r"\.\*\*", r"(\.[^.]+)+").replace(r"\.\*", r"\.[^.]+")
    return re.compile(regex + r"\Z")


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


@dataclass(frozen=True)
class Rule:
    name: str
    sources: tuple[str, ...]
    forbidden: tuple[str, ...]
    ignore: tuple[tuple[str, str], ...] = ()  # (importer, imported) import-linter expressions

    def ignores(self, importer: str, imported: str) -> bool:
        return any(
            _expression(a).match(importer) and _expression(b).match(imported)
            for a, b in self.ignore
        )


def _ignored_import(line: str) -> tuple[str, str]:
    importer, imported = (part.strip() for part in line.split("->"))
    return importer, imported


def pyproject_rules(pyproject: Path = ROOT / "pyproject.toml") -> list[Rule]:
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    contracts = config.get("tool", {}).get("importlinter", {}).get("contracts", [])
    return [
        Rule(
            name=c["name"],
            sources=tuple(c["source_modules"]),
            forbidden=tuple(c["forbidden_modules"]),
            ignore=tuple(_ignored_import(line) for line in c.get("ignore_imports", [])),
        )
        for c in contracts
        if c.get("type") == "forbidden"
    ]


# import-linter forbids an external package only whole (`django`, not `django.db`).
EXTRA_RULES = [
    Rule(
        name="the ingestion pipeline knows no django.db",
        sources=("ingestion.pipeline",),
        forbidden=("django.db",),
    )
]


def layer_violations(graph: Graph, rule: Rule) -> list[str]:
    """One message per import that leaves the rule's sources on a chain ending in a forbidden
    module: the shortest such chain, each hop with its file:line."""

    def is_source(module: str) -> bool:
        return any(_within(module, s) for s in rule.sources)

    def is_forbidden(name: str) -> bool:
        return any(_within(name, f) for f in rule.forbidden)

    hops: dict[str, list[Import]] = defaultdict(list)  # importer -> its (kept) imports
    for imp in graph.imports:
        if imp.target != imp.importer and not rule.ignores(imp.importer, imp.target):
            hops[imp.importer].append(imp)

    def chain_from(start: Import) -> list[Import] | None:
        """Shortest chain start -> ... -> forbidden, through modules outside the sources (a chain
        that comes back into them is reported from there)."""
        if is_forbidden(start.target):
            return [start]
        if not start.internal:
            return None
        previous: dict[str, list[Import]] = {start.target: [start]}
        queue = deque([start.target])
        while queue:
            module = queue.popleft()
            for imp in hops.get(module, []):
                if is_forbidden(imp.target):
                    return [*previous[module], imp]
                if imp.internal and imp.target not in previous and not is_source(imp.target):
                    previous[imp.target] = [*previous[module], imp]
                    queue.append(imp.target)
        return None

    messages = []
    for importer in sorted(m for m in hops if is_source(m)):
        for imp in hops[importer]:
            if imp.internal and is_source(imp.target):
                continue
            chain = chain_from(imp)
            if chain:
                via = "".join(f" -> {i.target} ({i.site})" for i in chain[1:])
                messages.append(f"  {imp.site}: {importer} -> {imp.target}{via}")
    return sorted(set(messages))


# --- the rules ----------------------------------------------------------------------------


def test_no_import_cycles_between_product_modules():
    cycles = import_cycles(product_graph())
    assert not cycles, "\n\n".join(cycles)


def test_no_private_name_taken_from_another_product_module():
    uses = sorted(
        f"  {u.site}: {u.importer} uses {u.owner}.{u.name}" for u in product_graph().private_uses
    )
    assert not uses, "private names used outside their module:\n" + "\n".join(uses)


def test_pyproject_declares_the_layer_contracts():
    names = {rule.name for rule in pyproject_rules()}
    assert {
        "backends know no Django app",
        "the ingestion pipeline knows no ORM, chat or privacy",
        "ingestion and privacy never call up into chat",
        "the product never imports tests",
    } <= names


@pytest.mark.parametrize("rule", [*pyproject_rules(), *EXTRA_RULES], ids=lambda rule: rule.name)
def test_layers(rule):
    violations = layer_violations(product_graph(), rule)
    assert not violations, f"{rule.name}: forbidden imports\n" + "\n".join(violations)


def test_import_linter_agrees():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    if not lint_imports.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- the walker itself, on a made-up tree -------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_walker_counts_function_level_imports_and_skips_type_checking(tmp_path):
    _tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg import b\n",
            "pkg/b.py": "def f():\n    from . import a\n",
            "pkg/c.py": (
                "import typing\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                "    from pkg.d import D\nif typing.TYPE_CHECKING:\n    import pkg.d\n"
                "else:\n    import os\n"
            ),
            "pkg/d.py": "from pkg.c import C\n",
            "pkg/migrations/__init__.py": "",
            "pkg/migrations/0001_initial.py": "from pkg import a\n",
        },
    )
    graph = scan(tmp_path, ["pkg"])
    assert "pkg.migrations" not in graph.modules
    assert [c.splitlines() for c in import_cycles(graph)] == [
        [
            "import cycle between pkg.a, pkg.b:",
            "  pkg/a.py:1: pkg.a -> pkg.b",
            "  pkg/b.py:2: pkg.b -> pkg.a",
        ]
    ]
    assert {i.target for i in graph.imports if i.importer == "pkg.c"} == {
        "typing",
        "typing.TYPE_CHECKING",
        "os",
    }


def test_walker_finds_private_names_and_forbidden_chains(tmp_path):
    _tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/low/__init__.py": "",
            "pkg/low/x.py": "from ..mid import helper\nfrom ..mid import _hidden\n",
            "pkg/mid.py": (
                "import pkg.high as high\nfrom pkg import top\n_hidden = 1\n"
                "def helper():\n    return high.__name__, top._secret\n"
            ),
            "pkg/high.py": "from django.db import models\n",
            "pkg/top.py": "_secret = 2\n__all__ = ['_secret']\n",
            "pkg/ok.py": "from pkg.top import __all__\n",
            "pkg/low/y.py": "from django import db\n",
        },
    )
    graph = scan(tmp_path, ["pkg"])
    assert sorted((str(u.site), u.owner, u.name) for u in graph.private_uses) == [
        ("pkg/low/x.py:2", "pkg.mid", "_hidden"),
        ("pkg/mid.py:5", "pkg.top", "_secret"),
    ]
    rule = Rule("low is pure", sources=("pkg.low",), forbidden=("pkg.high", "django.db"))
    assert layer_violations(graph, rule) == [
        "  pkg/low/x.py:1: pkg.low.x -> pkg.mid -> pkg.high (pkg/mid.py:1)",
        "  pkg/low/x.py:2: pkg.low.x -> pkg.mid -> pkg.high (pkg/mid.py:1)",
        "  pkg/low/y.py:1: pkg.low.y -> django.db",
    ]
    allowed = Rule("low is pure", ("pkg.low",), ("pkg.high",), ignore=(("pkg.mid", "pkg.*"),))
    assert layer_violations(graph, allowed) == []
