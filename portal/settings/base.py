"""Settings shared by every environment.

Values come from the environment (django-environ); each default is the embedded one that
`make run` uses, so a fresh clone needs no server. See README.md, "Configuration".
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from portal.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)
(VAR_DIR / "staticfiles").mkdir(exist_ok=True)

env = environ.Env()
_REQUIRED = object()


def env_secret(name: str, default: Any = _REQUIRED) -> Any:
    """A secret from the file named by `<name>_FILE` when that is set (compose `secrets:`, mounted
    under /run/secrets, so the value never sits in the container's environment), else from the
    variable `name` itself, else `default`. An empty file counts as not set (an optional secret
    left blank, docker-compose.yml). Without a default, a missing secret stops startup."""
    from django.core.exceptions import ImproperlyConfigured

    path = env.str(f"{name}_FILE", default="")
    if path:
        try:
            value = Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path} ({exc.strerror})") from exc
        if value:
            return value
    if default is _REQUIRED:
        return env.str(name)
    return env.str(name, default=default)


# https://docs.djangoproject.com/en/6.1/ref/settings/#secret-key
SECRET_KEY = env_secret(
    "DJANGO_SECRET_KEY", default="insecure-local-only-key-change-me-0123456789abcdef"
)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
# How often live regions (portal/live.py: verification status, review queue, notifications) poll.
PORTAL_LIVE_POLL_SECONDS = env.int("PORTAL_LIVE_POLL_SECONDS", default=15)
# CSV exports (portal/exports.py): up to this many rows stream at once (200,000 rows stream in a
# few seconds, so 10,000 leaves a wide margin to any timeout); a larger export is prepared by a
# worker, kept PORTAL_EXPORT_KEEP_DAYS for download, and its page polls every
# PORTAL_EXPORT_POLL_SECONDS. A run without progress for PORTAL_EXPORT_STALE_MINUTES was
# abandoned by its worker (the sweep marks it failed).
PORTAL_EXPORT_STREAM_MAX_ROWS = env.int("PORTAL_EXPORT_STREAM_MAX_ROWS", default=10_000)
PORTAL_EXPORT_KEEP_DAYS = env.int("PORTAL_EXPORT_KEEP_DAYS", default=7)
PORTAL_EXPORT_POLL_SECONDS = env.int("PORTAL_EXPORT_POLL_SECONDS", default=2)
PORTAL_EXPORT_STALE_MINUTES = env.int("PORTAL_EXPORT_STALE_MINUTES", default=30)
# Absolute origin of links in emails queued outside a request (tasks, beat); a request's own
# origin wins (portal.middleware.RequestOriginMiddleware). Locally it follows PORT (`make run`).
SITE_URL = env("SITE_URL", default=f"http://127.0.0.1:{env('PORT', default='8000')}").rstrip("/")

INSTALLED_APPS = [
    "portal.admin_config.PortalAdminConfig",  # django.contrib.admin behind allauth sign-in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "django_countries",  # translated country names by ISO code (the Market table is English)
    "portal",
    "enrollment",
    "verification",
    "relationships",
    "commerce",
    "delegation",
    "invoicing",  # charges per tier, invoices, reconciliation (imports commerce, portal)
    "webhooks",  # signed webhooks of audit events (imports portal only)
    # /api/v1/ and the organizations' API clients (Django REST framework, drf-spectacular, its
    # django-oauth-toolkit's client credentials). drf-spectacular-sidecar is not installed as an
    # app: api.staticfiles.RedocFinder takes the one bundle the docs page loads from it.
    "rest_framework",
    "drf_spectacular",
    "oauth2_provider",
    "api",
    # Demo and scale data, `make run`/`make prod`, bench/run's ceiling: `make prod` with
    # SEED_DEMO=1 seeds on production settings too. Imports every app; none imports it.
    "devtools",
]

MIDDLEWARE = [
    # /healthz and /readyz first: answered before host checks, the HTTPS redirect and sessions.
    "portal.health.HealthCheckMiddleware",
    # Then the request id (X-Request-ID, portal/logs.py): every log line and answer carries it.
    "portal.logs.RequestIdMiddleware",
    # GET /metrics for Prometheus (before sessions: no cookie), and each request's latency and
    # query count, labelled by URL name (portal/metrics.py).
    "portal.metrics.MetricsMiddleware",
    # Next: it sees every answer, the 503 of a database outage (portal.errors.server_error) too.
    "portal.errors.DatabaseOutageMiddleware",
    # Counts 5xx answers for the operations page (the 503 of an outage included).
    "portal.operations.ServerErrorCountMiddleware",
    # Then compression, outside every middleware that writes or reads a body: it compresses the
    # pages, the error pages and the streamed exports (text only; portal/compression.py).
    "portal.compression.TextGZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, the policy built once (portal/middleware.py).
    "portal.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's, without the language-prefix work the URLs (no i18n_patterns) do not need.
    "portal.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, reading the user (and, later, the membership) from the request context cache.
    "portal.request_context.ContextAuthenticationMiddleware",
    # Django's, its storage made on first use (portal/middleware.py).
    "portal.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.mfa.MFASetupMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.RequestOriginMiddleware",
    "portal.middleware.UserLanguageMiddleware",
    "portal.middleware.TenantMiddleware",
    # The tenant, user and delegating partner join the request's log lines (no query).
    "portal.logs.LogContextMiddleware",
    # After the tenant: audit events a request causes carry its client IP and organization.
    "portal.audit.AuditContextMiddleware",
    "portal.errors.RateLimitedMiddleware",
    # Last: an opted-in GET page served again while nothing it read changed (portal/pagememo.py).
    "portal.pagememo.PageMemoMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.shell",
            ],
            # `|machine_time` (<time datetime>) and `|money` on every page, without a {% load %};
            # `{% url %}` with its addresses remembered (replaces Django's tag of that name).
            "builtins": [
                "portal.templatetags.portal_formats",
                "portal.templatetags.portal_url_tag",
            ],
        },
    },
]

# Django's form renderer with its simplest widget templates written in Python (same output).
FORM_RENDERER = "portal.form_renderer.PortalFormRenderer"

# Embedded default: a SQLite file written by the web server and the Celery worker at once.
# IMMEDIATE transactions + WAL + busy_timeout keep "database is locked" away.
DATABASES = {
    "default": env.db_url_config(
        env_secret("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"
    )
}
# The password apart from the URL (compose: DATABASE_PASSWORD_FILE, the secret the database
# container reads through POSTGRES_PASSWORD_FILE), so DATABASE_URL holds no secret.
if DATABASE_PASSWORD := env_secret("DATABASE_PASSWORD", default=""):
    DATABASES["default"]["PASSWORD"] = DATABASE_PASSWORD
# How long a write waits for SQLite's lock before it fails with "database is locked": many
# times the longest transaction a job holds (the web's and the jobs' transactions are short;
# long jobs pause between them, portal/turns.py).
SQLITE_BUSY_TIMEOUT_SECONDS = env.float("SQLITE_BUSY_TIMEOUT_SECONDS", default=20.0)
# A long job on SQLite (a bulk file, a sweep) pauses this long after writing this long, so a
# request waiting for the lock gets it (longer than SQLite's 100 ms busy-handler poll).
SQLITE_JOB_WRITE_SECONDS = env.float("SQLITE_JOB_WRITE_SECONDS", default=0.5)
SQLITE_JOB_PAUSE_SECONDS = env.float("SQLITE_JOB_PAUSE_SECONDS", default=0.12)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # BEGIN IMMEDIATE: a transaction takes the write lock when it begins, waiting for it
        # under the busy timeout, instead of failing at once when a read turns into a write.
        "transaction_mode": "IMMEDIATE",
        "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            f" PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)};"
            " PRAGMA synchronous=NORMAL;"
        ),
    }
else:
    # Persistent connections without the `SELECT 1` a health check costs every request: a
    # connection the server dropped (a restart) fails its request's first query, which answers
    # 503 (portal.errors) and marks the connection unusable; Django closes it at the request's
    # end and the next request opens a fresh one.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # No JIT for the web's short queries: on large plan estimates PostgreSQL spent seconds
    # compiling queries that run in milliseconds (issue 9). No synchronized sequential scans:
    # a scan then starts where another one left off, so a scan PostgreSQL chose because it
    # expects a matching row within its first few (an EXISTS probe) read most of the table
    # instead (the invoice list's months at scale 1.0: 74-130 ms against 0.1, issue 21).
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["options"] = " ".join(
        filter(
            None,
            [
                DATABASES["default"]["OPTIONS"].get("options", ""),
                "-c jit=off -c synchronize_seqscans=off",
            ],
        )
    )
# A read replica for the list pages and exports (docs/scaling.md): off unless set. Only reads
# inside a list page's or an export's GET go there (portal/dbrouter.py); a person who wrote
# reads the primary for DATABASE_REPLICA_PIN_SECONDS after, so they never miss their own change.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=10)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "OPTIONS"):
        if key in DATABASES["default"]:
            DATABASES["replica"].setdefault(key, DATABASES["default"][key])
    DATABASE_ROUTERS = ["portal.dbrouter.ReplicaRouter"]
    # Before anything reads: sessions and authentication then see the request's scope.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
        "portal.dbrouter.ReplicaPinMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://portal")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Rate limits live in the cache: while Redis is down they fall back to an in-process cache
    # instead of failing every sign-in with a 500 (portal/cache.py explains the trade-off).
    CACHES["default"]["BACKEND"] = "portal.cache.ResilientRedisCache"
# Several portals sharing one Redis database (bench/run next to a dev server) keep apart by this.
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="")
SHARED_CACHE = CACHES["default"]["BACKEND"] == "portal.cache.ResilientRedisCache"
if SHARED_CACHE:
    # A session read costs no database round trip (Redis); written through to the database,
    # so a Redis restart or outage signs nobody out (the database answers). `cached_db`, read
    # in the same round trip as the request context (portal/sessions.py).
    SESSION_ENGINE = "portal.sessions"
# The user, membership, organization and roles of a signed-in request from the cache, one round
# trip (portal/request_context.py). Only where every process shares the cache: the embedded
# default's in-process cache would not hear a change made by another process.
PORTAL_CONTEXT_CACHE = env.bool("PORTAL_CONTEXT_CACHE", default=SHARED_CACHE)
# Signed-in pages served again while no table they read has changed (portal/pagememo.py), for at
# most PAGE_MEMO_TTL seconds. Only where every process shares the cache and the context cache
# is on (a page's key holds the user's context token).
PAGE_MEMO = env.bool("PAGE_MEMO", default=SHARED_CACHE) and PORTAL_CONTEXT_CACHE
PAGE_MEMO_TTL = env.int("PAGE_MEMO_TTL", default=60)

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:dashboard"

# django-allauth: https://docs.allauth.org/en/latest/account/configuration.html
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Confirming the email signs the person in, so the enrolment wizard continues where it was.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "portal.adapters.PortalAccountAdapter"
# allauth's subject prefix: PortalAccountAdapter.format_email_subject (the name, translated).
# allauth's rate limits stay on (its defaults); listed here so nobody switches them off unnoticed.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    # and at most 10 reset emails an hour to one mailbox, whatever the number of IPs asking
    "reset_password": "20/m/ip,5/m/key,10/h/key",
}
# Our limits on actions that email people on someone's behalf (portal/ratelimit.py):
# "<amount>/<period>", period in s, m, h or d. Invitations count per organization, resends per
# invitation.
PORTAL_RATE_LIMITS = {
    "reseller_invitation": env("PORTAL_RATE_LIMIT_RESELLER_INVITATIONS", default="30/h"),
    "customer_invitation": env("PORTAL_RATE_LIMIT_CUSTOMER_INVITATIONS", default="30/h"),
    "user_invitation": env("PORTAL_RATE_LIMIT_USER_INVITATIONS", default="30/h"),
    "invitation_resend": env("PORTAL_RATE_LIMIT_INVITATION_RESENDS", default="3/h"),
    # One confirmed CSV of up to 5,000 invitations counts once (relationships bulk upload).
    "bulk_invitation": env("PORTAL_RATE_LIMIT_BULK_INVITATIONS", default="10/d"),
    # Calls of one API client (api/throttling.py): 429 with Retry-After past it.
    "api_client": env("PORTAL_RATE_LIMIT_API_CLIENT", default="600/m"),
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "CSP Partner Portal"
MFA_ADAPTER = "portal.adapters.PortalMFAAdapter"
# Verification admins, staff and every organization's Global admins must sign in with a second
# factor (portal/mfa.py); the demo (make run) and the unit tests turn it off.
PORTAL_REQUIRE_MFA = env.bool("PORTAL_REQUIRE_MFA", default=True)
# Reverse proxies we run in front of the portal: the client IP (rate limits, agreement record) is
# the Nth X-Forwarded-For entry from the right; 0 = REMOTE_ADDR only (portal/client_ip.py).
PORTAL_TRUSTED_PROXY_COUNT = env.int("PORTAL_TRUSTED_PROXY_COUNT", default=0)
# allauth reads its own setting in places; keep both on one number.
ALLAUTH_TRUSTED_PROXY_COUNT = PORTAL_TRUSTED_PROXY_COUNT
# GET /metrics (Prometheus, portal/metrics.py) answers only a client connecting from one of these
# networks (directly: a request that came through a proxy, with X-Forwarded-For, does not count)
# or one sending `Authorization: Bearer <PORTAL_METRICS_TOKEN>`; anyone else gets the 404 page.
PORTAL_METRICS_ALLOWED_NETS = env.list(
    "PORTAL_METRICS_ALLOWED_NETS", default=["127.0.0.0/8", "::1/128"]
)
# The token itself, or a file holding it (PORTAL_METRICS_TOKEN_FILE, a compose secret); "": none.
PORTAL_METRICS_TOKEN = env("PORTAL_METRICS_TOKEN", default="") or (
    Path(env("PORTAL_METRICS_TOKEN_FILE")).read_text().strip()
    if env("PORTAL_METRICS_TOKEN_FILE", default="")
    else ""
)
# bench/run only: mounts /bench/ceiling/ (devtools/urls.py), a bare view behind the same
# middleware (the ceiling every page is compared with). Off everywhere else.
PORTAL_BENCH_CEILING = env.bool("PORTAL_BENCH_CEILING", default=False)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("it", _("Italiano"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
# One date and number format per language: portal/formats/<lang>/formats.py (British English
# for `en`: 29 Nov 2026; Italian: 29 nov 2026).
FORMAT_MODULE_PATH = ["portal.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "api.staticfiles.RedocFinder",  # Redoc's bundle only, of drf-spectacular-sidecar's 9 MB
]
# Uploaded verification documents: private, never under STATIC/MEDIA URLs; served by a view.
PRIVATE_STORAGE_ROOT = Path(env("PRIVATE_STORAGE_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Content-Security-Policy (Django 6 middleware): no inline scripts or styles anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# Email: EMAIL_URL picks the backend: smtp://user:pass@host:port (smtp+tls://, smtps://),
# consolemail://. Django 6.1 mailers: https://docs.djangoproject.com/en/6.1/topics/email/


def mailers_from_url(url: str) -> dict:
    """Django 6.1 MAILERS from an EMAIL_URL."""
    config = environ.Env.email_url_config(url)
    options = {}
    if config["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
        options = {
            "host": config.get("EMAIL_HOST") or "localhost",
            "port": config.get("EMAIL_PORT") or 25,
            "username": config.get("EMAIL_HOST_USER") or "",
            "password": config.get("EMAIL_HOST_PASSWORD") or "",
            "use_tls": bool(config.get("EMAIL_USE_TLS")),
            "use_ssl": bool(config.get("EMAIL_USE_SSL")),
            "timeout": 10,
        }
        # Django's SMTP backend, parsing each envelope address once (the outbox worker sends
        # thousands of emails over one connection).
        return {"default": {"BACKEND": "portal.mailbackend.EmailBackend", "OPTIONS": options}}
    return {"default": {"BACKEND": config["EMAIL_BACKEND"], "OPTIONS": options}}


MAILERS = mailers_from_url(env_secret("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env(
    "DEFAULT_FROM_EMAIL", default="CSP Partner Portal <no-reply@csp-portal.example>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Outbox retries: delay = base * 2**attempts, capped.
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=3600)
# A message claimed by a worker that never reported back is handed out again after this.
OUTBOX_CLAIM_TIMEOUT_SECONDS = env.int("OUTBOX_CLAIM_TIMEOUT_SECONDS", default=300)
# A worker claims this many due rows at once and sends them over one SMTP connection.
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=100)
# Sent messages are recorded every this many: at most this many could go out twice if the worker
# is killed between the server's "250" and the record (same Message-ID each time).
OUTBOX_MARK_EVERY = env.int("OUTBOX_MARK_EVERY", default=20)
# One drain task sends for at most this long, then hands over to a fresh task.
OUTBOX_DRAIN_SECONDS = env.float("OUTBOX_DRAIN_SECONDS", default=30.0)
# Recording a sent message retries while the database is unreachable, for up to this long.
OUTBOX_DB_RETRY_SECONDS = env.float("OUTBOX_DB_RETRY_SECONDS", default=900.0)
# A drain that found the database down tries again after this pause.
OUTBOX_DB_RETRY_PAUSE_SECONDS = env.float("OUTBOX_DB_RETRY_PAUSE_SECONDS", default=5.0)
# The sweeper queues at most this many drains at once for a large backlog.
OUTBOX_SWEEP_MAX_DRAINS = env.int("OUTBOX_SWEEP_MAX_DRAINS", default=4)

# Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html
# Embedded default: kombu's filesystem transport, so `make run` needs no broker server.
BROKER_DIR = Path(env("CELERY_FILESYSTEM_BROKER_DIR", default=str(VAR_DIR / "broker")))
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=env("REDIS_URL", default="filesystem://"))
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("in", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "in"),
        "data_folder_out": str(BROKER_DIR / "in"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
    }
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="portal")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Outliving a broker outage: the worker's consumer and beat reconnect for as long as it lasts
# (the default gives up after 100 attempts and the worker exits).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A drain that is running when the broker goes away finishes its batch (cancelling it could
# send a message twice); its task is delivered again and finds nothing left to send.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Notice a dead or half-open Redis connection within seconds (no socket waits forever).
    # The Redis transport takes its connect timeout from here, not from
    # CELERY_BROKER_CONNECTION_TIMEOUT: a web request queuing a task waits at most 2 s for an
    # unreachable broker. A task a dead worker held comes back after an hour (drains are
    # idempotent).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 2,
        "socket_timeout": 15,
        "socket_keepalive": True,
        "health_check_interval": 10,
        "visibility_timeout": 3600,
    }
# Publishing must not hang a web request when the broker is down: the outbox sweeper catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
# The outbox sweep runs every minute; OUTBOX_SWEEP_SECONDS shortens it (the fault suite).
OUTBOX_SWEEP_SCHEDULE: crontab | timedelta = crontab()
if env.str("OUTBOX_SWEEP_SECONDS", default=""):
    OUTBOX_SWEEP_SCHEDULE = timedelta(seconds=env.float("OUTBOX_SWEEP_SECONDS"))
# Heartbeats (portal/operations.py): beat queues the worker's every PORTAL_HEARTBEAT_EVERY_SECONDS
# and records its own as often; one older than PORTAL_HEARTBEAT_STALE_SECONDS fails /readyz.
PORTAL_HEARTBEAT_EVERY_SECONDS = env.float("PORTAL_HEARTBEAT_EVERY_SECONDS", default=15.0)
PORTAL_HEARTBEAT_STALE_SECONDS = env.float("PORTAL_HEARTBEAT_STALE_SECONDS", default=60.0)
# /readyz fails when an email has waited longer than this for a worker: due and not picked up, or
# claimed and not finished (the worker sends within seconds). One waiting for its next retry
# (a recipient's server said "try again later") does not count (portal/operations.py).
PORTAL_READY_MAX_OUTBOX_AGE_SECONDS = env.float(
    "PORTAL_READY_MAX_OUTBOX_AGE_SECONDS", default=900.0
)
# Webhooks (webhooks/services.py): retries back off from WEBHOOKS_RETRY_BASE_SECONDS doubling up
# to WEBHOOKS_RETRY_MAX_SECONDS; a delivery gives up after WEBHOOKS_MAX_ATTEMPTS; an endpoint is
# disabled (and its Global admins emailed) after WEBHOOKS_DISABLE_AFTER failures in a row.
WEBHOOKS_RETRY_BASE_SECONDS = env.float("WEBHOOKS_RETRY_BASE_SECONDS", default=30.0)
WEBHOOKS_RETRY_MAX_SECONDS = env.float("WEBHOOKS_RETRY_MAX_SECONDS", default=3600.0)
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=15)
WEBHOOKS_DISABLE_AFTER = env.int("WEBHOOKS_DISABLE_AFTER", default=10)
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=5.0)
WEBHOOKS_CLAIM_TIMEOUT_SECONDS = env.int("WEBHOOKS_CLAIM_TIMEOUT_SECONDS", default=120)
WEBHOOKS_BATCH_SIZE = env.int("WEBHOOKS_BATCH_SIZE", default=50)
# How long the previous secret still signs after a rotation.
WEBHOOKS_ROTATION_OVERLAP_SECONDS = env.int("WEBHOOKS_ROTATION_OVERLAP_SECONDS", default=86400)
# Receivers on this machine or its network (local and test settings only): never in production.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)
# The webhook sweep (retries, lost drains) runs every minute; WEBHOOKS_SWEEP_SECONDS shortens it.
WEBHOOKS_SWEEP_SCHEDULE: crontab | timedelta = crontab()
if env.str("WEBHOOKS_SWEEP_SECONDS", default=""):
    WEBHOOKS_SWEEP_SCHEDULE = timedelta(seconds=env.float("WEBHOOKS_SWEEP_SECONDS"))
# The API call log (api/call_log.py): calls wait in a Redis list that beat drains every
# API_CALL_DRAIN_SECONDS into the database, where they are kept API_CALL_RETENTION_DAYS.
API_CALL_DRAIN_SECONDS = env.float("API_CALL_DRAIN_SECONDS", default=10.0)
API_CALL_RETENTION_DAYS = env.int("API_CALL_RETENTION_DAYS", default=90)
# Every periodic job, in one place. Day-long schedules are database columns swept here.
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "portal.tasks.outbox_sweep", "schedule": OUTBOX_SWEEP_SCHEDULE},
    "verification-sweep": {"task": "verification.tasks.verification_sweep", "schedule": crontab()},
    "invitations-expire": {
        "task": "relationships.tasks.relationships_expire_invitations",
        "schedule": crontab(minute=7),  # hourly
    },
    # Bulk invitation files that waited for the hourly invitation limit's next window.
    "bulk-invitations-resume": {
        "task": "relationships.tasks.relationships_bulk_invitations_resume",
        "schedule": crontab(),
    },
    "commerce-sweep": {"task": "commerce.tasks.commerce_sweep", "schedule": crontab(minute="*/5")},
    "delegation-sweep": {"task": "delegation.tasks.delegation_sweep", "schedule": crontab()},
    "exports-sweep": {"task": "portal.tasks.exports_sweep", "schedule": crontab(minute="*/5")},
    "webhooks-sweep": {
        "task": "webhooks.tasks.webhooks_sweep",
        "schedule": WEBHOOKS_SWEEP_SCHEDULE,
    },
    # Idempotency-Keys of /api/v1/ older than 24 hours (api/idempotency.py).
    "api-idempotency-sweep": {
        "task": "api.tasks.api_idempotency_sweep",
        "schedule": crontab(minute=41),  # hourly
    },
    # The API call log: drained from Redis every 10 s (a drain not started by the next one is
    # dropped: the next takes its calls), swept of calls past their retention daily.
    "api-calls-drain": {
        "task": "api.tasks.api_calls_drain",
        "schedule": timedelta(seconds=API_CALL_DRAIN_SECONDS),
        "options": {"expires": API_CALL_DRAIN_SECONDS},
    },
    "api-calls-sweep": {
        "task": "api.tasks.api_calls_sweep",
        "schedule": crontab(minute=53, hour=3),  # daily
    },
    # Invoicing: the monthly lines of monthly-billed annual terms (daily), then the close of the
    # previous month on the 1st, after that day's lines (invoicing/tasks.py).
    "invoicing-recurring": {
        "task": "invoicing.tasks.invoicing_recurring_sweep",
        "schedule": crontab(minute=15, hour=0),
    },
    "invoicing-close": {
        "task": "invoicing.tasks.invoicing_close_previous_month",
        "schedule": crontab(minute=45, hour=1, day_of_month=1),
    },
    "form-submissions-sweep": {
        "task": "portal.tasks.form_submissions_sweep",
        "schedule": crontab(minute=23, hour=3),  # daily
    },
    # The worker's heartbeat (portal/operations.py HEARTBEAT_EVERY); beat records its own.
    "ops-heartbeat": {
        "task": "portal.tasks.ops_heartbeat",
        "schedule": timedelta(seconds=PORTAL_HEARTBEAT_EVERY_SECONDS),
    },
}
CELERY_BEAT_SCHEDULER = "portal.celery.HeartbeatScheduler"

# LOG_FORMAT: "console" (readable lines: `make run`, the tests) or "json" (one JSON object a
# line with request_id, tenant, user; production's default). portal/logs.py.
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = logging_config(env("LOG_FORMAT", default="console"), LOG_LEVEL)

# Error tracking (portal/error_tracking.py): off, and sentry_sdk not even imported, unless
# SENTRY_DSN is set. SENTRY_ENVIRONMENT and SENTRY_RELEASE label the events.
SENTRY_DSN = env_secret("SENTRY_DSN", default="")  # or SENTRY_DSN_FILE
if SENTRY_DSN:
    from portal.error_tracking import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        release=env("SENTRY_RELEASE", default="") or None,
    )

# The REST API (/api/v1/, the `api` app). Its views name their authentication (an API client's
# bearer token) and permission (the policy table); errors are problem+json (api/problems.py).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.problem_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CSP Partner Portal API",
    "DESCRIPTION": (
        "An organization's data through its API clients (OAuth2 client credentials, created by "
        "its Global admins at /settings/api-clients/). Errors are RFC 9457 problem details."
    ),
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # A term and a billing frequency share their values (monthly, annual): one enum.
    "ENUM_NAME_OVERRIDES": {
        "PeriodEnum": "commerce.models.Term",
        # Value sets several serializers share, named once (drf-spectacular matches by values).
        "ProviderRelationshipStatusEnum": "relationships.models.ProviderRelationship.Status",
        "InvitationStatusEnum": "relationships.models.InvitationStatus",
    },
}
# OAuth2 (django-oauth-toolkit): client credentials only; client secrets stored hashed (the
# default); the scopes are the partner roles (api/authentication.py checks them).
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "api.authentication.ClientCredentialsValidator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("API_ACCESS_TOKEN_SECONDS", default=3600),
    "SCOPES": {
        "global_admin": "Global admin",
        "admin_agent": "Admin agent",
        "sales_agent": "Sales agent",
        "helpdesk_agent": "Helpdesk agent",
        "billing_admin": "Billing admin",
    },
    "DEFAULT_SCOPES": [],
    # RFC 9700 (OAuth 2.0 Security BCP): the portal issues client-credentials tokens only; every
    # grant and transport it does not use stays closed (`manage.py check --deploy` in CI).
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}
# Access tokens are stored as issued (W006): one-hour client-credentials tokens, looked up by the
# API's authentication; hashing them at rest is issue 24's next step.
SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "oauth2_provider.W006"]
# DOT's models are swappable; our API client points at its application model by this name.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
