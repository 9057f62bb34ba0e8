"""`make run`'s embedded default end to end: migrate + seed_demo + runportal (web server, Celery
worker and beat on SQLite and the filesystem broker). A demo user signs in over HTTP, an email
written by the web process is sent by the worker, and SIGINT stops all three."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        csrf = next(c.value for c in self.jar if c.name == "csrftoken")
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": csrf}).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        with self.opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()


def _up(browser: Browser) -> bool:
    try:
        return browser.get("/accounts/login/")[0] == 200
    except OSError:
        return False


def test_make_run_serves_demo_and_worker_sends_mail_written_by_the_web(tmp_path):
    db = tmp_path / "portal.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DATABASE_URL": f"sqlite:///{db}",
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_FILESYSTEM_BROKER_DIR": str(tmp_path / "broker"),
        "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "beat-schedule"),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_URL": "consolemail://",
    }
    for var in ("REDIS_URL", "CELERY_TASK_DEFAULT_QUEUE", "SITE_URL"):
        env.pop(var, None)
    python = sys.executable
    started = time.monotonic()
    # Not 8000: the Makefile exports PORT to seed_demo and runportal, and every link in the
    # outbox must open on it (issue 13).
    port = _free_port()
    env["PORT"] = str(port)
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run(
        [python, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    log = tmp_path / "run.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [python, "manage.py", "runportal", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        browser = Browser(f"http://127.0.0.1:{port}")
        _wait(lambda: _up(browser), 120, "the sign-in page")
        assert time.monotonic() - started < 120
        _wait(lambda: "ready." in log.read_text(), 60, "the Celery worker")

        status, page = browser.post(
            "/accounts/login/",
            {"login": "admin@northwind-it.example", "password": "Demo-Partner-2026"},
        )
        assert status == 200 and "Northwind IT" in page

        browser.post("/accounts/password/reset/", {"email": "admin@adatum-retail.example"})

        def sent() -> bool:
            with sqlite3.connect(db) as conn:
                row = conn.execute(
                    "SELECT sent_at FROM portal_outboxmessage WHERE to_email = ? "
                    "AND template LIKE '%password_reset%'",
                    ("admin@adatum-retail.example",),
                ).fetchone()
            return bool(row and row[0])

        _wait(sent, 60, "the worker to send the password-reset email")
        with sqlite3.connect(db) as conn:
            reset_id, reset_body = conn.execute(
                "SELECT id, body_text FROM portal_outboxmessage WHERE to_email = ? "
                "AND template LIKE '%password_reset%'",
                ("admin@adatum-retail.example",),
            ).fetchone()
        # The worker printed that very message (the console backend; the body may be base64 or
        # quoted-printable, as Adatum reads Italian, so its header names it).
        assert f"Message-ID: <outbox-{reset_id}-" in log.read_text()
        assert "/accounts/password/reset/key/" in reset_body
        with sqlite3.connect(db) as conn:
            bodies = [row[0] for row in conn.execute("SELECT body_text FROM portal_outboxmessage")]
        links = [link for body in bodies for link in re.findall(r"https?://[^\s\"'<>]+", body)]
        assert links, "the seed and the reset wrote emails with links"
        assert all(link.startswith(f"http://127.0.0.1:{port}/") for link in links), links
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("runportal did not stop on SIGINT")
    assert "Stopped." in log.read_text()
