"""Gunicorn settings shared by the Dockerfile, docker-compose.yml and `make prod`.

Environment: PORT (8000), GUNICORN_BIND (overrides PORT, e.g. 127.0.0.1:8000),
WEB_CONCURRENCY (worker processes, 3), GUNICORN_THREADS (threads per worker, 4)."""

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
# No control socket: its default lives in $HOME, shared by every gunicorn of the user.
control_socket_disable = True
