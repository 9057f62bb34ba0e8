"""Error tracking (portal/error_tracking.py) against a local DSN sink: a tiny HTTP server on
loopback that accepts Sentry envelopes, as sentry.io would. A signed-in user's request fails in a
view (in a new interpreter with SENTRY_DSN set: the SDK patches Django process-wide); the event
that arrives is tagged with the tenant's and the user's ids and holds none of the user's personal
data (email, name, session cookie), though the view's error message, the query string, the body
and a log line just before the failure all carried some."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli
import pytest

from tests.deploy.test_compose import ROOT
from tests.factories import MembershipFactory, UserFactory
from tests.integration.conftest import _database_url

PROJECT = 4242

# In the new interpreter: the portal behind a real WSGI server (the path gunicorn takes), one
# signed-in request that fails, its answer's request id and the session key printed.
REQUEST = """
import os
import threading
import urllib.parse
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server

import django
django.setup()
import sentry_sdk
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.test import Client
from portal.models import User

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

settings.ROOT_URLCONF = "tests.portal.urls_logging"
settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
threading.Thread(target=server.handle_request, daemon=True).start()

user = User.objects.get(pk=int(os.environ["PROBE_USER_ID"]))
client = Client()
client.force_login(user)
session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
query = urllib.parse.urlencode({"email": user.email})
body = urllib.parse.urlencode({"note": f"{user.first_name} {user.last_name}, {user.email}"})
request = urllib.request.Request(
    f"http://127.0.0.1:{server.server_port}/fail/?{query}",
    data=body.encode(),
    headers={
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}",
        "Authorization": f"Basic {user.email}",
        "Referer": f"http://127.0.0.1/users/?q={user.last_name}",
    },
)
try:
    urllib.request.urlopen(request, timeout=30)
    raise SystemExit("the view did not fail")
except urllib.error.HTTPError as error:
    assert error.code == 500, error.code
    request_id = error.headers["X-Request-ID"]
sentry_sdk.flush(timeout=10)
print(request_id, session_key)
"""


class Sink(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            body = brotli.decompress(body)
        self.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def dsn_sink():
    Sink.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://publickey@127.0.0.1:{server.server_port}/{PROJECT}", Sink.received
    server.shutdown()
    server.server_close()


def _events(received: list[tuple[str, bytes]]) -> list[dict]:
    """The event items of the envelopes (a header line, then item header and payload lines)."""
    events = []
    for _path, body in received:
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


# Committed rows (the server is another interpreter); the migrations' rows (markets) restored
# first, as a transactional test on this worker may have flushed them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_error_reaches_the_dsn_with_tenant_and_user_ids_and_no_personal_data(dsn_sink):
    dsn, received = dsn_sink
    user = UserFactory(
        email="zenobia.quillfeather@probe.example", first_name="Zenobia", last_name="Quillfeather"
    )
    membership = MembershipFactory(user=user)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": _database_url(),
        "SENTRY_DSN": dsn,
        "SENTRY_ENVIRONMENT": "probe",
        "SENTRY_RELEASE": "portal@probe",
        "PROBE_USER_ID": str(user.pk),
    }
    done = subprocess.run(
        [sys.executable, "-c", REQUEST], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    request_id, session_key = done.stdout.split()

    assert received and all(path == f"/api/{PROJECT}/envelope/" for path, _ in received)
    (event,) = [e for e in _events(received) if e.get("exception")]
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["tags"]["tenant"] == str(membership.organization.pk)
    assert event["tags"]["user"] == str(user.pk)
    assert event["tags"]["request_id"] == request_id
    assert (event["environment"], event["release"]) == ("probe", "portal@probe")
    raw = b"".join(body for _path, body in received).decode()
    for personal in ("zenobia", "quillfeather", "Zenobia", "Quillfeather", session_key):
        assert personal not in raw, personal
    assert "no invoice address for [email]" in raw  # the message stays, the address goes
