"""`make run`: the web server, a Celery worker and Celery beat, started and stopped together;
one that exits is restarted with backoff (devtools/processes.py)."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from devtools.demo.portal import DEMO_ORGS, PASSWORD
from devtools.processes import WORKER_FLAGS, celery, run_together


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat until Ctrl-C."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args, port: str, **options) -> None:
        python = sys.executable
        # The worker and beat link emails to the port served here unless SITE_URL says otherwise.
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PORT": str(port)}
        env.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
        commands = {
            "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            "worker": [*celery("worker"), "--pool=solo", "--loglevel=INFO", *WORKER_FLAGS],
            "beat": celery(
                "beat", "--loglevel=INFO", f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}"
            ),
        }
        self.stdout.write(self.style.SUCCESS(f"\nCSP Partner Portal: http://127.0.0.1:{port}/"))
        self.stdout.write(f"Sign in as any demo user (password {PASSWORD}):")
        for spec in DEMO_ORGS:
            self.stdout.write(f"  {spec.email}")
        self.stdout.write("Emails: sign in as reviewer@csp-operator.example and open /outbox/.")
        self.stdout.write(
            "A process that exits is restarted (lines starting 'supervisor:' say so)."
            " Press Ctrl-C to stop the web server, the worker and beat.\n"
        )
        run_together(commands, env=env, cwd=settings.BASE_DIR, stop_grace_seconds=15)
        self.stdout.write("Stopped.")
