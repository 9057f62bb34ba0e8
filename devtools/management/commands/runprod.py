"""`make prod`: the processes of docker-compose.yml on this machine, started and stopped together:
gunicorn with the production settings (deploy/gunicorn.conf.py), a Celery worker and Celery beat;
one that exits is restarted with backoff (devtools/processes.py). deploy/prod.sh sets the
environment, migrates and collects static files first."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from devtools.processes import WORKER_FLAGS, Backoff, celery, run_together
from portal.metrics_files import prepare


class Command(BaseCommand):
    help = "Run gunicorn, a Celery worker and Celery beat (production settings) until Ctrl-C."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, port: str, host: str, **options) -> None:
        python = sys.executable
        # One Prometheus directory for gunicorn's and the Celery worker's processes, emptied at
        # each start: /metrics adds up both (portal/metrics.py).
        metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(
            settings.VAR_DIR / "metrics"
        )
        prepare(metrics_dir)
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "GUNICORN_BIND": f"{host}:{port}",
            "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        }
        commands = {
            "web": [python, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py"],
            "worker": [
                *celery("worker"),
                "--loglevel=INFO",
                f"--concurrency={os.environ.get('WORKER_CONCURRENCY', '2')}",
                *WORKER_FLAGS,
            ],
            "beat": celery(
                "beat", "--loglevel=INFO", f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}"
            ),
        }
        scheme = "http" if getattr(settings, "PORTAL_LOCAL_HTTP", False) else "https (via proxy)"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nCSP Partner Portal (production settings): {host}:{port}, {scheme}"
            )
        )
        self.stdout.write(
            f"Liveness: http://{host}:{port}/healthz  Readiness: http://{host}:{port}/readyz"
            f"  Metrics: http://{host}:{port}/metrics"
        )
        self.stdout.write(
            f"A process that exits is restarted {Backoff().describe()}; the log says so in"
            " lines starting 'supervisor:'. Press Ctrl-C to stop all three.\n"
        )
        run_together(commands, env=env, cwd=settings.BASE_DIR)
        self.stdout.write("Stopped.")
