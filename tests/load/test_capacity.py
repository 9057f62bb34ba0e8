"""Load, capacity (issue 21, item 3): how many requests a second of the signed-in pages the portal
serves at interactive speed, against a bare Django view measured the same way in the same run.

- Data: `manage.py seed_scale --scale LOAD_SCALE` (the benchmark's shape, small: the demo data plus
  a few thousand partners, customers and cases) in the test database.
- Servers: gunicorn with the deployment's configuration (deploy/gunicorn.conf.py, the threads of
  deploy/production.env), LOAD_WORKERS (2: one per core of the CI machine) worker processes, the
  production settings over loopback (tests/load/settings.py); and the bare Django project
  (bench/bare.py) under the same gunicorn configuration. Both with `--max-requests 0`: recycling a
  worker every ~2,000 requests is a leak guard for weeks of traffic; within a measurement it would
  charge a worker's start-up (about a second of CPU) every few seconds, to the bare view above all.
- Sessions: the demo's provider admin (Contoso), reseller admin (Northwind) and reviewer, signed in
  through the real sign-in pages with their TOTP step.
- Generator (tests/load/openloop.py): open loop at fixed arrival rates over a keep-alive
  connection pool, latency from each request's scheduled time (queueing counts), the same
  generator for the portal and the bare view.
- Ramp: a 1 s closed-loop probe estimates the ceiling; steps of LOAD_STEP_SECONDS (at least 60
  requests, 6 s at most) at fixed rates from half of it, up by 1.5 while sustained (down by 0.6
  while not), then halving the gap (geometrically) between the highest sustained rate and the
  lowest unsustained one while it is over 25%. A rate is sustained when its p99 <= 1 s
  (LOAD_CAPACITY_P99_MS), with 0 server errors (5xx or no answer), and the server kept up: in the
  step's second half (shifted by the median latency) it answered at least 95% as many requests as
  it was sent, less one (a short step at a rate above the ceiling can otherwise end before its
  queue makes p99 exceed 1 s). Capacity: the highest sustained rate.
- Then, after closing the generator's connections and a 2 s pause, LOAD_STEADY_SECONDS (at least
  100 requests, 20 s at most) at half the portal's capacity; once more if its p99 is over the
  bound (a shared machine's neighbour can fill one window; both tries are printed).

Prints both step tables, capacity, bare, ratio and the generator's own CPU time. Asserts, at half
the capacity, p99 <= LOAD_HALF_P99_MS (300) with 0 server errors and every answer a 200, and
capacity >= LOAD_MIN_RATIO (0.1) times the bare view's (issue 21's goal)."""

from __future__ import annotations

import asyncio
import http.client
import math
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.utils import decrypt
from django.core.management import call_command
from django.db import connection

from devtools.demo.portal import PASSWORD
from portal.models import User
from tests.figures import report
from tests.integration.conftest import _database_url, _free_port, _redis_up
from tests.load.browser import Browser, Stats
from tests.load.openloop import OpenLoop, Request, Step, get, percentile, run_loop
from tests.load.web import COLLECTSTATIC, GUNICORN, REDIS_URL, ROOT, deploy_env, web_env
from verification.models import VerificationCase


def _env(name: str, default: float) -> float:
    return float(os.environ.get(name, str(default)))


SCALE = _env("LOAD_SCALE", 0.05)
WORKERS = int(_env("LOAD_WORKERS", 2))
THREADS = int(_env("LOAD_THREADS", int(deploy_env().get("GUNICORN_THREADS", "4"))))
CAPACITY_P99_MS = _env("LOAD_CAPACITY_P99_MS", 1000)  # the capacity's latency bound
HALF_P99_MS = _env("LOAD_HALF_P99_MS", 300)  # asserted at half the capacity
MIN_RATIO = _env("LOAD_MIN_RATIO", 0.1)  # capacity / bare view, the goal
STEP_SECONDS = _env("LOAD_STEP_SECONDS", 3)
# A step lasts STEP_SECONDS, or longer at a low rate so that its p99 rests on enough requests
# (not merely the slowest one), up to MAX_STEP_SECONDS.
STEP_REQUESTS, MAX_STEP_SECONDS = 60, 6.0
# At half the capacity: LOAD_STEADY_SECONDS, or longer at a low rate, so that the asserted p99
# rests on at least STEADY_REQUESTS requests, up to MAX_STEADY_SECONDS.
STEADY_SECONDS = _env("LOAD_STEADY_SECONDS", 10)
STEADY_REQUESTS, MAX_STEADY_SECONDS = 100, 20.0
# A second try at half the capacity when the first one's p99 is over the bound: on a shared CI
# machine a neighbour's burst can fill one 10 s window (a run's ramp at 92 req/s had p99 58 ms,
# then its half step at 69 req/s 514 ms). Both tries are printed; the last one is asserted.
HALF_ATTEMPTS, SETTLE_SECONDS = 2, 2.0
CONNECTIONS = int(_env("LOAD_CONNECTIONS", 256))  # the generator's pool, at most
KEPT_UP = 0.95
START, UP, DOWN, RESOLUTION, MAX_STEPS = 0.5, 1.5, 0.6, 1.25, 8

USERS = {
    "provider": "admin@contoso-distribution.example",
    "reseller": "admin@northwind-it.example",
    "reviewer": "reviewer@csp-operator.example",
}
# Who asks for which page: every list, detail and search a signed-in partner or reviewer uses
# most. Requests cycle through them in this order (one user's pages spread through the cycle).
PAGES = [
    ("provider", "/dashboard/"),
    ("reseller", "/dashboard/"),
    ("reviewer", "/review/"),
    ("provider", "/indirect-resellers/"),
    ("reseller", "/find-a-provider/"),
    ("reviewer", "/review/{case_id}/"),
    ("provider", "/customers/"),
    ("reseller", "/subscriptions/"),
    ("reviewer", "/review/?status=in_review&failing=any&sort=newest"),
    ("provider", "/indirect-resellers/?q=harbor"),
    ("reseller", "/billing/"),
    ("provider", "/subscriptions/"),
    ("reseller", "/indirect-providers/"),
    ("provider", "/billing/"),
]

# serialized_rollback: the reference data (markets, regions) survives other tests' flushes.
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


# ---------------------------------------------------------------- the servers


class Servers:
    """collectstatic, the bare view's gunicorn and (once the data is in) the portal's."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.run = uuid.uuid4().hex[:10]
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports = {"bare": _free_port(), "portal": _free_port()}

    def env(self, name: str) -> dict[str, str]:
        env = web_env(
            os.environ,
            port=self.ports[name],
            redis_url=REDIS_URL,
            queue=f"capacity-{self.run}",
            workers=WORKERS,
            threads=THREADS,
            DATABASE_URL=_database_url(),
            PYTHONUNBUFFERED="1",
        )
        if name == "bare":
            env["DJANGO_SETTINGS_MODULE"] = "bench.bare"
        return env

    def log(self, name: str) -> Path:
        return self.tmp_path / f"{name}.log"

    def launch(self, name: str, command: list[str], env: dict[str, str]) -> None:
        with open(self.log(name), "w") as out:
            self.procs[name] = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def start_web(self, name: str) -> None:
        app = ["bench.bare:application"] if name == "bare" else []
        self.launch(name, [*GUNICORN, "--max-requests", "0", *app], self.env(name))

    def wait(self, name: str, path: str) -> int:
        """Wait until `name` answers `path` with 200; its port."""
        port, deadline = self.ports[name], time.monotonic() + 120
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", path, headers={"Host": "127.0.0.1"})
                if probe.getresponse().status == 200:
                    return port
            except OSError:
                pass
            if time.monotonic() > deadline or self.procs[name].poll() is not None:
                pytest.fail(f"{name} did not start:\n{self.log(name).read_text()[-3000:]}")
            time.sleep(0.2)

    def collected(self) -> None:
        if self.procs["collectstatic"].wait(timeout=120) != 0:
            pytest.fail(f"collectstatic failed:\n{self.log('collectstatic').read_text()[-3000:]}")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGQUIT)  # gunicorn: quick shutdown
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def servers(transactional_db, tmp_path):
    if connection.vendor != "postgresql" or not _redis_up():
        if os.environ.get("CI"):
            pytest.fail("the load suite needs PostgreSQL (DATABASE_URL) and Redis")
        pytest.skip("the load suite needs PostgreSQL (DATABASE_URL) and Redis on 127.0.0.1")
    stack = Servers(tmp_path)
    try:
        stack.launch("collectstatic", COLLECTSTATIC, stack.env("portal"))
        stack.start_web("bare")  # no database: it starts while the data is written
        yield stack
    finally:
        stack.stop()


# ---------------------------------------------------------------- data and sessions


def _totp_secret(user: User) -> str:
    """The user's TOTP secret, enrolling an authenticator if they have none."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is not None:
        return decrypt(authenticator.data["secret"])
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def seed() -> tuple[dict[str, str], int]:
    """seed_scale at SCALE; the TOTP secret of each user of the mix, and a case in review."""
    call_command("seed_scale", "--scale", str(SCALE), stdout=open(os.devnull, "w"))  # noqa: SIM115
    # The planner's statistics now, not when autovacuum gets round to the fresh tables (its
    # ANALYZE, and the plans it changes, would otherwise land in the middle of the measurement).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    secrets = {who: _totp_secret(User.objects.get(email=email)) for who, email in USERS.items()}
    case = (
        VerificationCase.objects.filter(status=VerificationCase.Status.IN_REVIEW)
        .order_by("waiting_since", "pk")
        .first()
    )
    assert case is not None, "seed_scale made no case in review"
    return secrets, case.pk


def page_mix(port: int, secrets: dict[str, str], case_id: int) -> list[Request]:
    cookies: dict[str, dict[str, str]] = {}
    for who, email in USERS.items():
        browser = Browser(port, Stats())
        browser.sign_in(email, secrets[who], password=PASSWORD)
        browser.close()
        cookies[who] = dict(browser.cookies)
    return [
        get(path.format(case_id=case_id), cookies[who], label=f"{who} {path}")
        for who, path in PAGES
    ]


# ---------------------------------------------------------------- the ramp


def _row(step: Step, verdict: str) -> str:
    cpu = 100 * step.cpu_s / step.wall_s if step.wall_s else 0.0
    return (
        f"{step.rate:8.1f} {step.sent:6d} {step.p50:8.0f} {step.p99:8.0f} "
        f"{step.kept_up:7.2f} {step.server_errors:6d} {step.not_ok - step.server_errors:6d} "
        f"{step.max_open:5d} {step.max_lag_ms:7.1f} {cpu:6.1f}  {verdict}"
    )


HEADER = (
    "  req/s   sent   p50 ms   p99 ms kept up    5xx non200 conns  lag ms  gen %  verdict\n"
    "  (p50/p99 from the scheduled send; kept up: answers / requests in the step's second half; "
    "non200: other answers; lag: generator's worst lateness; gen %: its CPU, of one core)"
)


async def ramp(gen: OpenLoop, requests: list[Request], say: Callable[[str], None]):
    """(capacity req/s, the steps, the closed-loop estimate)."""
    estimate = await gen.closed_loop(2 * WORKERS * THREADS, 1.0, requests)
    say(f"closed-loop probe ({2 * WORKERS * THREADS} connections, 1 s): {estimate:.0f} req/s")
    say(HEADER)
    sustained: float | None = None
    unsustained: float | None = None
    rate = START * estimate
    steps: list[Step] = []
    for _ in range(MAX_STEPS):
        seconds = min(MAX_STEP_SECONDS, max(STEP_SECONDS, STEP_REQUESTS / rate))
        step = await gen.run(rate, seconds, requests)
        steps.append(step)
        ok = step.sustained(CAPACITY_P99_MS, KEPT_UP)
        say(_row(step, "sustained" if ok else "NOT sustained"))
        for error, n in Counter(e[:120] for e in step.errors).most_common(3):
            say(f"    {n} x {error}")
        if ok:
            sustained = max(sustained or 0.0, rate)
        else:
            unsustained = min(unsustained or math.inf, rate)
        await asyncio.sleep(0.5)  # the server finishes what it was doing
        if sustained is None:
            rate *= DOWN
        elif unsustained is None:
            rate *= UP
        elif unsustained / sustained > RESOLUTION:
            rate = math.sqrt(sustained * unsustained)
        else:
            break
    return sustained or 0.0, steps, estimate


def test_capacity_of_the_signed_in_pages_against_a_bare_django_view(servers):
    started = time.monotonic()
    load_average = os.getloadavg()
    secrets, case_id = seed()
    seeded = time.monotonic() - started
    servers.collected()
    servers.start_web("portal")
    bare_port = servers.wait("bare", "/bench/bare/")
    portal_port = servers.wait("portal", "/healthz")
    requests = page_mix(portal_port, secrets, case_id)
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    async def measure():
        bare_gen = OpenLoop(bare_port, CONNECTIONS)
        portal_gen = OpenLoop(portal_port, CONNECTIONS)
        bare_requests = [get("/bench/bare/", label="bare")]
        # Warm-up: every worker imports, compiles its templates, opens its connections.
        warm_bare = await bare_gen.run(200, 1, bare_requests)
        warm_portal = await portal_gen.run(20, 3 * len(requests) / 20, requests)
        cpu = time.process_time()
        say(f"\nbare Django view (bench/bare.py), {WORKERS} workers x {THREADS} threads:")
        bare, bare_steps, _ = await ramp(bare_gen, bare_requests, say)
        say(f"\nportal, page mix of {len(requests)} signed-in pages, scale {SCALE}:")
        capacity, portal_steps, _ = await ramp(portal_gen, requests, say)
        half = None
        if capacity:
            seconds = min(MAX_STEADY_SECONDS, max(STEADY_SECONDS, 2 * STEADY_REQUESTS / capacity))
            say(f"\nsteady at half the capacity, {seconds:.0f} s:\n{HEADER}")
            for attempt in range(1, HALF_ATTEMPTS + 1):
                # A fresh start: the ramp's last steps left up to CONNECTIONS keep-alive
                # connections open and the machine busy with their queue.
                await portal_gen.close()
                await asyncio.sleep(SETTLE_SECONDS)
                half = await portal_gen.run(capacity / 2, seconds, requests)
                say(_row(half, f"attempt {attempt}"))
                if half.p99 <= HALF_P99_MS or half.server_errors:
                    break
        cpu = time.process_time() - cpu
        await bare_gen.close()
        await portal_gen.close()
        return warm_bare, warm_portal, bare, bare_steps, capacity, portal_steps, half, cpu

    loaded = time.monotonic()
    warm_bare, warm_portal, bare, bare_steps, capacity, portal_steps, half, gen_cpu = run_loop(
        measure()
    )
    load_seconds = time.monotonic() - loaded
    sent = sum(s.sent for s in [*bare_steps, *portal_steps, *([half] if half else [])])
    ratio = capacity / bare if bare else 0.0
    say("")
    summary = (
        f"capacity {capacity:.0f} req/s (page mix, p99 <= {CAPACITY_P99_MS:.0f} ms, 0 server "
        f"errors), bare Django view {bare:.0f} req/s, ratio {ratio:.3f} (goal >= {MIN_RATIO})"
    )
    say(summary)
    if half is not None:
        per_page = ", ".join(
            f"{label} {percentile(sorted(ms), 0.99):.0f}" for label, ms in half.by_label.items()
        )
        say(
            f"at half ({half.rate:.0f} req/s, {half.sent} requests): p50 {half.p50:.0f} ms, "
            f"p99 {half.p99:.0f} ms (asserted <= {HALF_P99_MS:.0f}), {half.server_errors} server "
            f"errors; p99 per page (ms): {per_page}"
        )
    say(
        f"generator: one asyncio loop, {gen_cpu:.1f} s CPU for {sent} requests in "
        f"{load_seconds:.0f} s ({100 * gen_cpu / load_seconds:.0f}% of one core, "
        f"{1e6 * gen_cpu / max(1, sent):.0f} us a request); seed_scale {SCALE} {seeded:.0f} s; "
        f"load average before {load_average[0]:.1f}, after {os.getloadavg()[0]:.1f}; "
        f"test {time.monotonic() - started:.0f} s"
    )
    report("load", summary)
    report("load", lines[-2] if half is not None else "no rate was sustained")
    report("load", lines[-1])

    assert warm_bare.statuses == {200: warm_bare.sent}, warm_bare.statuses
    assert warm_portal.statuses == {200: warm_portal.sent}, warm_portal.label_statuses
    assert capacity > 0, "the portal sustained no rate at all"
    assert half is not None
    assert half.statuses == {200: half.sent}, (
        half.statuses,
        half.errors[:20],
        servers.log("portal").read_text()[-3000:],
    )
    assert half.p99 <= HALF_P99_MS, f"p99 {half.p99:.0f} ms at half the capacity"
    # Issue 21's goal. Reached with the page memo (portal/pagememo.py: a page asked for again
    # while nothing it read changed is not rendered again): 0.20 measured, against 0.03-0.07
    # with every page rendered (PAGE_MEMO=0), a page costing 4-10 ms of CPU.
    assert ratio >= MIN_RATIO, f"issue 21 goal not reached: {summary}"
