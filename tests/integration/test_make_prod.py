"""`make prod` end to end (issue 10, production shape): on a throwaway PostgreSQL database it
migrates, collects static files and starts gunicorn with production settings, a Celery worker and
Celery beat on Redis. Over plain HTTP (the documented local mode) a user signs in through the real
sign-in page, a password reset reaches an SMTP sink through the worker, and SIGINT stops all."""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import subprocess
import time
import uuid

import environ
import psutil
import psycopg
import pytest
from psycopg import sql

from tests.integration.conftest import ROOT, _free_port
from tests.integration.test_make_run import Browser, _wait
from tests.tools import need

# A Sales agent: no role that production requires two-factor sign-in for.
SMOKE_USER = "sam.sales@northwind-it.example"
CREATE_USER = f"""
from allauth.account.models import EmailAddress
from devtools.demo.portal import PASSWORD
from portal.models import Membership, Organization, User
user = User.objects.create_user({SMOKE_USER!r}, PASSWORD, first_name="Sam", last_name="Sales")
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
org = Organization.objects.get(primary_domain="northwind-it.example")
Membership.objects.create(user=user, organization=org, global_admin=False, sales_agent=True)
"""


@pytest.fixture
def throwaway_database():
    url = os.environ.get("DATABASE_URL", "")
    config = environ.Env.db_url_config(url) if url else {}
    need(
        "PostgreSQL (make prod runs on it)",
        "postgresql" in config.get("ENGINE", ""),
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal make test-all",
    )
    name = f"portal_smoke_{uuid.uuid4().hex[:10]}"
    params = {
        "host": config.get("HOST") or "127.0.0.1",
        "port": config.get("PORT") or 5432,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    host = f"{params['host']}:{params['port']}"
    auth = params["user"] or ""
    if params["password"]:
        auth += f":{params['password']}"
    yield f"postgres://{auth}@{host}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _healthy(browser: Browser) -> bool:
    try:
        return browser.get("/healthz") == (200, "ok\n")
    except OSError:
        return False


PROBES = ("/healthz", "/readyz")


def _assert_json_logs(text: str) -> None:
    """Production logs are JSON lines (portal/logs.py): gunicorn's own and its access lines, the
    worker's, and every access line of a signed-in request names the request, tenant and user."""
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(
        line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines
    )
    worker = [line["message"] for line in lines if line["logger"].startswith("celery")]
    assert any("ready." in message for message in worker)
    # The probes are answered before the request id is given (portal/health.py comes first).
    access = [
        line
        for line in lines
        if line["logger"] == "gunicorn.access" and not line["path"].startswith(PROBES)
    ]
    assert access and all(line["request_id"] and line["timestamp"] for line in access)
    signed_in = [line for line in access if "user" in line]
    assert signed_in, access[-5:]
    assert all(line["tenant"] for line in signed_in)


def test_make_prod_serves_signs_in_over_local_http_and_sends_mail(
    throwaway_database, smtp_sink, tmp_path
):
    controller, sink = smtp_sink
    port = _free_port()
    queue = f"smoke-{uuid.uuid4().hex[:10]}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))},
        "PORT": str(port),
        "DATABASE_URL": throwaway_database,
        "REDIS_URL": "redis://127.0.0.1:6379/14",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CACHE_URL": "locmemcache://smoke",
        "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "beat-schedule"),
        "EMAIL_URL": f"smtp://127.0.0.1:{controller.port}",
        "SEED_DEMO": "1",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "WORKER_CONCURRENCY": "1",
    }
    for name in ("SITE_URL", "DJANGO_SECRET_KEY", "PORTAL_LOCAL_HTTP", "EMAIL_BACKEND"):
        env.pop(name, None)
    env["DJANGO_SECRET_KEY"] = uuid.uuid4().hex * 2
    log = tmp_path / "prod.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "prod"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    browser = Browser(f"http://127.0.0.1:{port}")
    try:
        _wait(lambda: _healthy(browser) or proc.poll() is not None, 240, "/healthz")
        assert proc.poll() is None, log.read_text()[-3000:]
        _wait(lambda: "ready." in log.read_text(), 90, "the Celery worker")
        assert "Booting worker" in log.read_text()  # gunicorn, not runserver
        manage = [str(ROOT / ".venv/bin/python"), "manage.py", "shell", "-c", CREATE_USER]
        prod_env = {**env, "DJANGO_SETTINGS_MODULE": "portal.settings.production"}
        subprocess.run(manage, cwd=ROOT, env=prod_env, check=True, capture_output=True)

        status, page = browser.get("/accounts/login/")
        assert status == 200
        status, page = browser.post(
            "/accounts/login/", {"login": SMOKE_USER, "password": "Demo-Partner-2026"}
        )
        assert status == 200 and "Northwind IT" in page and "Sign out" in page
        # Production settings, local HTTP: the session cookie is not `Secure`, so a browser keeps
        # it on http://127.0.0.1; HSTS is not sent over plain HTTP.
        assert any(c.name == "sessionid" and not c.secure for c in browser.jar)

        browser.post("/accounts/password/reset/", {"email": "admin@adatum-retail.example"})

        # (The demo data queued emails of its own; the worker sends those too.)
        def reset_mail() -> list[dict]:
            return [m for m in sink.messages if m["to"] == ["admin@adatum-retail.example"]]

        _wait(reset_mail, 90, "the password-reset email in the SMTP sink")
        assert len(reset_mail()) == 1
        received = email.message_from_string(reset_mail()[0]["data"], policy=email.policy.default)
        text = received.get_body(("plain",)).get_content()  # base64 or QP: Adatum reads Italian
        assert f"http://127.0.0.1:{port}/accounts/password/reset/key/" in text
        _assert_json_logs(log.read_text())
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 5  # gunicorn master + 2 workers, celery worker, beat
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("make prod did not stop on SIGINT")
    time.sleep(1)
    assert "Stopped." in log.read_text()
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
