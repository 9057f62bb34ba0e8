"""The embedded default (`make run`: SQLite, the filesystem broker, runportal's web server,
Celery worker and beat) holds its own features: while a provider's bulk invitation file is
being sent by the worker, people keep signing in. Ten sign-ins through the real sign-in page,
each followed by a page, answer no 500 ("database is locked"), and the file is sent whole, each
invitation email once (counted by an SMTP sink on loopback)."""

from __future__ import annotations

import http.cookiejar
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from devtools.demo.portal import PASSWORD
from tests.figures import report
from tests.tools import need

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = "admin@contoso-distribution.example"
SIGN_INS = 10
# Enough rows that the worker is still sending after ten sign-ins on a busy 2-core machine.
ROWS = int(os.environ.get("EMBEDDED_BULK_ROWS", "1500"))


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
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


class Sink:
    """An SMTP server on loopback that counts the Message-IDs it accepted."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        header = BytesParser(policy=policy.compat32).parsebytes(envelope.content, headersonly=True)
        with self.lock:
            self.ids[str(header.get("Message-ID", "")).strip()] += 1
        return "250 OK"


class Browser:
    """One person's browser: cookies, and every answer's status (a 500 is an answer too)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _open(self, request: urllib.request.Request | str) -> tuple[int, str, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.geturl(), exc.read().decode(errors="replace")

    def get(self, path: str) -> tuple[int, str, str]:
        return self._open(self.base + path)

    def post(
        self, path: str, data: dict[str, str], file: tuple[str, str, bytes] | None = None
    ) -> tuple[int, str, str]:
        csrf = next(c.value for c in self.jar if c.name == "csrftoken")
        fields = {**data, "csrfmiddlewaretoken": csrf}
        headers = {"Referer": self.base + path}
        if file is None:
            body = urllib.parse.urlencode(fields).encode()
        else:
            boundary = uuid.uuid4().hex
            parts = [
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
                for name, value in fields.items()
            ]
            name, filename, content = file
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        return self._open(urllib.request.Request(self.base + path, data=body, headers=headers))

    def sign_in(self, email: str) -> tuple[int, str, str]:
        self.get("/accounts/login/")
        return self.post("/accounts/login/", {"login": email, "password": PASSWORD})


def _reseller_file(rows: int) -> bytes:
    lines = ["email,partner_id"]
    lines += [f"admin{i}@reseller{i}.bulk.example,{2_000_000 + i}" for i in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


def _query(db: Path, sql: str, *args):
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def test_ten_sign_ins_during_a_bulk_send_answer_no_500_and_the_file_is_sent_once(tmp_path):
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command
    need("sqlite3 with WAL", sqlite3.sqlite_version_info >= (3, 7, 0), "a newer Python")
    sink = Sink()
    smtp = aiosmtpd.Controller(sink, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    db = tmp_path / "portal.sqlite3"
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))},
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DATABASE_URL": f"sqlite:///{db}",
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_FILESYSTEM_BROKER_DIR": str(tmp_path / "broker"),
        "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "beat-schedule"),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "PORT": str(port),
    }
    for var in ("REDIS_URL", "CACHE_URL", "SITE_URL", "PORTAL_REQUIRE_MFA"):
        env.pop(var, None)
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run(
        [python, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    seeded = _query(db, "SELECT COUNT(*) FROM portal_outboxmessage")[0][0]
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
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return Browser(base).get("/accounts/login/")[0] == 200
            except OSError:
                return False

        _wait(up, 60, "the sign-in page")
        _wait(lambda: "ready." in log.read_text(), 60, "the Celery worker")

        # Given a provider's file of ROWS reseller invitations, uploaded and confirmed.
        sender = Browser(base)
        assert sender.sign_in(PROVIDER)[0] == 200
        status, review_url, _page = sender.post(
            "/bulk-invitations/", {}, file=("file", "resellers.csv", _reseller_file(ROWS))
        )
        assert status == 200, _page[:2000]
        batch_path = urllib.parse.urlsplit(review_url).path
        batch_id = int(batch_path.rstrip("/").rsplit("/", 1)[1])
        started = time.monotonic()
        assert sender.post(batch_path, {})[0] == 200

        def progress() -> tuple[str, int]:
            status, processed = _query(
                db,
                "SELECT status, processed FROM relationships_bulkinvitationbatch WHERE id = ?",
                batch_id,
            )[0]
            return status, processed

        _wait(lambda: progress()[1] > 0 or progress()[0] == "done", 60, "the send to start")

        # When ten people sign in while the worker sends, each opening a page after.
        answers: list[int] = []
        seen_progress = [progress()[1]]
        for attempt in range(SIGN_INS):
            browser = Browser(base)
            status, _url, page = browser.sign_in(PROVIDER)
            answers.append(status)
            signed_in = status == 200 and "Contoso Distribution" in page
            answers.append(browser.get("/indirect-resellers/")[0] if signed_in else 0)
            seen_progress.append(progress()[1])
        during = progress()
        _wait(lambda: progress()[0] == "done", 600, "the bulk send to finish")
        send_seconds = time.monotonic() - started

        invitations = [
            row[0]
            for row in _query(
                db,
                "SELECT id FROM portal_outboxmessage WHERE id > ? AND template LIKE '%invitation%'",
                0,
            )
        ]
        _wait(
            lambda: (
                _query(db, "SELECT COUNT(*) FROM portal_outboxmessage WHERE sent_at IS NULL")[0][0]
                == 0
            ),
            300,
            "the outbox to drain",
        )
        all_seconds = time.monotonic() - started
        report(
            "embedded",
            f"{ROWS} rows: sent in {send_seconds:.1f} s (emails out after {all_seconds:.1f} s); "
            f"sign-ins and pages during it: {answers} (batch at {seen_progress} rows)",
        )
        # Then no answer was a 500 and every sign-in reached its dashboard and its next page.
        assert answers.count(500) == 0, answers
        assert answers == [200] * (2 * SIGN_INS), answers
        # The probes ran while the worker was sending (the file was not done before the last).
        assert during[0] != "done" or seen_progress[-2] < ROWS, (during, seen_progress)
        # And the whole file was sent, each invitation once, each email once.
        sent, processed = _query(
            db,
            "SELECT sent, processed FROM relationships_bulkinvitationbatch WHERE id = ?",
            batch_id,
        )[0]
        assert (sent, processed) == (ROWS, ROWS)
        assert _query(db, "SELECT COUNT(*) FROM relationships_resellerinvitation")[0][0] >= ROWS
        rows = _query(
            db,
            "SELECT COUNT(*), COUNT(DISTINCT invitation_id) FROM relationships_bulkinvitationrow "
            "WHERE batch_id = ? AND status = 'sent'",
            batch_id,
        )[0]
        assert rows == (ROWS, ROWS)
        emails = [
            f"<outbox-{pk}-"
            for (pk,) in _query(
                db,
                "SELECT id FROM portal_outboxmessage WHERE to_email LIKE '%.bulk.example'",
            )
        ]
        assert len(emails) == ROWS
        with sink.lock:
            delivered = Counter(
                mid.split("-")[0] + "-" + mid.split("-")[1] + "-" for mid in sink.ids
            )
            copies = [sink.ids[mid] for mid in sink.ids]
        assert all(delivered[mid] == 1 for mid in emails), "an invitation email missing"
        assert max(copies) == 1, "an email was sent twice"
        assert seeded >= 0 and invitations
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        smtp.stop()
