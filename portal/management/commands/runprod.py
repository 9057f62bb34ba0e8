"""`make prod`: the processes of docker-compose.yml on this machine, started and stopped together:
gunicorn with the production settings (deploy/gunicorn.conf.py), a Celery worker and Celery beat.
deploy/prod.sh sets the environment, migrates and collects static files first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run gunicorn, a Celery worker and Celery beat (production settings) until Ctrl-C."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, port: str, host: str, **options) -> None:
        python = sys.executable
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "GUNICORN_BIND": f"{host}:{port}"}
        celery = [python, "-m", "celery", "-A", "portal"]
        commands = {
            "web": [python, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py"],
            "worker": [
                *celery,
                "worker",
                "--loglevel=INFO",
                f"--concurrency={os.environ.get('WORKER_CONCURRENCY', '2')}",
            ],
            "beat": [
                *celery,
                "beat",
                "--loglevel=INFO",
                f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",
            ],
        }
        procs = {
            name: subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR)
            for name, cmd in commands.items()
        }
        scheme = "http" if getattr(settings, "PORTAL_LOCAL_HTTP", False) else "https (via proxy)"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nCSP Partner Portal (production settings): {host}:{port}, {scheme}"
            )
        )
        self.stdout.write(
            f"Health: http://{host}:{port}/healthz  Press Ctrl-C to stop all three.\n"
        )

        stopping = False

        def stop(*_args) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with {proc.returncode}; stopping.")
                        stopping = True
                time.sleep(0.5)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 25
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            self.stdout.write("Stopped.")
