"""The portal's web process as production runs it, for the suites that start one (load, and the
fault suite's PostgreSQL restart): gunicorn with deploy/gunicorn.conf.py and the production
settings over loopback HTTP (tests/load/settings.py)."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py"]
COLLECTSTATIC = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"]
# Broker and cache of the load suite's processes (each run has its own queue and key prefix).
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/14")


def deploy_env() -> dict[str, str]:
    """deploy/production.env, the environment the deployment's web process runs with (the
    gunicorn worker settings among it: WEB_CONCURRENCY, GUNICORN_THREADS)."""
    values: dict[str, str] = {}
    for line in (ROOT / "deploy" / "production.env").read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[name.strip()] = value.strip()
    return values


def web_env(
    base: Mapping[str, str],
    *,
    port: int,
    redis_url: str,
    queue: str,
    workers: int,
    threads: int,
    **extra: str,
) -> dict[str, str]:
    """`base` without its Django and Celery settings, plus what the web process needs: the load
    settings on 127.0.0.1:`port`, Redis at `redis_url` as broker and cache (tasks on `queue`,
    cache keys under it), `workers` x `threads`, and `extra`."""
    return {
        **{k: v for k, v in base.items() if not k.startswith(("DJANGO_", "CELERY_"))},
        "DJANGO_SETTINGS_MODULE": "tests.load.settings",
        "DJANGO_SECRET_KEY": uuid.uuid4().hex * 2,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_LOCAL_HTTP": "1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CACHE_URL": redis_url,
        "CACHE_KEY_PREFIX": queue,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
        **extra,
    }
