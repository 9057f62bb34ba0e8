"""Gunicorn settings shared by the Dockerfile, docker-compose.yml and `make prod`.

Environment: PORT (8000), GUNICORN_BIND (overrides PORT, e.g. 127.0.0.1:8000),
WEB_CONCURRENCY (worker processes, 3), GUNICORN_THREADS (threads per worker, 4), LOG_FORMAT (json,
or console for readable lines) and LOG_LEVEL (INFO)."""

import os

wsgi_app = "portal.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak never grows for weeks.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# gunicorn's own lines (worker boots and exits, timeouts) and its access lines go through the
# portal's formatter (portal/logs.py) like Django's and Celery's: one JSON object a line, the
# access line with method, path, status, bytes, duration and the request id it answered with.
_log_format = os.environ.get("LOG_FORMAT", "json")
_log_level = os.environ.get("LOG_LEVEL", "INFO")
logconfig_dict = {
    "formatters": {
        "json": {"()": "portal.logs.JsonFormatter"},
        "console": {"()": "portal.logs.ConsoleFormatter"},
    },
    "handlers": {"default": {"class": "logging.StreamHandler", "formatter": _log_format}},
    "root": {"handlers": ["default"], "level": _log_level},
    "loggers": {
        "gunicorn.error": {"handlers": [], "propagate": True, "level": _log_level},
        "gunicorn.access": {"handlers": [], "propagate": True, "level": "INFO"},
    },
}
# No control socket: its default lives in $HOME, shared by every gunicorn of the user.
control_socket_disable = True
