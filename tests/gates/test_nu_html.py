"""The Nu HTML checker (vnu.jar, the W3C validator's engine) finds no error on any demo page, signed
in as each demo user and signed out, in English and in Italian.

The pages are those the run's one walk of the demo collected (tests/gates/conftest.py), rendered
by Django's test client (the server-side HTML, before any script runs), and are checked in one
run of the checker (one JVM). The jar comes from the npm registry
(package-lock.json, `make install` runs `npm ci`); Java 17 is on the machine."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.demo_pages import LANGUAGES

VNU = (
    Path(__file__).resolve().parents[2] / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
)


def test_every_demo_page_is_valid_html(demo_site, tmp_path):
    if not VNU.exists():
        pytest.fail(f"{VNU} is missing: run `make install` (npm ci)")
    java = shutil.which("java")
    if java is None:
        pytest.fail("Java is not installed (apt-get install default-jre-headless)")

    files: dict[str, str] = {}
    for language in LANGUAGES:
        for page, html in demo_site.pages[language]:
            name = re.sub(r"[^\w]+", "-", f"{language}-{page.user or 'anonymous'}-{page.path}")
            target = tmp_path / f"{name.strip('-')}.html"
            target.write_text(html, encoding="utf-8")
            files[str(target)] = f"[{language}] {page.name}"
    assert len(files) >= 60, f"only {len(files)} pages found: {sorted(files.values())}"

    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *sorted(files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors: dict[str, list[str]] = {}
    for message in messages:
        url = message.get("url", "?")
        page = files.get(url.removeprefix("file:"), url)
        where = f"line {message.get('lastLine', '?')}"
        extract = " ".join(message.get("extract", "").split())
        errors.setdefault(page, []).append(f"{where}: {message['message']}  [{extract}]")
    report = [f"{sum(map(len, errors.values()))} Nu errors on {len(errors)} of {len(files)} pages:"]
    for page, lines in sorted(errors.items()):
        report += [page, *(f"  - {line}" for line in lines)]
    assert not errors, "\n".join(report)
