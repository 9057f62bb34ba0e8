"""Dependencies point one way (docs/architecture.md).

Every Python file of every app (migrations included; imports inside functions and under
TYPE_CHECKING count too) is parsed with `ast`. The rule:
- `portal`, the core, imports no feature app;
- `devtools`, the top (demo and scale data, the process runners), may import every app, and no
  app imports it;
- a feature app imports another only along an arrow of ALLOWED;
- the features' arrows form no cycle;
- inside an app, no modules import each other in a circle (a module-level graph: `from pkg
  import name` where `name` is a submodule imports the submodule).
Templates count as their app's code (templates/<app>/, templates/emails/<app>_*; the rest is the
core's): what they include or extend, the URL namespaces they reverse and the tag libraries they
load are arrows under the same rule. Strings such as `include("enrollment.settings_urls")`,
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
TOP = "devtools"
# (importer, imported): verification and relationships build on enrolment, never the reverse.
ALLOWED = {
    ("verification", "enrollment"),
    ("relationships", "enrollment"),
    ("commerce", "relationships"),
    ("commerce", "enrollment"),
    ("delegation", "relationships"),
    ("delegation", "enrollment"),
    # The REST API reads through the pages' selectors.
    ("api", "commerce"),
    ("api", "relationships"),
    # Invoicing follows subscriptions (commerce.hooks) and bills the relationships' parties.
    ("invoicing", "commerce"),
    ("invoicing", "relationships"),
    ("invoicing", "enrollment"),
    ("api", "delegation"),
    ("api", "enrollment"),
    ("api", "verification"),
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


def _imported(tree: ast.AST, path: Path, root: Path) -> list[tuple[str, int, tuple[str, ...]]]:
    """(dotted module, line, names imported from it) of every import in the file, relative ones
    resolved."""
    package = _module_of(path, root)
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[str, int, tuple[str, ...]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((module, node.lineno, tuple(alias.name for alias in node.names)))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.args[0].value, node.lineno, ()))
    return found


def import_edges(root: Path) -> list[Edge]:
    apps = apps_in(root)
    edges = []
    for app in sorted(apps):
        for path in sorted((root / app).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for module, line, _names in _imported(tree, path, root):
                target = module.split(".")[0]
                if target in apps and target != app:
                    where = f"{path.relative_to(root)}:{line}"
                    edges.append(Edge(app, target, where))
    return edges


TEMPLATE_TAG = re.compile(r"{%\s*(?:include|extends)\s+[\"']([^\"']+)[\"']")
URL_TAG = re.compile(r"{%\s*url\s+[\"'](\w+):")
LOAD_TAG = re.compile(r"{%\s*load\s+([\w\s]+?)\s*%}")
APP_NAME = re.compile(r"^app_name\s*=\s*[\"'](\w+)[\"']", re.MULTILINE)


def _template_owner(path: Path, templates: Path, features: set[str]) -> str:
    """The app a template belongs to: its folder (templates/<app>/), an email's prefix
    (templates/emails/<app>_...), else the core (the shell, allauth's pages)."""
    parts = path.relative_to(templates).parts
    if parts[0] in features:
        return parts[0]
    if parts[0] == "emails":
        prefix = parts[-1].split("_")[0]
        if prefix in features:
            return prefix
    return CORE


def template_edges(root: Path) -> list[Edge]:
    """What each template uses of an app: a template it includes or extends, a URL namespace it
    reverses (`{% url 'ns:...' %}`), a tag library it loads. A template is its app's code: the
    same arrows hold for it as for the app's Python."""
    apps = apps_in(root)
    features = apps - {CORE}
    namespaces: dict[str, str] = {}
    libraries: dict[str, str] = {}
    for app in apps:
        for urls in (root / app).glob("*urls*.py"):
            for name in APP_NAME.findall(urls.read_text(encoding="utf-8")):
                namespaces[name] = app
        for library in (root / app / "templatetags").glob("*.py"):
            libraries[library.stem] = app
    templates = root / "templates"
    edges = []
    for path in sorted(templates.rglob("*.html")) + sorted(templates.rglob("*.txt")):
        owner = _template_owner(path, templates, features)
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            used = [name.split("/")[0] for name in TEMPLATE_TAG.findall(text)]
            used += [namespaces.get(ns, "") for ns in URL_TAG.findall(text)]
            used += [
                libraries.get(lib, "") for load in LOAD_TAG.findall(text) for lib in load.split()
            ]
            for target in used:
                if target in apps and target != owner:
                    edges.append(Edge(owner, target, f"{path.relative_to(root)}:{number}"))
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


def module_edges(root: Path) -> list[Edge]:
    """Module to module, inside each app: `from .services import core` imports
    `<app>.services.core`, `from .services import record` imports `<app>.services` (its
    `__init__`), `import <app>.tasks` imports `<app>.tasks`."""
    modules: dict[str, Path] = {}
    for app in apps_in(root):
        for path in (root / app).rglob("*.py"):
            modules[".".join(_module_of(path, root))] = path
    edges = []
    for source, path in sorted(modules.items()):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for module, line, names in _imported(tree, path, root):
            submodules = [f"{module}.{name}" for name in names if f"{module}.{name}" in modules]
            targets = submodules if len(submodules) == len(names) else [*submodules, module]
            for target in targets:
                if target in modules and target != source and _app_of(target) == _app_of(source):
                    edges.append(Edge(source, target, f"{path.relative_to(root)}:{line}"))
    return edges


def _app_of(module: str) -> str:
    return module.split(".")[0]


def strongly_connected(edges: list[Edge]) -> list[list[str]]:
    """The groups of more than one module that all reach each other (Tarjan's algorithm): each
    is one or more import cycles."""
    graph: dict[str, list[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, []).append(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(set(graph.get(node, ()))):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def module_cycles(root: Path) -> list[str]:
    """Each import cycle inside an app: its modules, and every import that closes it."""
    edges = module_edges(root)
    problems = []
    for group in strongly_connected(edges):
        inside = [e for e in edges if e.source in group and e.target in group]
        problems.append(
            "cycle inside "
            + _app_of(group[0])
            + ": "
            + ", ".join(group)
            + ": "
            + "; ".join(f"{e.where}: {e.source} imports {e.target}" for e in inside)
        )
    return problems


def violations(root: Path) -> list[str]:
    edges = import_edges(root)
    problems = [f"{e} (the core imports no feature)" for e in edges if e.source == CORE]
    in_templates = template_edges(root)
    problems += [
        f"{e} (the core's templates use no feature's)" for e in in_templates if e.source == CORE
    ]
    problems += [f"{e} (no app imports {TOP})" for e in edges + in_templates if e.target == TOP]
    features = [e for e in edges + in_templates if not {CORE, TOP} & {e.source, e.target}]
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
    return problems + module_cycles(root)


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
    (tmp_path / "verification" / "urls.py").write_text('app_name = "verification"\n')
    (tmp_path / "templates" / "enrollment").mkdir(parents=True)
    (tmp_path / "templates" / "enrollment" / "y.html").write_text(
        "<p>\n<a href=\"{% url 'verification:status' %}\">x</a>\n"
    )
    (tmp_path / "templates" / "portal").mkdir(parents=True)
    (tmp_path / "templates" / "portal" / "x.html").write_text(
        '{% load i18n %}\n{% include "enrollment/_field.html" %}\n'
    )
    found = violations(tmp_path)
    assert any(p.startswith("portal/views.py:2: portal imports enrollment") for p in found)
    assert any(p.startswith("templates/portal/x.html:2: portal imports enrollment") for p in found)
    assert any(p.startswith("enrollment/services.py:2: enrollment imports verif") for p in found)
    assert any(p.startswith("relationships/views.py:1: relationships imports ver") for p in found)
    assert any(
        p.startswith("templates/enrollment/y.html:2: enrollment imports verification")
        for p in found
    )
    assert any(p.startswith("cycle enrollment -> verification -> enrollment") for p in found)
    assert len(found) == 6


def test_devtools_imports_every_app_and_no_app_imports_it(tmp_path):
    _app(tmp_path, "portal", {"urls.py": 'include("devtools.urls")\n'})
    _app(tmp_path, "enrollment", {"models.py": "from portal.models import User\n"})
    _app(tmp_path, "verification", {"apps.py": "def f():\n    from devtools.scale import x\n"})
    _app(
        tmp_path,
        "devtools",
        {"demo.py": "from enrollment.models import X\nfrom verification import services\n"},
    )
    assert violations(tmp_path) == [
        "verification/apps.py:2: verification imports devtools (no app imports devtools)"
    ]


def test_the_check_names_each_import_cycle_inside_an_app(tmp_path):
    _app(
        tmp_path,
        "shop",
        {
            "models.py": "from . import rules\n",
            "rules.py": "import typing\nif typing.TYPE_CHECKING:\n    from .models import X\n",
            "tasks.py": "from .services import place\n",
            "selectors.py": "from shop.models import X\n",
        },
    )
    (tmp_path / "shop" / "services").mkdir()
    (tmp_path / "shop" / "services" / "__init__.py").write_text("from .orders import place\n")
    (tmp_path / "shop" / "services" / "orders.py").write_text(
        "def place():\n    from ...shop import tasks\n"
    )
    found = violations(tmp_path)
    assert found == [
        "cycle inside shop: shop.models, shop.rules: shop/models.py:1: shop.models imports "
        "shop.rules; shop/rules.py:3: shop.rules imports shop.models",
        "cycle inside shop: shop.services, shop.services.orders, shop.tasks: "
        "shop/services/__init__.py:1: shop.services imports shop.services.orders; "
        "shop/services/orders.py:2: shop.services.orders imports shop.tasks; "
        "shop/tasks.py:1: shop.tasks imports shop.services",
    ]
