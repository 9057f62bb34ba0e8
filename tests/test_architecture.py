"""Dependencies point one way (docs/architecture.md).

Every Python file of every app (migrations included; imports inside functions and under
TYPE_CHECKING count too) is parsed with `ast`. The rule:
- `portal`, the core, imports no feature app;
- a feature app imports another only along an arrow of ALLOWED;
- the features' arrows form no cycle.
Templates of the core (templates/portal/, and the shared pages at the top of templates/) neither
include nor extend a feature's template. Strings such as `include("enrollment.settings_urls")`,
INSTALLED_APPS or a migration's dependencies are not imports: the core mounts what it does not
import."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = "portal"
# (importer, imported): verification and relationships build on enrolment, never the reverse.
ALLOWED = {
    ("verification", "enrollment"),
    ("relationships", "enrollment"),
    ("commerce", "relationships"),
    ("commerce", "enrollment"),
    ("delegation", "relationships"),
    ("delegation", "enrollment"),
}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    where: str  # path:line

    def __str__(self) -> str:
        return f"{self.where}: {self.source} imports {self.target}"


def apps_in(root: Path) -> set[str]:
    """The top-level packages that are Django apps (they hold an apps.py)."""
    return {p.parent.name for p in root.glob("*/apps.py")}


def _module_of(path: Path, root: Path) -> list[str]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported(tree: ast.AST, path: Path, root: Path) -> list[tuple[str, int]]:
    """(dotted module, line) of every import in the file, relative ones resolved."""
    package = _module_of(path, root)
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((module, node.lineno))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.args[0].value, node.lineno))
    return found


def import_edges(root: Path) -> list[Edge]:
    apps = apps_in(root)
    edges = []
    for app in sorted(apps):
        for path in sorted((root / app).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for module, line in _imported(tree, path, root):
                target = module.split(".")[0]
                if target in apps and target != app:
                    where = f"{path.relative_to(root)}:{line}"
                    edges.append(Edge(app, target, where))
    return edges


TEMPLATE_TAG = re.compile(r"{%\s*(?:include|extends)\s+[\"']([^\"']+)[\"']")


def template_edges(root: Path) -> list[Edge]:
    """Includes and extends from the core's templates into a feature's folder."""
    features = apps_in(root) - {CORE}
    templates = root / "templates"
    core_files = [*templates.glob("*.html"), *(templates / CORE).rglob("*.html")]
    edges = []
    for path in sorted(core_files):
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for name in TEMPLATE_TAG.findall(text):
                target = name.split("/")[0]
                if target in features:
                    edges.append(Edge(CORE, target, f"{path.relative_to(root)}:{number}"))
    return edges


def cycles(edges: list[Edge]) -> list[list[str]]:
    """Every elementary cycle's apps, found by depth-first search from each app."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
    found: list[list[str]] = []

    def visit(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                found.append([*path, start])
            elif nxt not in path and nxt > start:  # each cycle once, from its smallest app
                visit(start, nxt, [*path, nxt])

    for start in sorted(graph):
        visit(start, start, [start])
    return found


def violations(root: Path) -> list[str]:
    edges = import_edges(root)
    problems = [f"{e} (the core imports no feature)" for e in edges if e.source == CORE]
    problems += [f"{e} (the core's templates use no feature's)" for e in template_edges(root)]
    features = [e for e in edges if CORE not in (e.source, e.target)]
    problems += [
        f"{e} (not an allowed arrow: {sorted(ALLOWED)})"
        for e in features
        if (e.source, e.target) not in ALLOWED
    ]
    for cycle in cycles(features):
        lines = [
            str(e) for a, b in pairwise(cycle) for e in features if (e.source, e.target) == (a, b)
        ]
        problems.append("cycle " + " -> ".join(cycle) + ": " + "; ".join(lines))
    return problems


def test_dependencies_point_one_way():
    assert apps_in(ROOT) >= {CORE, "enrollment", "verification", "relationships"}
    assert violations(ROOT) == []


def test_the_allowed_arrows_form_no_cycle():
    edges = [Edge(a, b, "ALLOWED") for a, b in ALLOWED]
    assert cycles(edges) == []


def _app(root: Path, name: str, files: dict[str, str]) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text("")
    (root / name / "apps.py").write_text("")
    for file, text in files.items():
        (root / name / file).write_text(text)


def test_the_check_names_each_broken_rule_with_its_file_and_line(tmp_path):
    _app(tmp_path, "portal", {"views.py": "def f():\n    from enrollment import models\n"})
    _app(tmp_path, "enrollment", {"services.py": "from .models import X\nimport verification\n"})
    _app(tmp_path, "verification", {"services.py": "from enrollment.models import X\n"})
    _app(tmp_path, "relationships", {"views.py": "from verification import services\n"})
    (tmp_path / "templates" / "portal").mkdir(parents=True)
    (tmp_path / "templates" / "portal" / "x.html").write_text(
        '{% load i18n %}\n{% include "enrollment/_field.html" %}\n'
    )
    found = violations(tmp_path)
    assert any(p.startswith("portal/views.py:2: portal imports enrollment") for p in found)
    assert any(p.startswith("templates/portal/x.html:2: portal imports enrollment") for p in found)
    assert any(p.startswith("enrollment/services.py:2: enrollment imports verif") for p in found)
    assert any(p.startswith("relationships/views.py:1: relationships imports ver") for p in found)
    assert any(p.startswith("cycle enrollment -> verification -> enrollment") for p in found)
    assert len(found) == 5
