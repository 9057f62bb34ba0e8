"""Two web processes, one PostgreSQL and one Redis: a person signs in on one and carries on on the
other, and what the portal keeps between requests (sessions, rate limits, cached figures) is the
same whichever process answers (issue 21, item 6; docs/scaling.md).

Two gunicorn instances of the production settings (tests/scaleout/settings.py: the load suite's,
allauth's rate limits on) run on the test's database with the same DJANGO_SECRET_KEY and one
Redis database as cache and broker, with database sessions, cached_db sessions and production's
portal.sessions (cached_db read with the request context in one round trip). A reviewer (a
verification admin: TOTP required) signs in on A through the real sign-in page and continues on
B with the same cookies.

SCALEOUT_CACHE_URL replaces the cache of both processes: `SCALEOUT_CACHE_URL=locmemcache://`
runs them with a per-process cache, and the rate limit and the cached figures fail, which is
what this test is here to catch."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.db import connection

from portal.models import Organization, User
from tests.factories import PASSWORD, OrganizationFactory, member
from tests.integration.conftest import _database_url, _free_port, _redis_up
from tests.load.browser import keep_cookies, redirect_path
from tests.load.web import COLLECTSTATIC, GUNICORN, web_env
from tests.verification.factories import submitted_reseller
from tests.verification.helpers import last_link_key
from verification.services import case_contact_confirm, case_open

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/8"
# allauth's "login_failed" limit in production: 5 failed sign-ins per account in 5 minutes.
FAILED_SIGN_INS_ALLOWED = 5

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


class Browser:
    """One person's cookies, sent to whichever process a request goes to, as a load balancer
    in front of both would; follows redirects."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.memo: str | None = None  # the last answer's X-Page-Memo (portal/pagememo.py)

    def request(
        self, port: int, method: str, path: str, data: dict | None = None
    ) -> tuple[int, str, str]:
        """(final status, final body, final path)."""
        body = urlencode(data) if data is not None else None
        for _hop in range(6):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            headers = {
                # One public host name, whichever process the load balancer picked: allauth
                # keys its failed sign-in counts by it (the site's domain).
                "Host": "127.0.0.1",
                "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            }
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            self.memo = response.getheader("X-Page-Memo")
            conn.close()
            keep_cookies(self.cookies, response)
            redirected = redirect_path(response)
            if redirected:
                path, method, body = redirected, "GET", None
                continue
            return response.status, text, path
        raise AssertionError(f"too many redirects from {path}")

    def get(self, port: int, path: str) -> tuple[int, str, str]:
        return self.request(port, "GET", path)

    def post(self, port: int, path: str, data: dict, page: str) -> tuple[int, str, str]:
        """Submit a form with the CSRF token of `page`, the page the form was read from."""
        return self.request(port, "POST", path, {**data, "csrfmiddlewaretoken": csrf_token(page)})


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def claim_version(page: str) -> str:
    """The case version the claim form carries."""
    start = page.find('/claim/"')
    match = re.search(r'name="version" value="(\d+)"', page[start:]) if start >= 0 else None
    assert match, "the case page has no claim form"
    return match.group(1)


def sign_in(b: Browser, port: int, email: str, password: str) -> tuple[int, str, str]:
    _status, page, _where = b.get(port, "/accounts/login/")
    return b.post(port, "/accounts/login/", {"login": email, "password": password}, page)


def second_factor(
    b: Browser, port: int, page: str, where: str, secret: str
) -> tuple[int, str, str]:
    # A code typed near the end of its 30 s period may arrive after it: wait for the next one.
    if time.time() % 30 > 25:
        time.sleep(30 - time.time() % 30)
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    return b.post(port, where, {"code": code}, page)


def in_review_count(page: str) -> int:
    match = re.search(r">In review</a>: <strong>([\d,+]+)</strong>", page)
    assert match, "the review queue shows no count of cases in review"
    return int(match.group(1).replace(",", "").rstrip("+"))


def open_case_in_review() -> Any:
    partner = submitted_reseller()
    case = case_open(organization=partner.organization, actor=partner.user)
    case_contact_confirm(key=last_link_key(case))  # checks run eagerly: in review
    return case


def assignee_of(page: str) -> str:
    match = re.search(r'<span class="fw-semibold">[^<]+:</span> ([^<]+)</p>', page)
    assert match, "the case page shows no assignee"
    return match.group(1).strip()


# ---------------------------------------------------------------- the two processes


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """Static files collected once for the module, in a directory of its own (the load and fault
    suites collect theirs beside it)."""
    root = tmp_path_factory.mktemp("scaleout-static")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.scaleout.settings"}
    env |= {"DJANGO_SECRET_KEY": uuid.uuid4().hex * 2, "STATIC_ROOT": str(root)}
    env |= {"DJANGO_ALLOWED_HOSTS": "127.0.0.1", "PORTAL_LOCAL_HTTP": "1"}
    done = subprocess.run(COLLECTSTATIC, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return root


@pytest.fixture(params=["django.contrib.sessions.backends.db", "cached_db", "portal.sessions"])
def two_web_processes(request, transactional_db, static_root, tmp_path) -> Iterator[list[int]]:
    if connection.vendor != "postgresql" or not _redis_up():
        if os.environ.get("CI"):
            pytest.fail("the scale-out test needs PostgreSQL (DATABASE_URL) and Redis")
        pytest.skip("the scale-out test needs PostgreSQL (DATABASE_URL) and Redis on 127.0.0.1")
    engine = request.param
    if "." not in engine:
        engine = f"django.contrib.sessions.backends.{engine}"
    run = uuid.uuid4().hex[:10]
    secret_key = uuid.uuid4().hex * 2  # every process of one deployment signs with the same key
    cache = (
        {"CACHE_URL": os.environ["SCALEOUT_CACHE_URL"]}
        if "SCALEOUT_CACHE_URL" in os.environ
        else {}
    )
    ports = [_free_port(), _free_port()]
    procs: list[subprocess.Popen] = []
    logs = [tmp_path / f"web-{name}.log" for name in "AB"]
    try:
        for port, log in zip(ports, logs, strict=True):
            env = web_env(
                os.environ,
                port=port,
                redis_url=REDIS_URL,
                queue=f"scaleout-{run}",
                workers=1,
                threads=2,
                DATABASE_URL=_database_url(),
                DJANGO_SETTINGS_MODULE="tests.scaleout.settings",
                DJANGO_SECRET_KEY=secret_key,
                STATIC_ROOT=str(static_root),
                SCALEOUT_SESSION_ENGINE=engine,
                PYTHONUNBUFFERED="1",
                **cache,
            )
            with open(log, "w") as out:
                procs.append(
                    subprocess.Popen(
                        GUNICORN, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
                    )
                )
        deadline = time.monotonic() + 90
        for port, proc, log in zip(ports, procs, logs, strict=True):
            while True:
                try:
                    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    probe.request("GET", "/healthz")
                    if probe.getresponse().status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
        yield ports
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGQUIT)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# ---------------------------------------------------------------- the test


def test_a_person_signs_in_on_one_process_and_carries_on_on_the_other(two_web_processes):
    a, b = two_web_processes
    operator = OrganizationFactory(
        kind=Organization.Kind.OPERATOR,
        legal_name="Scaleout Operator S.p.A.",
        primary_domain="scaleout-operator.example",
    )
    reviewer = member(operator, verification_admin=True).user
    secret = generate_totp_secret()
    TOTP.activate(reviewer, secret)
    target = member(OrganizationFactory()).user
    open_case_in_review()

    # Signed in on A (password, then the second factor production requires of reviewers)...
    person = Browser()
    status, page, where = sign_in(person, a, reviewer.email, PASSWORD)
    assert where.startswith("/accounts/2fa/authenticate/"), (status, where)
    status, page, where = second_factor(person, a, page, where, secret)
    assert status == 200 and not where.startswith("/accounts/"), (status, where)

    # A counts the review queue's figures and keeps them a minute in the cache...
    _status, page_a, _where = person.get(a, "/review/")
    counted = in_review_count(page_a)
    open_case_in_review()

    # ...and B knows the person (the session A opened, their organization) and shows A's
    # figures: the case that reached review meanwhile is not counted yet.
    status, page_b, where = person.get(b, "/review/")
    assert (status, where) == (200, "/review/"), "B does not know the session A opened"
    assert "Scaleout Operator S.p.A." in page_b
    assert in_review_count(page_b) == counted, "B counted again instead of using A's figure"

    # A form read on A is accepted by B (CSRF): the language switch in the page's top bar.
    status, page, where = person.post(
        b, "/language/", {"language": "it", "next": "/review/"}, page_a
    )
    assert (status, where) == (200, "/review/"), (status, where)
    assert '<html lang="it">' in page
    reviewer.refresh_from_db()
    assert reviewer.language == "it"

    # A page kept by one process is served by the other, and forgotten by both as soon as a
    # request on either changes what it shows (portal/pagememo.py): the case page, kept by A
    # (its second render there), served by B; claimed on B; then A shows the new assignee.
    case = open_case_in_review()
    path = f"/review/{case.pk}/"
    for _render in range(2):
        status, page_a, where = person.get(a, path)
        assert (status, where) == (200, path)
    assert person.memo == "miss", "A did not keep the case page"
    assert assignee_of(page_a) != reviewer.get_full_name()
    _status, page_b, _where = person.get(b, path)
    assert person.memo == "hit" and page_b == page_a, "B did not serve the page A kept"
    status, page, where = person.post(
        b, f"/review/{case.pk}/claim/", {"version": claim_version(page_b)}, page_b
    )
    assert (status, where) == (200, path), where
    assert assignee_of(page) == reviewer.get_full_name()
    _status, page_a, _where = person.get(a, path)
    assert person.memo != "hit", "A served the page kept before the claim"
    assert assignee_of(page_a) == reviewer.get_full_name()

    # Failed sign-ins count once, whichever process answers: 3 on A and 2 on B reach the limit
    # of 5, and the right password is refused next.
    attacker = Browser()
    for port in [a, b, a, b, a][:FAILED_SIGN_INS_ALLOWED]:
        status, page, where = sign_in(attacker, port, target.email, "not-the-password")
        assert where == "/accounts/login/" and "Too many failed" not in page
    status, page, where = sign_in(attacker, b, target.email, PASSWORD)
    assert where == "/accounts/login/", "signed in past the failed sign-in limit"
    assert "Too many failed login attempts" in unescape(page)
    assert User.objects.get(pk=target.pk).last_login is None
