"""Load, correctness: 50 simulated users at once against a real server on loopback (issue 10, item
7). How fast the portal is under load is test_capacity.py's to measure; this test proves that
concurrent users get no server error and that races leave no duplicate.

gunicorn runs the production settings (tests/load/settings.py says what differs and why) on the
test's PostgreSQL database, with a real Celery worker on Redis sending to an SMTP sink. Each
simulated user is a thread with its own keep-alive connection and cookies; it signs in through
the real sign-in page (TOTP second step included: every user has TOTP, so the suite works whether
or not production requires it for their roles), does its flow, then browses its pages with a
short think time until the time is up:

- enrolees: pre-created work accounts (verified emails) run the whole enrolment wizard;
- invitees: three Global admins of each invited reseller accept the same invitation at once;
- reviewers: every reviewer approves the same cases, in the same order, at the same time;
- provider admins: browse their lists.

Asserts 0 server errors (5xx or dropped connections), 0 duplicate relationships or cases, one
winner per raced invitation and case, every enrolment completed and the emails sent by the worker.
LOAD_USERS and LOAD_SECONDS change the size (the flows run first; LOAD_SECONDS bounds the browsing
after them), LOAD_REDIS_URL the Redis database (broker and cache, keys and queue of the run)."""

from __future__ import annotations

import contextlib
import http.client
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from enrollment.models import LegalProfile
from portal.models import Market, Organization, OutboxMessage
from relationships.models import InvitationStatus, ProviderRelationship, ResellerInvitation
from tests.enrollment.factories import contact_data, legal_data, support_data
from tests.factories import OrganizationFactory, UserFactory, member
from tests.figures import report
from tests.integration.conftest import SinkHandler, _database_url, _free_port, _redis_up
from tests.load.browser import Browser, Stats
from tests.load.web import COLLECTSTATIC, GUNICORN, REDIS_URL, web_env
from tests.relationships.factories import provider_org, reseller_org
from tests.verification.factories import submitted_reseller
from tests.verification.helpers import last_link_key
from verification.models import CaseEvent, VerificationCase
from verification.services import case_contact_confirm, case_open

ROOT = Path(__file__).resolve().parents[2]
USERS = int(os.environ.get("LOAD_USERS", "50"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "10"))
MAX_REQUESTS = 40_000  # a bound on the run whatever the machine's speed
RACERS_PER_INVITATION = 3
CASES = 10

# serialized_rollback: the reference data (markets, regions) survives other tests' flushes.
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


# ---------------------------------------------------------------- data


@dataclass
class Plan:
    secret: str
    enrolees: list[str] = field(default_factory=list)
    invitations: list[tuple[str, list[str]]] = field(default_factory=list)  # key, racing admins
    reviewers: list[str] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)
    browsers: list[str] = field(default_factory=list)


def _with_totp(user, secret: str):
    TOTP.activate(user, secret)
    return user.email


def build_plan(users: int) -> Plan:
    secret = generate_totp_secret()
    plan = Plan(secret=secret)
    reviewers = max(2, users * 8 // 50)
    groups = max(1, users * 6 // 50)
    enrolees = max(1, users * 16 // 50)
    browsers = max(0, users - reviewers - groups * RACERS_PER_INVITATION - enrolees)

    operator = OrganizationFactory(
        kind=Organization.Kind.OPERATOR, legal_name="Operator", primary_domain="operator.example"
    )
    for _ in range(reviewers):
        plan.reviewers.append(_with_totp(member(operator, verification_admin=True).user, secret))
    for _ in range(CASES):
        partner = submitted_reseller()
        case = case_open(organization=partner.organization, actor=partner.user)
        case_contact_confirm(key=last_link_key(case))  # checks run eagerly: in review
        plan.case_ids.append(case.pk)
    assert (
        VerificationCase.objects.filter(
            pk__in=plan.case_ids, status=VerificationCase.Status.IN_REVIEW
        ).count()
        == CASES
    )

    provider = provider_org()
    for _ in range(max(1, browsers)):
        plan.browsers.append(_with_totp(member(provider).user, secret))
    plan.browsers = plan.browsers[:browsers]
    inviter = member(provider).user
    for _ in range(groups):
        reseller = reseller_org()
        admins = [member(reseller).user for _ in range(RACERS_PER_INVITATION)]
        invitation = ResellerInvitation.objects.create(
            organization=provider,
            invited_by=inviter,
            email=admins[0].email,
            key=secrets.token_urlsafe(32),
            expires_at=timezone.now() + timedelta(days=14),
        )
        plan.invitations.append((invitation.key, [_with_totp(u, secret) for u in admins]))
    for i in range(enrolees):
        user = UserFactory(email=f"anna.bruni@load-enrol-{i}.example")
        plan.enrolees.append(_with_totp(user, secret))
    assert Market.objects.filter(code="IT").exists()
    return plan


# ---------------------------------------------------------------- behaviours


def _think() -> None:
    time.sleep(random.uniform(0.1, 0.5))


def _version(page: str) -> str | None:
    match = re.search(r'name="version" value="(\d+)"', page)
    return match.group(1) if match else None


def enrol(b: Browser, stats: Stats, email: str, index: int) -> None:
    domain = email.split("@", 1)[1]
    base = "/enroll/reseller/"
    b.get(f"{base}welcome/")
    b.get(f"{base}account/")
    _status, _page, where = b.post(f"{base}account/", {})
    assert where == f"{base}legal/", where
    steps = [
        ("legal", legal_data(legal_name=f"Load Enrolment Company {index} S.r.l.")),
        ("contact", contact_data(domain)),
        ("support", support_data(domain)),
    ]
    for step, data in steps:
        _think()
        _status, _page, where = b.post(f"{base}{step}/", {**data, "nav": "next"})
        assert where != f"{base}{step}/", (step, where)
    _status, _page, where = b.post(f"{base}review/", {})
    stats.outcome("enrolment completed" if where == f"{base}confirmation/" else "enrolment stuck")


def accept(b: Browser, stats: Stats, key: str, barrier: threading.Barrier) -> None:
    b.get(f"/invitations/{key}/")
    with contextlib.suppress(threading.BrokenBarrierError):  # a racer failed: go on alone
        barrier.wait(timeout=30)
    status, _page, where = b.post(f"/invitations/{key}/", {"confirm": "on", "action": "authorize"})
    stats.outcome(
        "invitation won" if where == "/indirect-providers/" else f"invitation refused {status}"
    )


def approve(b: Browser, stats: Stats, case_ids: list[int]) -> None:
    b.get("/review/")
    for pk in case_ids:
        _status, page, _where = b.get(f"/review/{pk}/")
        version = _version(page)
        if version is None or f'action="/review/{pk}/approve/"' not in page:
            stats.outcome("approve: already decided")
            continue
        _status, page, _where = b.post(f"/review/{pk}/approve/", {"version": version, "note": ""})
        stats.outcome(
            "approve: won" if "Approved. The partner is verified" in page else "approve: lost"
        )


BROWSE = {
    "enrolee": ["/verification/", "/dashboard/", "/enroll/reseller/welcome/"],
    "invitee": ["/indirect-providers/", "/dashboard/", "/find-a-provider/", "/customers/"],
    "reviewer": ["/review/", "/review/?status=verified", "/dashboard/"],
    "browser": ["/indirect-resellers/", "/dashboard/", "/customers/", "/indirect-resellers/?q=co"],
}


def simulate(port, stats, deadline, role, email, secret, work) -> None:
    b = Browser(port, stats)
    try:
        b.sign_in(email, secret)
        work(b)
        pages = BROWSE[role]
        i = 0
        while time.monotonic() < deadline and stats.total() < MAX_REQUESTS:
            _think()
            b.get(pages[i % len(pages)])
            i += 1
    except Exception as exc:
        stats.outcome(f"{role} failed: {exc!r}"[:160])
    finally:
        b.close()


# ---------------------------------------------------------------- the stack


@pytest.fixture
def server(transactional_db, tmp_path):
    if connection.vendor != "postgresql" or not _redis_up():
        if os.environ.get("CI"):
            pytest.fail("the load suite needs PostgreSQL (DATABASE_URL) and Redis")
        pytest.skip("the load suite needs PostgreSQL (DATABASE_URL) and Redis on 127.0.0.1")
    from aiosmtpd.controller import Controller

    sink = SinkHandler()
    smtp = Controller(sink, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    port = _free_port()
    run = uuid.uuid4().hex[:10]
    env = web_env(
        os.environ,
        port=port,
        redis_url=REDIS_URL,
        queue=f"load-{run}",
        workers=3,
        threads=8,
        DATABASE_URL=_database_url(),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
        PYTHONUNBUFFERED="1",
    )
    logs = {name: tmp_path / f"{name}.log" for name in ("collectstatic", "web", "worker")}
    commands = {
        "collectstatic": COLLECTSTATIC,
        "worker": [
            *[sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo"],
            *["-Q", f"load-{run}", "-n", f"load-{run}@%h", "--loglevel=INFO"],
            *["--without-gossip", "--without-mingle", "--without-heartbeat"],
        ],
        "web": GUNICORN,
    }
    procs: dict[str, subprocess.Popen] = {}

    def launch(name: str) -> None:
        with open(logs[name], "w") as out:
            procs[name] = subprocess.Popen(
                commands[name], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def ready() -> None:
        """Start gunicorn once the static files are collected, then wait for /healthz and the
        worker (collectstatic and the worker start while the test writes its data)."""
        deadline = time.monotonic() + 120
        if procs["collectstatic"].wait(timeout=120) != 0:
            pytest.fail(f"collectstatic failed:\n{logs['collectstatic'].read_text()[-3000:]}")
        launch("web")
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or procs["web"].poll() is not None:
                pytest.fail(f"gunicorn did not start:\n{logs['web'].read_text()[-3000:]}")
            time.sleep(0.2)
        while "ready." not in logs["worker"].read_text():
            if time.monotonic() > deadline or procs["worker"].poll() is not None:
                pytest.fail(f"worker did not start:\n{logs['worker'].read_text()[-3000:]}")
            time.sleep(0.2)

    try:
        launch("collectstatic")
        launch("worker")
        yield port, sink, logs, ready
    finally:
        for name, proc in procs.items():
            if proc.poll() is None:
                # gunicorn: quick shutdown (the load is over); the worker: warm shutdown.
                proc.send_signal(signal.SIGQUIT if name == "web" else signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        smtp.stop()


# ---------------------------------------------------------------- the test


def test_fifty_users_at_once_get_no_server_error_and_make_no_duplicate(server):
    started = time.monotonic()
    port, sink, logs, ready = server
    plan = build_plan(USERS)
    ready()
    setup_seconds = time.monotonic() - started
    stats = Stats()
    deadline = time.monotonic() + SECONDS
    threads = []

    def start(role, email, work):
        args = (port, stats, deadline, role, email, plan.secret, work)
        threads.append(threading.Thread(target=simulate, args=args, daemon=True))

    for index, email in enumerate(plan.enrolees):
        start("enrolee", email, lambda b, e=email, i=index: enrol(b, stats, e, i))
    for key, admins in plan.invitations:
        barrier = threading.Barrier(len(admins))
        for email in admins:
            start("invitee", email, lambda b, k=key, w=barrier: accept(b, stats, k, w))
    for email in plan.reviewers:
        start("reviewer", email, lambda b: approve(b, stats, plan.case_ids))
    for email in plan.browsers:
        start("browser", email, lambda b: None)
    assert len(threads) == USERS
    random.shuffle(threads)
    load_started, load_started_at = time.monotonic(), timezone.now()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic() + 60))
    elapsed = time.monotonic() - load_started
    assert not [t for t in threads if t.is_alive()], "a simulated user never finished"

    # Duplicates, read from the database the server wrote.
    duplicate_relationships = (
        ProviderRelationship.objects.filter(status="active")
        .values("provider", "reseller")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    duplicate_cases = (
        VerificationCase.objects.values("organization").annotate(n=Count("pk")).filter(n__gt=1)
    ).count()
    duplicate_profiles = (
        LegalProfile.objects.values("organization").annotate(n=Count("pk")).filter(n__gt=1)
    ).count()
    approvals = Counter(
        CaseEvent.objects.filter(
            case_id__in=plan.case_ids, type=CaseEvent.Type.APPROVED
        ).values_list("case_id", flat=True)
    )
    keys = [key for key, _admins in plan.invitations]
    accepted = ResellerInvitation.objects.filter(key__in=keys, status=InvitationStatus.ACCEPTED)
    relationships = ProviderRelationship.objects.filter(invitation__key__in=keys).count()
    enrolled = Organization.objects.filter(
        primary_domain__startswith="load-enrol-", status=Organization.Status.SUBMITTED
    ).count()
    # Emails written during the run, sent by the real worker (bounded wait for the last ones).
    queued = OutboxMessage.objects.filter(created_at__gte=load_started_at).count()
    drain_until = time.monotonic() + 15
    while len(sink.messages) < queued and time.monotonic() < drain_until:
        time.sleep(0.5)

    latencies = sorted(stats.latencies_ms)
    total = len(latencies)
    p50 = statistics.median(latencies)
    p99 = latencies[min(total - 1, int(total * 0.99))]
    server_errors = len(stats.server_errors)
    duplicates = duplicate_relationships + duplicate_cases + duplicate_profiles
    duplicates += sum(n - 1 for n in approvals.values() if n > 1)
    report(
        "load",
        f"{USERS} users x {SECONDS:.0f} s: {total} requests ({total / elapsed:.0f}/s), "
        f"{server_errors} 5xx, p50 {p50:.0f} ms, p99 {p99:.0f} ms (closed loop: see capacity), "
        f"{duplicates} duplicates; "
        f"{enrolled} enrolments, {accepted.count()}/{len(keys)} raced invitations accepted once, "
        f"{len(approvals)}/{len(plan.case_ids)} raced cases approved once; "
        f"{len(sink.messages)}/{queued} emails delivered by the worker "
        f"(setup {setup_seconds:.0f} s, total {time.monotonic() - started:.0f} s)",
    )
    failures = [name for name in stats.outcomes if "failed" in name or "stuck" in name]
    assert not failures, stats.outcomes
    assert server_errors == 0, (
        stats.server_errors[:20],
        logs["web"].read_text()[-4000:],
    )
    assert duplicates == 0
    assert enrolled == len(plan.enrolees)
    assert accepted.count() == relationships == len(keys), stats.outcomes
    assert stats.outcomes["invitation won"] == len(keys)
    assert set(approvals) == set(plan.case_ids) and set(approvals.values()) == {1}
    assert stats.outcomes["approve: won"] == len(plan.case_ids)
    assert sink.messages, "the worker sent no email"
