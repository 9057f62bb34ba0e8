"""Gunicorn settings shared by the Dockerfile, docker-compose.yml and `make prod`.

Environment: PORT (8000), GUNICORN_BIND (overrides PORT, e.g. 127.0.0.1:8000),
WEB_CONCURRENCY (worker processes, 3), GUNICORN_THREADS (threads per worker, 4), LOG_FORMAT (json,
or console for readable lines), LOG_LEVEL (INFO) and PROMETHEUS_MULTIPROC_DIR (where the
processes write their metrics; a fresh private directory when unset)."""

import os
import shutil
import tempfile

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

# Prometheus (portal/metrics.py): every worker writes its counts into one directory, which the
# worker answering /metrics adds up. Unless the supervisor shares one with the Celery workers
# (`make prod`), gunicorn makes a fresh one for its own workers and removes it when it stops.
# In hooks, not at import: reading this file (bench/main.py does) changes nothing.
_own_metrics_dir = None


def on_starting(server):
    global _own_metrics_dir
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    else:
        _own_metrics_dir = tempfile.mkdtemp(prefix="portal-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = _own_metrics_dir


def child_exit(server, worker):
    """A worker that ended (recycled, crashed, stopped): its counts folded into the totals."""
    from portal.metrics_files import retire_process

    retire_process(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(_own_metrics_dir, ignore_errors=True)
