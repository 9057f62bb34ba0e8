"""Every name a module gives a gettext function is one that `make messages` extracts: a string
wrapped in an alias that makemessages can't see stays English on every Italian page."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("portal", "enrollment", "verification", "relationships")
# xgettext's Python keywords plus the ones Django's makemessages adds.
DEFAULT_KEYWORDS = {
    "_",
    "gettext",
    "ngettext",
    "pgettext",
    "npgettext",
    "gettext_noop",
    "gettext_lazy",
    "ngettext_lazy",
    "pgettext_lazy",
    "npgettext_lazy",
}
TRANSLATING = DEFAULT_KEYWORDS - {"_"}


def makefile_keywords() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = next(line for line in makefile.splitlines() if "makemessages" in line)
    return DEFAULT_KEYWORDS | set(re.findall(r"--keyword=(\w+)", line))


def gettext_aliases() -> list[tuple[str, str, str]]:
    """(file, function, local name) of every `from django.utils.translation import f as name`."""
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                    for alias in node.names:
                        if alias.name in TRANSLATING:
                            rel = str(path.relative_to(ROOT))
                            found.append((rel, alias.name, alias.asname or alias.name))
    return found


def test_every_gettext_alias_is_a_makemessages_keyword():
    keywords = makefile_keywords()
    unseen = [
        f"{f}: {name} as {local}" for f, name, local in gettext_aliases() if local not in keywords
    ]
    assert not unseen, "makemessages can't see: " + "; ".join(unseen)


def test_the_check_knows_the_alias_the_sort_options_use():
    aliases = {(f, local) for f, _name, local in gettext_aliases()}
    assert ("relationships/views/partners.py", "_l") in aliases
    assert "_l" in makefile_keywords()
    assert "_x" not in makefile_keywords()
