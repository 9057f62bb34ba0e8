"""The production shape as files: docker-compose.yml's environment for web/worker/beat/migrate
passes `manage.py check --deploy` with 0 warnings, its secrets have no fallback, and the local
HTTP mode is refused for a public host name.

No YAML library is installed, so the compose environment is read with a parser for the one
shape used there (`x-portal` → `environment:` → `KEY: value` lines)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SECRET_VARIABLES = {"DJANGO_SECRET_KEY", "POSTGRES_PASSWORD"}
REFERENCE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:\?|:-)(?P<arg>[^}]*))?\}")


def _env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def _portal_block() -> tuple[list[str], dict[str, str]]:
    """The `x-portal` anchor's env_file list and its raw `environment:` mapping."""
    lines = COMPOSE.read_text().splitlines()
    start = lines.index("x-portal: &portal")
    block = []
    for line in lines[start + 1 :]:
        if line and not line.startswith(" "):
            break
        block.append(line)
    env_files = re.findall(r"^  env_file: \[(.*)\]$", "\n".join(block), re.M)
    environment: dict[str, str] = {}
    inside = False
    for line in block:
        if line == "  environment:":
            inside = True
        elif inside and line.startswith("    "):
            key, _, value = line.strip().partition(": ")
            environment[key] = value
        elif inside:
            break
    assert environment, "x-portal has no environment mapping"
    return [f.strip() for f in env_files[0].split(",")], environment


def _interpolate(value: str, variables: dict[str, str]) -> str:
    def substitute(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if variables.get(name):
            return variables[name]
        if op == ":-":
            return arg
        raise LookupError(f"compose would refuse to start: {arg or name}")

    return REFERENCE.sub(substitute, value)


def compose_environment(variables: dict[str, str]) -> dict[str, str]:
    """What a web container's environment would be, given the shell's `variables`."""
    env_files, environment = _portal_block()
    result: dict[str, str] = {}
    for name in env_files:
        result.update(_env_file(ROOT / name))
    result.update({k: _interpolate(v, variables) for k, v in environment.items()})
    return result


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "POSTGRES_PASSWORD": "s3cret",
    "DJANGO_ALLOWED_HOSTS": "portal.example.com",
    "SITE_URL": "https://portal.example.com",
}


def test_secrets_and_host_names_are_required_without_fallback():
    text = COMPOSE.read_text()
    for name in SECRET_VARIABLES:
        uses = [m for m in REFERENCE.finditer(text) if m["name"] == name]
        assert uses, f"{name} is not used in docker-compose.yml"
        assert all(m["op"] == ":?" for m in uses), f"{name} must be required (:?), never defaulted"
    for name in ("DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "DJANGO_ALLOWED_HOSTS", "SITE_URL"):
        with pytest.raises(LookupError):
            compose_environment({k: v for k, v in PRODUCTION.items() if k != name})
    # And nothing secret hides in the env_file.
    env_files, _ = _portal_block()
    for name in env_files:
        keys = set(_env_file(ROOT / name))
        assert not keys & {"DJANGO_SECRET_KEY", "DATABASE_URL", "EMAIL_URL"}


def test_compose_environment_passes_check_deploy_with_no_warning():
    env = compose_environment(PRODUCTION)
    assert env["DJANGO_SETTINGS_MODULE"] == "portal.settings.production"
    assert env["DATABASE_URL"] == "postgres://portal:s3cret@db:5432/portal"
    result = _manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_local_http_mode_loads_for_loopback_and_is_refused_for_a_public_host():
    local = {**PRODUCTION, **_env_file(ROOT / "deploy" / "local.env.example")}
    env = compose_environment(local)
    assert env["PORTAL_LOCAL_HTTP"] == "1"
    result = _manage(
        env,
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "False", "False"]

    refused = _manage({**env, "DJANGO_ALLOWED_HOSTS": "portal.example.com"}, "check")
    assert refused.returncode != 0
    assert "PORTAL_LOCAL_HTTP=1 serves plain HTTP and is for loopback only" in refused.stderr


def test_every_long_running_service_has_a_restart_policy_and_waits_for_migrate():
    text = COMPOSE.read_text()
    portal = text.split("x-portal: &portal", 1)[1].split("\nservices:", 1)[0]
    assert "restart: unless-stopped" in portal
    assert "migrate: {condition: service_completed_successfully}" in portal
    assert "db: {condition: service_healthy}" in portal
    assert "redis: {condition: service_healthy}" in portal
    for service in ("db", "redis", "web", "worker", "beat", "migrate"):
        assert re.search(rf"^  {service}:\n", text, re.M), service
    for probe in ("pg_isready", "redis-cli", "/healthz"):
        assert probe in text
    # No container installs dependencies when it starts: every app service runs the built image.
    assert "pip install" not in text and "uv sync" not in text
    assert "build: ." in portal
