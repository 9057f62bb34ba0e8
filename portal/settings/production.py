"""Production: secure defaults; `manage.py check --deploy` passes with these."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOG_LEVEL, env, env_secret, logging_config, mailers_from_url

DEBUG = False
# One JSON object a log line (portal/logs.py); LOG_FORMAT=console for readable lines.
LOGGING = logging_config(env("LOG_FORMAT", default="json"), LOG_LEVEL)
MAILERS = mailers_from_url(env_secret("EMAIL_URL", default="smtp://localhost:25"))
SECRET_KEY = env_secret("DJANGO_SECRET_KEY")  # required: DJANGO_SECRET_KEY(_FILE)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    **STORAGES,  # noqa: F405
    # WhiteNoise's CompressedManifestStaticFilesStorage, its URLs remembered.
    "staticfiles": {"BACKEND": "portal.static_storage.RememberedStaticFilesStorage"},
}

# Local HTTP mode (`make prod`, or compose with PORTAL_LOCAL_HTTP=1; README "Production shape"):
# the production settings served over plain http://127.0.0.1 so a browser can sign in without a
# TLS proxy. Cookies lose `Secure` and nothing redirects to HTTPS, so only loopback host names are
# accepted with it: a real deployment cannot switch its HTTPS protections off by accident.
PORTAL_LOCAL_HTTP = env.bool("PORTAL_LOCAL_HTTP", default=False)
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
if PORTAL_LOCAL_HTTP:
    if not set(ALLOWED_HOSTS) <= LOOPBACK_HOSTS:  # noqa: F405
        raise ImproperlyConfigured(
            "PORTAL_LOCAL_HTTP=1 serves plain HTTP and is for loopback only: set "
            "DJANGO_ALLOWED_HOSTS to 127.0.0.1,localhost or turn PORTAL_LOCAL_HTTP off."
        )
    SECURE_SSL_REDIRECT = False
    SESSION_COOKIE_SECURE = False
    CSRF_COOKIE_SECURE = False
    SECURE_HSTS_SECONDS = 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False
    SECURE_HSTS_PRELOAD = False
