"""pytest: DATABASE_URL when set (CI: PostgreSQL), else SQLite. Tasks run eagerly in unit tests;
integration tests start a real worker against Redis with their own settings."""

import sys

from .base import *  # noqa: F403
from .base import DATABASES, STORAGES, VAR_DIR, env

# Keep the bytecode of the project's modules and tests even where the machine sets
# PYTHONDONTWRITEBYTECODE (this one does): compiling ~45,000 lines again on every run costs more
# than collecting the tests. The dependencies are compiled once by `uv sync --compile-bytecode`.
sys.dont_write_bytecode = False

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if "EMAIL_URL" not in env.ENVIRON:
    # Unit tests read django.core.mail.outbox; a worker started by an integration test is
    # given EMAIL_URL (a real SMTP sink) instead.
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
# Tests that need the second factor turn it on explicitly (settings.PORTAL_REQUIRE_MFA = True).
PORTAL_REQUIRE_MFA = False
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=1)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=4)
PRIVATE_STORAGE_ROOT = VAR_DIR / "test-private"
STORAGES = {
    **STORAGES,
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT},
    },
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so a Celery worker started by an integration test sees the same data.
    # TEST_SQLITE_NAME lets several checkouts' test runs share one machine.
    DATABASES["default"]["TEST"] = {
        "NAME": env("TEST_SQLITE_NAME", default=str(VAR_DIR / "test.sqlite3"))
    }
# A second alias on the same test database, as DATABASE_REPLICA_URL adds in a deployment: the
# replica router's tests (tests/scaleout/test_dbrouter.py) switch the router on over it. Unused
# (no connection opened) while DATABASE_ROUTERS is empty.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS}  # noqa: F405
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "tests" / "templates"]  # noqa: F405
# Every HTML page a test renders fails on a repeated id (portal/html_checks.py).
MIDDLEWARE = [*MIDDLEWARE, "portal.html_checks.DuplicateIdMiddleware"]  # noqa: F405
# The request context cache on, in the tests' in-process cache (one process: nothing to miss);
# tests/conftest.py clears the cache between tests.
PORTAL_CONTEXT_CACHE = env.bool("PORTAL_CONTEXT_CACHE", default=True)
# As in production: pages served again while nothing they read changed (every test runs with it).
PAGE_MEMO = env.bool("PAGE_MEMO", default=True) and PORTAL_CONTEXT_CACHE
# As in production: a session read from the cache, written through to the database.
SESSION_ENGINE = "portal.sessions"
# Recording an audit event type that no app declared raises (portal/audit.py).
PORTAL_AUDIT_STRICT = True
# Webhook receivers on this machine (tests' and developers' own).
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=True)
