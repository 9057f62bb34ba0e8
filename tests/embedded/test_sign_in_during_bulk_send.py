"""The embedded default (`make run`: SQLite, the filesystem broker, runportal's web server,
Celery worker and beat) holds its own features: while a provider's bulk invitation file is
being sent by the worker, people keep signing in. Ten sign-ins through the real sign-in page,
each followed by a page, answer no 500 ("database is locked"), and the file is sent whole, each
invitation email once (counted by an SMTP sink on loopback)."""

from __future__ import annotations

import http.cookiejar
import logging
import os
import re
import signal
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
from aiosmtpd.controller import Controller

from devtools.demo.portal import PASSWORD
from tests.figures import report
from tests.integration.conftest import _free_port

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = "admin@contoso-distribution.example"
SIGN_INS = 10
# Enough rows that the worker is still sending after ten sign-ins on a busy 2-core machine.
ROWS = int(os.environ.get("EMBEDDED_BULK_ROWS", "1200"))


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


# The file's emails (the demo also seeds one that failed on purpose, for the operations page:
# devtools/demo/operations.py, retried an hour later).
UNSENT = (
    "SELECT COUNT(*) FROM portal_outboxmessage WHERE sent_at IS NULL "
    "AND to_email LIKE '%.bulk.example'"
)
BATCH = "SELECT status, processed, sent FROM relationships_bulkinvitationbatch WHERE id = ?"
SENT_ROWS = (
    "SELECT COUNT(*), COUNT(DISTINCT invitation_id) FROM relationships_bulkinvitationrow "
    "WHERE batch_id = ? AND status = 'sent'"
)
INVITATION_EMAILS = (
    "SELECT id FROM portal_outboxmessage WHERE to_email LIKE '%.bulk.example' "
    "AND template = 'relationships_reseller_invitation'"
)


def _query(db: Path, sql: str, *args):
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def test_ten_sign_ins_during_a_bulk_send_answer_no_500_and_the_file_is_sent_once(tmp_path):
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=_free_port())
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
        # The whole file in one go (the hourly limit's waiting is tests/relationships'), so
        # the sign-ins meet the sending.
        "PORTAL_RATE_LIMIT_RESELLER_INVITATIONS": "100000/h",
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
        progress_at_start: list[int] = []
        seconds: list[float] = []
        for _attempt in range(SIGN_INS):
            progress_at_start.append(progress()[1])
            began = time.monotonic()
            browser = Browser(base)
            status, _url, page = browser.sign_in(PROVIDER)
            answers.append(status)
            signed_in = status == 200 and "Contoso Distribution" in page
            answers.append(browser.get("/indirect-resellers/")[0] if signed_in else 0)
            seconds.append(time.monotonic() - began)
        _wait(lambda: progress()[0] == "done", 900, "the bulk send to finish")
        send_seconds = time.monotonic() - started
        _wait(lambda: _query(db, UNSENT)[0][0] == 0, 300, "the outbox to drain")
        report(
            "embedded",
            f"{ROWS} rows sent in {send_seconds:.1f} s; sign-ins and their pages during it: "
            f"{answers}, slowest sign-in + page {max(seconds):.1f} s "
            f"(rows sent when each sign-in began: {progress_at_start})",
        )
        # Then no answer was a 500, and every sign-in reached its dashboard and its next page.
        assert answers.count(500) == 0, answers
        assert answers == [200] * (2 * SIGN_INS), answers
        # (All ten began while the worker was sending: else the file is too small here.)
        assert progress_at_start[-1] < ROWS, progress_at_start
        # And the whole file was sent: an invitation per row, an email per invitation, once.
        assert _query(db, BATCH, batch_id)[0] == ("done", ROWS, ROWS)
        assert _query(db, SENT_ROWS, batch_id)[0] == (ROWS, ROWS)
        invited = {pk for (pk,) in _query(db, INVITATION_EMAILS)}
        assert len(invited) == ROWS
        with sink.lock:
            delivered = Counter(
                int(match.group(1))
                for mid, copies in sink.ids.items()
                for match in [re.match(r"<outbox-(\d+)-", mid)]
                if match
                for _copy in range(copies)
            )
        assert {pk: delivered[pk] for pk in invited} == dict.fromkeys(invited, 1)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        smtp.stop()
