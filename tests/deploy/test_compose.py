"""The production shape as files: docker-compose.yml's environment for web/worker/beat/migrate
passes `manage.py check --deploy` with 0 warnings with its secrets read from files, no secret
sits in an environment variable, the host names have no fallback, the local HTTP mode is refused
for a public host name, and every service has a healthcheck, a pinned image, a stop grace
period, rotated logs and resource limits.

`docker compose config` needs the compose plugin, which CI does not have: the file is read with
PyYAML (merge keys `<<: *portal` included) and compose's `${VAR:?}` / `${VAR:-}` interpolation is
done here."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
REFERENCE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:\?|:-)(?P<arg>[^}]*))?\}")
APP_SERVICES = ("migrate", "web", "worker", "beat")
# Names whose value is a secret: never an environment variable of any service.
SECRET_NAMES = {
    "DJANGO_SECRET_KEY",
    "POSTGRES_PASSWORD",
    "DATABASE_PASSWORD",
    "SENTRY_DSN",
    "REDIS_PASSWORD",
}


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def _interpolate(value: str, variables: dict[str, str]) -> str:
    def substitute(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if variables.get(name):
            return variables[name]
        if op == ":-":
            return arg
        raise LookupError(f"compose would refuse to start: {arg or name}")

    return REFERENCE.sub(substitute, str(value))


def compose_environment(variables: dict[str, str], service: str = "web") -> dict[str, str]:
    """What a container's environment would be, given the shell's `variables`."""
    spec = _compose()["services"][service]
    result: dict[str, str] = {}
    for name in spec.get("env_file", []):
        result.update(_env_file(ROOT / name))
    result.update({k: _interpolate(v, variables) for k, v in spec["environment"].items()})
    return result


def _mounted_secrets(env: dict[str, str], values: dict[str, str], tmp: Path) -> dict[str, str]:
    """`env` with each /run/secrets/<name> replaced by a file of this test holding values[name]
    (an empty file for a secret not given, as an optional one is left)."""
    declared = _compose()["secrets"]
    out = {}
    for key, value in env.items():
        if value.startswith("/run/secrets/"):
            name = value.removeprefix("/run/secrets/")
            assert name in declared, f"{key} names an undeclared secret {name}"
            path = tmp / name
            path.write_text(values.get(name, "") + "\n")
            value = str(path)
        out[key] = value
    return out


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
    "DJANGO_ALLOWED_HOSTS": "portal.example.com",
    "SITE_URL": "https://portal.example.com",
}
SECRETS = {
    "django_secret_key": secrets.token_urlsafe(50),
    "postgres_password": "s3cret-pw",
}


def test_no_secret_is_an_environment_variable_and_each_is_a_declared_file():
    compose = _compose()
    declared = compose["secrets"]
    for name, secret in declared.items():
        assert secret["file"] == f"./secrets/{name}", name
    assert "/secrets/" in (ROOT / ".gitignore").read_text().splitlines()
    for service, spec in compose["services"].items():
        environment = {k: str(v) for k, v in (spec.get("environment") or {}).items()}
        assert not set(environment) & SECRET_NAMES, (service, set(environment) & SECRET_NAMES)
        for key, value in environment.items():
            if key.endswith("_URL"):  # no credentials in a URL
                assert "@" not in value or ":" not in value.split("@")[0].split("//")[-1], key
            if key.endswith("_FILE"):
                name = value.removeprefix("/run/secrets/")
                assert name in declared and name in spec["secrets"], (service, key)
    for name in APP_SERVICES:
        env = compose_environment(PRODUCTION, name)
        assert env["DJANGO_SECRET_KEY_FILE"] == "/run/secrets/django_secret_key"
        assert env["DATABASE_PASSWORD_FILE"] == "/run/secrets/postgres_password"
        assert env["DATABASE_URL"] == "postgres://portal@db:5432/portal"
    db = compose["services"]["db"]
    assert db["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    # And nothing secret hides in the env_file.
    for name in compose["services"]["web"]["env_file"]:
        keys = set(_env_file(ROOT / name))
        assert not keys & (SECRET_NAMES | {"DATABASE_URL", "EMAIL_URL"})


def test_host_names_are_required_without_fallback():
    text = COMPOSE.read_text()
    for name in ("DJANGO_ALLOWED_HOSTS", "SITE_URL"):
        uses = [m for m in REFERENCE.finditer(text) if m["name"] == name]
        assert uses and all(m["op"] == ":?" for m in uses), name
        with pytest.raises(LookupError):
            compose_environment({k: v for k, v in PRODUCTION.items() if k != name})


def test_compose_environment_with_its_secret_files_passes_check_deploy(tmp_path):
    env = _mounted_secrets(compose_environment(PRODUCTION), SECRETS, tmp_path)
    assert env["DJANGO_SETTINGS_MODULE"] == "portal.settings.production"
    result = _manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # The settings read the files: the key, the database password apart from the URL, and the
    # empty email_url file leaves compose's EMAIL_URL (Mailpit) in force.
    shown = _manage(
        env,
        "shell",
        "-c",
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(s.SECRET_KEY == open(__import__('os').environ['DJANGO_SECRET_KEY_FILE'])"
        ".read().strip(), d['PASSWORD'], d['USER'], d['HOST'], "
        "s.MAILERS['default']['OPTIONS']['host'])",
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().splitlines()[-1].split() == [
        "True",
        "s3cret-pw",
        "portal",
        "db",
        "mail",
    ]


def test_without_its_secret_file_the_portal_refuses_to_start(tmp_path):
    env = _mounted_secrets(compose_environment(PRODUCTION), SECRETS, tmp_path)
    (tmp_path / "django_secret_key").unlink()
    result = _manage(env, "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY_FILE: cannot read" in result.stderr


def test_local_http_mode_loads_for_loopback_and_is_refused_for_a_public_host(tmp_path):
    local = {**PRODUCTION, **_env_file(ROOT / "deploy" / "local.env.example")}
    env = _mounted_secrets(compose_environment(local), SECRETS, tmp_path)
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


def _seconds(duration: str) -> float:
    match = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert match and duration, duration
    return int(match[1] or 0) * 60 + int(match[2] or 0)


def test_every_service_is_probed_pinned_stopped_gracefully_rotated_and_limited():
    services = _compose()["services"]
    assert set(services) == {"db", "redis", "mail", "migrate", "web", "worker", "beat"}
    for name, spec in services.items():
        # A healthcheck on every long-running service; the one-shot migrate is done when it
        # exits 0 (the others wait for service_completed_successfully).
        check = spec.get("healthcheck") or {}
        if name == "migrate":
            assert check == {"disable": True} and spec["restart"] == "no"
        else:
            assert check.get("test") and not check.get("disable"), name
            assert spec["restart"] == "unless-stopped", name
        assert _seconds(spec["stop_grace_period"]) >= 10, name
        assert spec["logging"]["driver"] == "json-file", name
        assert set(spec["logging"]["options"]) == {"max-size", "max-file"}, name
        limits = spec["deploy"]["resources"]["limits"]
        assert float(limits["cpus"]) > 0 and re.fullmatch(r"\d+[mg]", limits["memory"]), name
        image = spec["image"]
        if name not in APP_SERVICES:
            # An exact version (major.minor at least, never a bare major or `latest`).
            assert re.fullmatch(r"[\w./-]+:v?\d+\.\d+(\.\d+)?(@sha256:[0-9a-f]{64})?", image), image
        else:
            assert spec["build"] == "." and image == "csp-partner-portal:latest"
            if name != "migrate":
                migrated = spec["depends_on"]["migrate"]
                assert migrated == {"condition": "service_completed_successfully"}
    # The worker finishes a drain in flight before it is killed.
    assert _seconds(services["worker"]["stop_grace_period"]) >= settings.OUTBOX_DRAIN_SECONDS + 10
    # web's gunicorn lets requests finish (graceful_timeout) before compose kills it.
    gunicorn = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    graceful = int(re.search(r"^graceful_timeout = (\d+)", gunicorn, re.M)[1])
    assert _seconds(services["web"]["stop_grace_period"]) > graceful


def test_the_probes_are_liveness_for_web_and_heartbeats_for_worker_and_beat():
    services = _compose()["services"]
    web = " ".join(services["web"]["healthcheck"]["test"])
    assert "/healthz" in web and "/readyz" not in web
    assert services["worker"]["healthcheck"]["test"][-2:] == ["ops_check", "--worker"]
    assert services["beat"]["healthcheck"]["test"][-2:] == ["ops_check", "--beat"]
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "redis-cli" in services["redis"]["healthcheck"]["test"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^HEALTHCHECK .*\n.*/healthz", dockerfile, re.M)
    python_image = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, re.M)[1]
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", python_image)
    # No container installs dependencies when it starts: every app service runs the built image.
    text = COMPOSE.read_text()
    assert "pip install" not in text and "uv sync" not in text
