"""bench/run: the portal at a distributor's scale, measured the way issues 9 and 21 state their
targets (bench/README.md). Three modes:

    bench/run [--scale 1.0] [--quick] [--reuse] [--only LABEL...] [--no-email] [--no-csv]
              [--web sync:2|gthread:2x4]
    bench/run --scale 3.0 --baseline bench/results.json     # key pages at 3.0 against 1.0
    bench/run --concurrency [--configs sync:2 gthread:2x4 ...] [--rounds N]  # gunicorn

The default mode:
1. Two PostgreSQL databases of its own (named after $DATABASE_URL's, "<name>_bench" and
   "<name>_bench_small"), dropped and rebuilt (or kept with --reuse): migrate, then
   `seed_scale --scale S` and `--scale S/100`.
2. In-process, per page and database: queries of one request and the median time (Django's
   test Client): 1x against S/100 of the same page for the same demo tenant.
3. gunicorn as deployed (deploy/gunicorn.conf.py: the one place the web process's worker class,
   workers and threads are set; `--web` overrides them), production settings (HTTP on loopback,
   Redis cache and broker), with the ceiling view /bench/ceiling/ (PORTAL_BENCH_CEILING=1: a bare
   view behind the portal's middleware), and the bare Django project bench/bare.py under the same
   gunicorn settings. Signs in through the real login pages (with TOTP, which production
   requires of reviewers and Global admins), then:
   - the two ceilings, interleaved (rounds of wrk on each, median): portal ceiling / bare view;
   - every page: wrk on the ceiling then on the page at 8 connections (ratio = page req/s /
     ceiling req/s of that pair), then the page at 2 connections (p99 judged there).
4. Exports over HTTP (streamed, or queued as a background export), RSS of a web worker (peak);
   5,000 emails through the outbox and a real Celery worker into an aiosmtpd sink against a
   plain smtplib loop into the same sink; RSS of the Celery worker.
5. Prints the table, writes bench/results.json.

--quick (CI): scale 0.01, 1 s wrk runs, 500 emails; the targets are shown, not judged. Exit
status 1 means the portal is broken (a page not answering 200/302, no email sent, an export
failing), never that a target was missed."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import http.client
import json
import os
import re
import runpy
import shutil
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from html import unescape
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
BIN = ROOT / ".venv" / "bin"
# The web process's settings, shared with the Dockerfile, docker-compose.yml, `make prod` and
# tests/load/web.py: the bench serves the portal and the bare view with it.
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
PASSWORD = "Demo-Partner-2026"
USERS = {
    "provider": "admin@contoso-distribution.example",
    "reseller": "admin@northwind-it.example",
    "reviewer": "reviewer@csp-operator.example",
    "wizard": "admin@litware-solutions.example",
}
RECONCILIATION = (
    "/billing/reconciliation/export.csv?period={invoice_period}&currency={invoice_currency}"
)
# label, who, path (ids filled in per database), method
PAGES: list[tuple[str, str, str, str]] = [
    ("provider /indirect-resellers/", "provider", "/indirect-resellers/", "GET"),
    ("provider /indirect-resellers/?page=800", "provider", "/indirect-resellers/?page=800", "GET"),
    ("provider /indirect-resellers/?q=", "provider", "/indirect-resellers/?q=harbor", "GET"),
    ("provider /customers/", "provider", "/customers/", "GET"),
    ("provider /customers/?reseller=", "provider", "/customers/?reseller={reseller_id}", "GET"),
    ("/review/", "reviewer", "/review/", "GET"),
    (
        "/review/ filtered+sorted",
        "reviewer",
        "/review/?status=in_review&failing=any&sort=newest",
        "GET",
    ),
    ("/review/<case>/", "reviewer", "/review/{case_id}/", "GET"),
    ("reseller /find-a-provider/", "reseller", "/find-a-provider/", "GET"),
    ("reseller /dashboard/", "reseller", "/dashboard/", "GET"),
    ("provider /dashboard/", "provider", "/dashboard/", "GET"),
    ("provider /audit-log/", "provider", "/audit-log/", "GET"),
    ("provider /settings/partner-profile/", "provider", "/settings/partner-profile/", "GET"),
    ("provider /subscriptions/", "provider", "/subscriptions/", "GET"),
    ("provider /subscriptions/?q=", "provider", "/subscriptions/?q=harbor", "GET"),
    (
        "provider /subscriptions/ deep page",
        "provider",
        "/subscriptions/?status=active&after={subscription_cursor}",
        "GET",
    ),
    ("provider /billing/", "provider", "/billing/", "GET"),
    (
        "provider /billing/?customer=",
        "provider",
        "/billing/?customer={subscription_customer_id}",
        "GET",
    ),
    ("provider /billing/export.csv", "provider", "/billing/export.csv", "GET"),
    ("reseller /subscriptions/", "reseller", "/subscriptions/", "GET"),
    ("reseller /subscriptions/?q=", "reseller", "/subscriptions/?q=harbor", "GET"),
    ("reseller /billing/", "reseller", "/billing/", "GET"),
    ("reseller /billing/export.csv", "reseller", "/billing/export.csv", "GET"),
    # Issue 25: the invoice list of each tier (the previous month closed by `prepare`: an
    # invoice per reseller of Contoso, per customer of Northwind) and the billed reconciliation
    # file of Contoso's biggest currency (streamed, or the offer of a background export).
    ("provider /billing/invoices/", "provider", "/billing/invoices/", "GET"),
    ("reseller /billing/invoices/", "reseller", "/billing/invoices/", "GET"),
    (
        "provider /billing/reconciliation/export.csv",
        "provider",
        RECONCILIATION,
        "GET",
    ),
    ("wizard step GET", "wizard", "/enroll/reseller/{wizard_step}/", "GET"),
    ("wizard step POST", "wizard", "/enroll/reseller/{wizard_step}/", "POST"),
    # Issue 24: the API's list endpoints beside their pages, same targets. A path under API_PREFIX
    # is called with a bearer token of an API client of the user's organization (every partner
    # role), which `django_side prepare` creates and gets a token for at the token endpoint.
    ("provider /api/v1/indirect-resellers/", "provider", "/api/v1/indirect-resellers/", "GET"),
    ("provider /api/v1/customers/", "provider", "/api/v1/customers/", "GET"),
    ("provider /api/v1/subscriptions/", "provider", "/api/v1/subscriptions/", "GET"),
    ("reseller /api/v1/subscriptions/", "reseller", "/api/v1/subscriptions/", "GET"),
]
API_PREFIX = "/api/v1/"
# What reads the previous month's invoices, which `django_side prepare` closes only when a
# selected page or export is one of these (the close takes minutes at scale 1.0): the invoice
# lists and the reconciliation file (its URL names the month and currency).
INVOICED = ("/billing/invoices/", "{invoice_")
# Issue 21's key pages (resellers, customers, review, audit log, dashboard, subscriptions,
# billing): the scale-3.0 comparison (--baseline) and the signed-in mix of --concurrency.
KEY_PAGES = [
    "provider /indirect-resellers/",
    "provider /customers/",
    "/review/",
    "provider /audit-log/",
    "provider /dashboard/",
    "reseller /dashboard/",
    "provider /subscriptions/",
    "provider /billing/",
]
# Exports timed over HTTP: label, who, path. Each either streams (a GET answers text/csv) or
# runs as a background export (a GET answers a page whose form queues it: measure_export).
EXPORTS = [
    ("provider customers CSV", "provider", "/customers/?format=csv"),
    ("provider billing CSV", "provider", "/billing/export.csv"),
    ("provider reconciliation CSV", "provider", RECONCILIATION),
    ("provider audit log CSV", "provider", "/audit-log/?format=csv"),
]
# gunicorn configurations --concurrency compares by default (the deployed one is added).
CONCURRENCY_CONFIGS = ["sync:2", "gthread:2x4", "sync:4"]
TARGETS = {
    "ceiling_ratio": 0.5,  # portal ceiling req/s / bare Django view req/s
    "ratio": 0.25,  # page req/s / portal ceiling req/s (8 connections, adjacent runs)
    "p99_ms": 150.0,  # at the low connection count (2: as many as workers)
    "queries": 10,
    "time_ratio": 1.5,  # in-process time 1x / 0.01x
    "scale_ratio": 1.3,  # in-process time at 3.0 / at 1.0 (--baseline)
    "export_s": 5.0,  # a streamed export of 200,000 rows (a background export passes)
    "rss_mb": 150.0,
    "email_ratio": 0.5,
    "seed_s": 120.0,
}


def log(message: str) -> None:
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"[bench {stamp}] {message}", flush=True)


# --- databases -----------------------------------------------------------------------------


def base_url() -> urllib.parse.ParseResult:
    url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/portal"
    parsed = urllib.parse.urlparse(url)
    if not parsed.scheme.startswith("postgres"):
        raise SystemExit("bench/run needs PostgreSQL: set DATABASE_URL=postgres://...")
    return parsed


def db_url(name: str) -> str:
    return base_url()._replace(path=f"/{name}").geturl()


def admin_sql(sql: str) -> str:
    import psycopg

    with psycopg.connect(db_url("postgres"), autocommit=True) as conn:
        cursor = conn.execute(sql.encode())
        row = cursor.fetchone() if cursor.description else None
        return str(row[0]) if row else ""


def db_exists(name: str) -> bool:
    return admin_sql(f"SELECT count(*) FROM pg_database WHERE datname = '{name}'") == "1"


def recreate_db(name: str) -> None:
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{name}"')


# Requests and in-process runs get PostgreSQL's statement_timeout at gunicorn's worker timeout: a
# request the server gives up on must not leave its query running and skew the next runs.
STATEMENT_TIMEOUT_MS = 30_000
# Pages slower than this in process are not run under wrk (it would only queue them up).
WRK_SKIP_MS = 10_000


def django_env(
    database: str, extra: dict[str, str] | None = None, timeout: bool = False
) -> dict[str, str]:
    env = dict(os.environ)
    url = db_url(database)
    if timeout:
        url += "?" + urllib.parse.urlencode(
            {"options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"}
        )
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        DJANGO_SECRET_KEY="bench-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_HSTS_SECONDS="0",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


def _run_django(command: list[str], database: str, what: str, env: dict[str, str] | None) -> str:
    """Run a Django-side command on `database`; its stdout, or exit with its output shown."""
    result = subprocess.run(
        [PY, *command],
        cwd=ROOT,
        env=env or django_env(database),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"{what} failed on {database}")
    return result.stdout


def manage(database: str, *args: str, env: dict[str, str] | None = None) -> str:
    return _run_django(["manage.py", *args], database, f"manage.py {' '.join(args)}", env)


def django_side(database: str, *args: str, env: dict[str, str] | None = None) -> Any:
    command = [str(ROOT / "bench" / "django_side.py"), *args]
    stdout = _run_django(command, database, f"django_side {args[0]}", env)
    return json.loads(stdout.strip().splitlines()[-1])


def build(database: str, scale: float, reuse: bool, template: str = "") -> dict[str, Any]:
    """Drop and create `database` (a copy of the migrated `template` when given: faster than
    migrating again), migrate, seed at `scale`. With `reuse`, an existing database is kept
    (seed_scale then refuses to add to it)."""
    reused = reuse and db_exists(database)
    if reused:
        log(f"{database}: reusing (--reuse)")
    elif template:
        admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin_sql(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
    else:
        recreate_db(database)
    started = time.perf_counter()
    manage(database, "migrate", "--noinput", "-v0")
    migrated = time.perf_counter() - started
    return {
        "database": database,
        "scale": scale,
        "migrate_s": round(migrated, 1),
        "reused": reused,
    }


def seed(built: dict[str, Any]) -> dict[str, Any]:
    database = built["database"]
    if built.get("reused") and django_side(database, "seeded")["seeded"]:
        # seed_scale would refuse to top the data up, after its seed_demo's catch-up, which on
        # a database at 1.0 writes for minutes (bench prepare closes the month it needs).
        log(f"{database}: scale data present, not seeded again (--reuse)")
        return {**built, "seed_s": None, "seed_reused": True}
    output = manage(database, "seed_scale", "--scale", str(built["scale"]))
    seed_line = next((line for line in output.splitlines() if "done in" in line), "")
    match = re.search(r"done in ([\d.]+) s", seed_line)
    log(f"{database}: " + (seed_line or output.strip().splitlines()[-1]))
    return {
        **built,
        "seed_s": float(match.group(1)) if match else None,
        "seed_reused": "already present" in output,
    }


def prepare_args(pages: list[tuple[str, str, str, str]], exports: bool) -> list[str]:
    """`django_side prepare`'s arguments for these pages (and EXPORTS when `exports`): the
    bench users, and `--close-month` only when one of them reads invoices (INVOICED)."""
    paths = [path for _label, _who, path, _method in pages]
    if exports:
        paths += [path for _label, _who, path in EXPORTS]
    close = any(marker in path for path in paths for marker in INVOICED)
    return ["prepare", *(["--close-month"] if close else []), *USERS.values()]


def page_specs(pages: list[tuple[str, str, str, str]], ids: dict[str, Any]) -> list[dict[str, Any]]:
    specs = []
    for label, who, path, method in pages:
        spec: dict[str, Any] = {
            "label": label,
            "who": who,
            "user": USERS[who],
            "path": path.format(**ids),
            "method": method,
        }
        if method == "POST":
            spec["data"] = dict(ids["wizard_legal"])
        if path.startswith(API_PREFIX):
            spec["headers"] = {"Authorization": f"Bearer {ids['api_tokens'][spec['user']]}"}
        specs.append(spec)
    return specs


# Alternating rounds of in-process timings per database (both the pages and the scale mode).
INPROCESS_ROUNDS = 2


def least_disturbed(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per page, the round of `measure_inprocess` with the lowest median: a shared machine only
    adds time. A page no round timed keeps its first round's answer (its error)."""
    kept: dict[str, Any] = {}
    for run in runs:
        for label, result in run.items():
            best = kept.get(label)
            ms = result.get("ms")
            if best is None or (ms and ms < (best.get("ms") or float("inf"))):
                kept[label] = result
    return kept


def measure_inprocess(
    database: str, specs: list[dict[str, Any]], tmp: Path, quick: bool, redis_db: int
) -> dict[str, Any]:
    """Queries and median in-process time of every page on `database` (django_side measure),
    with the Redis cache as served (the request context and the API's callers: what the
    queries of a warm request are), under a key prefix of this measure's own. The page memo
    off: these figures are the work of rendering each page (its queries, its growth with the
    data), which a page served again from the memo would hide."""
    budget, repeat_max = (0.3, 3) if quick else (2.0, 15)
    stamp = time.monotonic_ns()
    spec_file = tmp / f"{database}-{stamp}.json"
    spec_file.write_text(json.dumps({"pages": specs, "budget_s": budget, "repeat_max": repeat_max}))
    log(f"in-process queries and timings on {database}")
    cache = {
        "CACHE_URL": f"redis://127.0.0.1:6379/{redis_db}",
        "CACHE_KEY_PREFIX": f"bench-inprocess-{os.getpid()}-{stamp}",
        "PAGE_MEMO": "0",
    }
    measured: dict[str, Any] = django_side(
        database, "measure", str(spec_file), env=django_env(database, cache, timeout=True)
    )
    for label, result in measured.items():
        if result.get("error"):
            log(f"  {label}: {result['error']}")
    return measured


# --- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sampler(threading.Thread):
    """Peak RSS of a process tree's members (the largest one, and all of them together), by
    phase (reset with `phase`)."""

    def __init__(self, pid: int, children_only: bool) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.children_only = children_only
        self.peaks: dict[str, float] = {}
        self.totals: dict[str, float] = {}
        self.current = "start"
        self.stop = threading.Event()

    def phase(self, name: str) -> None:
        self.current = name
        self.peaks.setdefault(name, 0.0)
        self.totals.setdefault(name, 0.0)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                procs = self.root.children(recursive=True)
                if not self.children_only:
                    procs.append(self.root)
                sizes = [p.memory_info().rss / 2**20 for p in procs]
            except psutil.Error:
                sizes = []
            phase = self.current
            self.peaks[phase] = max(self.peaks.get(phase, 0.0), max(sizes, default=0.0))
            self.totals[phase] = max(self.totals.get(phase, 0.0), sum(sizes))
            self.stop.wait(0.1)

    def workers(self) -> list[psutil.Process]:
        with contextlib.suppress(psutil.Error):
            return self.root.children(recursive=True)
        return []


def settle(*samplers: Sampler, limit_s: float = 90.0) -> float:
    """Wait until the web workers are idle (a slow page's queued requests drain after wrk
    stops): the next run must not inherit them. Returns the seconds waited."""
    started = time.perf_counter()
    quiet = 0
    while time.perf_counter() - started < limit_s and quiet < 2:
        procs = [proc for sampler in samplers for proc in sampler.workers()]
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.cpu_percent(None)
        time.sleep(0.3)
        busy = 0.0
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                busy += proc.cpu_percent(None)
        quiet = quiet + 1 if busy < 8 else 0
    return time.perf_counter() - started


def stop_process(proc: subprocess.Popen[Any] | None, timeout: float = 15) -> None:
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def wait_http(
    port: int, path: str = "/bench/ceiling/", proc: subprocess.Popen[Any] | None = None
) -> None:
    started = time.perf_counter()
    while time.perf_counter() - started < 60:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"gunicorn exited ({proc.returncode}) before answering on {path}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, _h, _b = Http(port).request("GET", path)
            if status == 200:
                return
        time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer on {path}")


# --- the web process -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class WebConfig:
    """gunicorn's worker class, worker processes and threads per worker."""

    worker_class: str
    workers: int
    threads: int = 1

    @classmethod
    def parse(cls, text: str) -> WebConfig:
        """ "sync:2" (2 sync workers) or "gthread:2x4" (2 workers, 4 threads each)."""
        match = re.fullmatch(r"(sync|gthread):(\d+)(?:x(\d+))?", text.strip())
        if not match:
            raise argparse.ArgumentTypeError(f"{text!r}: expected sync:N or gthread:NxT")
        worker_class, workers, threads = match.group(1), int(match.group(2)), match.group(3)
        if worker_class == "sync":
            if threads and int(threads) != 1:
                raise argparse.ArgumentTypeError(f"{text!r}: sync workers have one thread")
            return cls("sync", workers, 1)
        return cls("gthread", workers, int(threads or 1))

    @property
    def label(self) -> str:
        if self.worker_class == "sync":
            return f"sync:{self.workers}"
        return f"gthread:{self.workers}x{self.threads}"


def deployed_config() -> WebConfig:
    """What deploy/gunicorn.conf.py sets in this environment (WEB_CONCURRENCY,
    GUNICORN_THREADS)."""
    conf = runpy.run_path(str(GUNICORN_CONF))
    worker_class = str(conf.get("worker_class", "sync")).rsplit(".", 1)[-1].lower()
    worker_class = "gthread" if "thread" in worker_class else "sync"
    threads = int(conf.get("threads", 1)) if worker_class == "gthread" else 1
    return WebConfig(worker_class, int(conf.get("workers", 1)), threads)


def start_gunicorn(
    app: str, port: int, env: dict[str, str], config: WebConfig, error_log: Path
) -> subprocess.Popen[Any]:
    """gunicorn with deploy/gunicorn.conf.py, the command line overriding only: the app, the
    bind address, worker class/workers/threads (`config`, for --web and --concurrency), the
    error log (kept for the report), and max_requests (0: at bench rates the deployed 2,000
    would restart every worker every few seconds and measure Django's start-up)."""
    command = [
        str(BIN / "gunicorn"),
        "--config",
        str(GUNICORN_CONF),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        config.worker_class,
        "--workers",
        str(config.workers),
        "--threads",
        str(config.threads),
        "--max-requests",
        "0",
        "--error-logfile",
        str(error_log),
    ]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,  # the access log (deploy's accesslog "-"): written, unread
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def server_errors(error_log: Path) -> list[str]:
    if not error_log.exists():
        return []
    return [
        line
        for line in error_log.read_text(errors="replace").splitlines()
        if "Traceback" in line or "WORKER TIMEOUT" in line or "Error" in line
    ]


def bare_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="bench.bare", PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    return env


def serve_env_for(
    database: str, run_id: str, redis_db: int, port: int, sink_port: int | None
) -> dict[str, str]:
    redis_url = f"redis://127.0.0.1:6379/{redis_db}"
    return django_env(
        database,
        timeout=True,
        extra={
            "PORTAL_BENCH_CEILING": "1",
            "CACHE_URL": redis_url,
            "CACHE_KEY_PREFIX": f"bench-{run_id}",
            "CELERY_BROKER_URL": redis_url,
            "REDIS_URL": redis_url,
            "CELERY_TASK_DEFAULT_QUEUE": f"bench-{run_id}",
            "EMAIL_URL": f"smtp://127.0.0.1:{sink_port}" if sink_port else "consolemail://",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "LOG_LEVEL": "WARNING",
            # wrk calls an API list with one client's token hundreds of times a second.
            "PORTAL_RATE_LIMIT_API_CLIENT": "100000000/m",
        },
    )


@contextlib.contextmanager
def serving(
    app: str,
    port: int,
    env: dict[str, str],
    config: WebConfig,
    tmp: Path,
    name: str,
    ready_path: str,
) -> Iterator[tuple[Sampler, Path]]:
    """A gunicorn for `app` on `port` until the block ends: (RSS sampler of its workers, error
    log)."""
    error_log = tmp / f"{name}.log"
    proc = start_gunicorn(app, port, env, config, error_log)
    try:
        wait_http(port, ready_path, proc)
        sampler = Sampler(proc.pid, children_only=True)
        sampler.start()
        try:
            yield sampler, error_log
        finally:
            sampler.stop.set()
    finally:
        stop_process(proc)


def start_celery_worker(
    env: dict[str, str], tmp: Path, run_id: str, name: str
) -> tuple[subprocess.Popen[Any], Path]:
    worker_log = tmp / f"{name}.log"
    with worker_log.open("w") as out:
        # At INFO: the web's WARNING would leave out the line that says the worker is ready.
        worker = _celery_worker({**env, "LOG_LEVEL": "INFO"}, run_id, name, out)
    if not wait_log(worker_log, "ready.", 60):
        log("the Celery worker did not report ready in 60 s; going on")
    return worker, worker_log


def _celery_worker(env: dict[str, str], run_id: str, name: str, out: Any) -> subprocess.Popen[Any]:
    return subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "portal",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
            "--hostname",
            f"{name}-{run_id}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        # The worker logs through Django's LOGGING (portal/celery.py), to its standard streams:
        # `--logfile` stays empty, and "ready." would never come.
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


# --- HTTP sign-in ----------------------------------------------------------------------------


class Http:
    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.port = port
        self.cookies: dict[str, str] = dict(cookies or {})
        # The last response's body ended before its announced end (chunked or Content-Length):
        # a truncated download, e.g. a streamed export cut off by the worker timeout.
        self.truncated = False

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        timeout: float = 60,
        extra_headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Host": "127.0.0.1"}
        if self.cookies and not extra_headers:  # an API call carries its token, no session
            headers["Cookie"] = self.cookie_header()
        headers.update(extra_headers or {})
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        self.truncated = False
        try:
            data = response.read()
        except http.client.IncompleteRead as exc:
            data, self.truncated = exc.partial, True
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for key, morsel in jar.items():
                if morsel.value:
                    self.cookies[key] = morsel.value
                else:
                    self.cookies.pop(key, None)
        conn.close()
        return response.status, dict(response.headers.items()), data

    def csrf_form(self, path: str) -> tuple[str, str]:
        status, _headers, body = self.request("GET", path)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or not match:
            raise SystemExit(f"no form at {path} (HTTP {status})")
        return match.group(1).decode(), body.decode("utf-8", "replace")


def sign_in(port: int, email: str, totp: Any = None) -> Http:
    client = Http(port)
    token, _page = client.csrf_form("/accounts/login/")
    status, headers, _body = client.request(
        "POST",
        "/accounts/login/",
        {"login": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    if status != 302:
        raise SystemExit(f"sign-in of {email} failed (HTTP {status})")
    location = headers.get("Location", "")
    if "2fa" in location or "authenticate" in location:
        if totp is None:
            raise SystemExit(f"{email} needs a second factor")
        # A code is good for its 30 s period only, and once: on a busy machine the one sent
        # can expire on its way, so the step is tried again with the next period's code.
        for attempt in range(3):
            token, _page = client.csrf_form(location)
            status, headers, _body = client.request(
                "POST", location, {"code": totp(), "csrfmiddlewaretoken": token}
            )
            if status == 302:
                break
            log(f"TOTP step of {email}: HTTP {status} (attempt {attempt + 1})")
        else:
            raise SystemExit(f"TOTP step of {email} failed (HTTP {status})")
    status, _headers, _body = client.request("GET", "/dashboard/")
    if status != 200:
        raise SystemExit(f"{email} signed in but /dashboard/ answers {status}")
    return client


# (secret, code) of every TOTP code sent in this run: allauth accepts each code once.
_SENT_CODES: set[tuple[str, str]] = set()


def totp_for(database: str, secret: str) -> Callable[[], str]:
    """A function giving a TOTP code for `secret` with a few seconds of its period left, never
    one already sent."""

    def code() -> str:
        while True:
            current = django_side(database, "totp", secret)
            if current["remaining_s"] > 5 and (secret, current["code"]) not in _SENT_CODES:
                _SENT_CODES.add((secret, current["code"]))
                return str(current["code"])
            time.sleep(min(current["remaining_s"], 30) + 0.5)

    return code


def sign_in_all(
    port: int, database: str, secrets: dict[str, str], who: list[str]
) -> dict[str, Http]:
    sessions = {
        name: sign_in(
            port,
            USERS[name],
            totp=totp_for(database, secrets[USERS[name]]),
        )
        for name in who
    }
    log(f"signed in as {', '.join(USERS[name] for name in who)}")
    return sessions


# --- wrk -----------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)$", text.strip())
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


def wrk(
    port: int,
    path: str,
    cookie: str,
    duration: float,
    connections: int,
    script: Path | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    cmd = [
        "wrk",
        "-t",
        str(min(2, connections)),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(duration))}s",
        "--timeout",
        "30s",
        "--latency",
    ]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script:
        cmd += ["-s", str(script)]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    percentiles = dict(re.findall(r"^\s+(50|99)\.000%\s+(\S+)", out, re.M))
    if not percentiles:
        percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    requests = int(total.group(1)) if total else 0
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "requests": requests,
        # No request finished within the run: no latency to report (wrk prints 0).
        "p50_ms": _ms(percentiles.get("50", "")) if requests else float("nan"),
        "p99_ms": _ms(percentiles.get("99", "")) if requests else float("nan"),
        "errors": int(non_ok.group(1)) if non_ok else 0,
        "timeouts": int(socket_errors.group(4)) if socket_errors else 0,
        "socket_errors": sum(int(n) for n in socket_errors.groups()[:3]) if socket_errors else 0,
    }


def post_script(directory: Path, form: dict[str, str]) -> Path:
    body = urllib.parse.urlencode(form)
    script = directory / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
    )
    return script


def mix_script(directory: Path, requests: list[tuple[str, str]]) -> Path:
    """A wrk script that sends GET requests to `requests` ((path, cookie) pairs) in turn: each
    wrk thread goes round the list, so every page gets its share of the connections."""
    entries = ",\n".join(
        f"  {{path = {json.dumps(path)}, cookie = {json.dumps(cookie)}}}"
        for path, cookie in requests
    )
    script = directory / "mix.lua"
    script.write_text(
        f"local pages = {{\n{entries}\n}}\n"
        "local i = math.random(#pages) - 1\n"
        "request = function()\n"
        "  i = i % #pages + 1\n"
        "  local page = pages[i]\n"
        '  return wrk.format("GET", page.path, {Cookie = page.cookie, Host = "127.0.0.1"})\n'
        "end\n"
    )
    return script


def wrk_fields(prefix: str, run: dict[str, Any]) -> dict[str, Any]:
    """A wrk run's figures under `prefix` ("high": 8 connections, "low": 2) in a results row."""
    return {f"{prefix}_{key}": value for key, value in run.items()}


def ceilings(
    portal_port: int,
    bare_port: int,
    cookie: str,
    rounds: int,
    duration: float,
    connections: int,
    samplers: list[Sampler],
) -> dict[str, Any]:
    """The portal's middleware ceiling (/bench/ceiling/, signed in) and the bare Django view
    (bench/bare.py, same gunicorn settings), alternately: `rounds` runs of each, medians."""
    portal_runs: list[dict[str, Any]] = []
    bare_runs: list[dict[str, Any]] = []
    for _round in range(rounds):
        settle(*samplers)
        portal_runs.append(wrk(portal_port, "/bench/ceiling/", cookie, duration, connections))
        settle(*samplers)
        bare_runs.append(wrk(bare_port, "/bench/bare/", "", duration, connections))
    portal_rps = statistics.median(run["rps"] for run in portal_runs)
    bare_rps = statistics.median(run["rps"] for run in bare_runs)
    result = {
        "rounds": rounds,
        "duration_s": duration,
        "connections": connections,
        "portal_rps": portal_rps,
        "bare_rps": bare_rps,
        "ratio": portal_rps / bare_rps if bare_rps else None,
        "portal_p99_ms": statistics.median(run["p99_ms"] for run in portal_runs),
        "bare_p99_ms": statistics.median(run["p99_ms"] for run in bare_runs),
        "portal_runs": [run["rps"] for run in portal_runs],
        "bare_runs": [run["rps"] for run in bare_runs],
        "errors": sum(run["errors"] + run["socket_errors"] for run in portal_runs + bare_runs),
    }
    log(
        f"ceilings: portal {portal_rps:.0f} req/s {result['portal_runs']}, bare Django "
        f"{bare_rps:.0f} req/s {result['bare_runs']}: ratio "
        f"{fmt(result['ratio'], '{:.3f}')}"
    )
    return result


# --- exports -------------------------------------------------------------------------------

_FORM = re.compile(rb"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
_ATTR = re.compile(rb'([\w-]+)\s*=\s*"([^"]*)"')
_INPUT = re.compile(rb"<input\b([^>]*)>", re.I)
# TODO(exports): the markup of i21-exports (templates/portal/export_offer.html,
# _export_progress.html): the offer's form POSTs to /exports/ (every page also has the language,
# sign-out and delegation forms: only a form posting there is the export's); the progress part
# of /exports/<id>/ carries an htmx trigger until the export has finished, then, when done, the
# link to /exports/<id>/download/.
EXPORT_FORM_ACTION = "/exports/"
EXPORT_DOWNLOAD = re.compile(rb'href="([^"]*/exports/\d+/download/[^"]*)"', re.I)
EXPORT_RUNNING = re.compile(rb'id="export-progress"[^>]*data-hx-trigger=', re.I)


def post_form(
    body: bytes, action_part: str = EXPORT_FORM_ACTION
) -> tuple[str, dict[str, str]] | None:
    """The first `<form method="post">` of a page whose action contains `action_part`: its
    action and its hidden inputs' values (the CSRF token among them)."""
    for attrs, inner in _FORM.findall(body):
        form_attrs = {k.decode().lower(): unescape(v.decode()) for k, v in _ATTR.findall(attrs)}
        if form_attrs.get("method", "get").lower() != "post":
            continue
        if action_part not in form_attrs.get("action", ""):
            continue
        fields: dict[str, str] = {}
        for input_attrs in _INPUT.findall(inner):
            values = {
                k.decode().lower(): unescape(v.decode()) for k, v in _ATTR.findall(input_attrs)
            }
            if values.get("name") and values.get("type", "text").lower() in ("hidden", "submit"):
                fields[values["name"]] = values.get("value", "")
        return form_attrs["action"], fields
    return None


def _path_of(url: str, base: str) -> str:
    parsed = urllib.parse.urlparse(urllib.parse.urljoin(base, url))
    return parsed.path + (f"?{parsed.query}" if parsed.query else "")


def download_figures(
    status: int, headers: dict[str, str], body: bytes, truncated: bool
) -> dict[str, Any]:
    content_type = headers.get("Content-Type", "")
    rows = max(body.count(b"\n") - 1, 0)
    return {
        "status": status,
        "content_type": content_type.split(";")[0],
        "bytes": len(body),
        "rows": rows,
        "truncated": truncated,
        # Complete: a CSV answered 200 whose body reached its announced end, last line included.
        "complete": status == 200
        and "csv" in content_type
        and not truncated
        and body.endswith(b"\n"),
    }


def measure_export(
    session: Http, path: str, ensure_worker: Callable[[], None], limit_s: float
) -> dict[str, Any]:
    """Time one export from the GET to the last byte of the file.

    Streamed: the GET answers the CSV itself. Background (issue 21, item 2): the GET answers an
    HTML page whose form POSTs to queue an Export and redirects to /exports/<id>/; that page is
    polled until it links the file, which is then downloaded. A Celery worker must run for it
    (`ensure_worker` starts one)."""
    started = time.perf_counter()
    try:
        status, headers, body = session.request("GET", path, timeout=limit_s)
    except (OSError, http.client.HTTPException) as exc:
        return {"mode": "stream", "status": 0, "error": str(exc), "complete": False}
    content_type = headers.get("Content-Type", "")
    if status != 200 or "text/html" not in content_type:
        figures = download_figures(status, headers, body, session.truncated)
        return {"mode": "stream", "seconds": time.perf_counter() - started, **figures}
    # TODO(exports): the background export's flow, written against i21-exports' pages.
    form = post_form(body)
    if form is None:
        return {
            "mode": "background",
            "status": status,
            "error": "no form to queue the export",
            "complete": False,
        }
    action, fields = form
    ensure_worker()
    started = time.perf_counter()  # the worker's start-up is not the export's time
    post_path = _path_of(action or path, path)
    status, headers, _body = session.request("POST", post_path, fields)
    location = headers.get("Location", "")
    if status not in (302, 303) or not location:
        return {
            "mode": "background",
            "status": status,
            "error": f"POST {post_path}: HTTP {status}",
            "complete": False,
        }
    job_path = _path_of(location, post_path)
    queued_s = time.perf_counter() - started
    link, finished = "", False
    while time.perf_counter() - started < limit_s:
        status, _headers, page = session.request("GET", job_path)
        found = EXPORT_DOWNLOAD.search(page)
        finished = status == 200 and not EXPORT_RUNNING.search(page)
        if status != 200 or found or finished:
            link = unescape(found.group(1).decode()) if found else ""
            break
        time.sleep(0.25)
    ready_s = time.perf_counter() - started
    if not link:
        why = f"HTTP {status}" if status != 200 else "finished without a file (failed)"
        if status == 200 and not finished:
            why = f"not ready after {limit_s:.0f} s"
        return {
            "mode": "background",
            "status": status,
            "job": job_path,
            "error": why,
            "seconds": ready_s,
            "complete": False,
        }
    status, headers, body = session.request("GET", _path_of(link, job_path), timeout=limit_s)
    figures = download_figures(status, headers, body, session.truncated)
    return {
        "mode": "background",
        "job": job_path,
        "queued_s": round(queued_s, 2),
        "ready_s": round(ready_s, 2),
        "seconds": time.perf_counter() - started,
        **figures,
    }


def export_broken(export: dict[str, Any]) -> bool:
    """The portal is broken (bench/run exits 1): an export that does not answer 200, a file
    truncated behind a 200, a background export that fails or never finishes."""
    return bool(export.get("status") != 200 or export.get("truncated") or export.get("error"))


def export_ok(export: dict[str, Any]) -> bool | None:
    """Issue 21: complete in <= 5 s when streamed, or as a background export; never a
    truncated file with a 200."""
    if not export.get("complete"):
        return False
    return export.get("mode") == "background" or export["seconds"] <= TARGETS["export_s"]


def run_exports(
    sessions: dict[str, Http],
    web: Sampler,
    serve_env: dict[str, str],
    tmp: Path,
    run_id: str,
    rss: dict[str, Any],
    ids: dict[str, Any],
) -> list[dict[str, Any]]:
    """Every export of EXPORTS (its path's ids filled in from `ids`, as the pages'), one after
    another, with the web worker's (and, for background exports, the Celery worker's) peak RSS
    during each."""
    worker: list[tuple[subprocess.Popen[Any], Sampler]] = []

    def ensure_worker() -> None:
        if not worker:
            log("starting a Celery worker for the background exports")
            proc, _log = start_celery_worker(serve_env, tmp, run_id, "bench-exports")
            sampler = Sampler(proc.pid, children_only=False)
            sampler.start()
            worker.append((proc, sampler))
        worker[0][1].phase(web.current)

    results = []
    try:
        for label, who, path_pattern in EXPORTS:
            path = path_pattern.format(**ids)
            settle(web)
            web.phase(f"export {label}")
            result = measure_export(sessions[who], path, ensure_worker, limit_s=120)
            time.sleep(0.3)
            result = {"label": label, "path": path, **result}
            result["web_rss_mb"] = web.peaks.get(f"export {label}")
            if worker:
                result["celery_rss_mb"] = worker[0][1].peaks.get(f"export {label}")
            results.append(result)
            log(
                f"{label} ({result['mode']}): HTTP {result.get('status')}, "
                f"{fmt(result.get('seconds'), '{:.1f}')} s, {result.get('bytes') or 0:,} bytes, "
                f"{result.get('rows') or 0:,} rows, complete={result.get('complete')}"
                + (f" ({result['error']})" if result.get("error") else "")
            )
    finally:
        for proc, sampler in worker:
            sampler.stop.set()
            stop_process(proc, 30)
    rss["web_export_mb"] = max((r.get("web_rss_mb") or 0 for r in results), default=None)
    return results


# --- email ---------------------------------------------------------------------------------


def sink_count(count_file: Path) -> int:
    with contextlib.suppress(ValueError, OSError):
        return int(count_file.read_text() or 0)
    return 0


def wait_sink(count_file: Path, target: int, limit_s: float) -> int:
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        if sink_count(count_file) >= target:
            break
        time.sleep(0.1)
    return sink_count(count_file)


def smtplib_loop(port: int, count: int) -> float:
    """The floor: one connection, `count` messages of the outbox's size, one after another."""
    body = "Hello,\n\n" + "Please confirm that you are the primary contact. " * 20 + "\n"
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for index in range(count):
            message = EmailMessage()
            message["From"] = "CSP Partner Portal <no-reply@csp-portal.example>"
            message["To"] = f"plain{index}@sink.example"
            message["Subject"] = "[CSP Partner Portal] Confirm the enrolment"
            message.set_content(body)
            message.add_alternative(f"<p>{body}</p>", subtype="html")
            smtp.send_message(message)
    return time.perf_counter() - started


def wait_log(path: Path, needle: str, limit_s: float) -> bool:
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        with contextlib.suppress(OSError):
            if needle in path.read_text(errors="replace"):
                return True
        time.sleep(0.3)
    return False


# --- report --------------------------------------------------------------------------------


def mark(ok: bool | None) -> str:
    return "" if ok is None else ("PASS" if ok else "MISS")


def fmt(value: Any, pattern: str = "{:.0f}") -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return pattern.format(value)


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return float(value)


def page_verdicts(row: dict[str, Any]) -> dict[str, bool | None]:
    """Issue 21's targets for one page: ratio to the ceiling (8 connections) >= 0.25, p99 at 2
    connections <= 150 ms, <= 10 queries, the same at 1x and 0.01x, time large/small <= 1.5."""
    q_large, q_small = row.get("queries_1x"), row.get("queries_small")
    p99 = _number(row.get("low_p99_ms"))
    ratio = _number(row.get("ratio"))
    return {
        "ratio": ratio >= TARGETS["ratio"] if ratio is not None else None,
        "p99": p99 <= TARGETS["p99_ms"] if p99 is not None else None,
        "queries": (q_large <= TARGETS["queries"]) if q_large is not None else None,
        "flat": (q_large == q_small) if q_large is not None else None,
        "time": (row["time_ratio"] <= TARGETS["time_ratio"]) if row.get("time_ratio") else None,
    }


def table(results: dict[str, Any]) -> str:
    meta = results["meta"]
    judged = meta["judged"]
    small = meta["small_scale"]
    high, low = meta.get("connections_high", 8), meta.get("connections_low", 2)
    lines = [
        f"| page | req/s ({high}c) | p99 ({high}c) | ratio | req/s ({low}c) | p50 ({low}c) "
        f"| p99 ({low}c) | queries 1x | queries {small}x | time large/small | memo "
        f"| verdict{'' if judged else ' (not judged)'} |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    passed = 0
    for row in results["pages"]:
        verdicts = page_verdicts(row)
        misses = [name for name, ok in verdicts.items() if ok is False]
        verdict = "PASS" if not misses else "MISS " + ",".join(misses)
        if row.get("skipped"):
            verdict = "MISS (" + row["skipped"] + ")"
        elif row.get("http_status") not in (200, 302):
            verdict = f"HTTP {row.get('http_status')}"
        passed += verdict == "PASS"
        lines.append(
            f"| {row['label']} | {fmt(row.get('high_rps'), '{:.1f}')} "
            f"| {fmt(row.get('high_p99_ms'), '{:.0f} ms')} "
            f"| {fmt(row.get('ratio'), '{:.3f}')} "
            f"| {fmt(row.get('low_rps'), '{:.1f}')} "
            f"| {fmt(row.get('low_p50_ms'), '{:.0f} ms')} "
            f"| {fmt(row.get('low_p99_ms'), '{:.0f} ms')} "
            f"| {fmt(row.get('queries_1x'))} | {fmt(row.get('queries_small'))} "
            f"| {fmt(row.get('time_ratio'), '{:.2f}')} | {row.get('memo') or '-'} | {verdict} |"
        )
    lines.append("")
    lines.append(
        f"Pages meeting every target: {passed} of {len(results['pages'])} (ratio ≥ "
        f"{TARGETS['ratio']} at {high} connections, p99 ≤ {TARGETS['p99_ms']:.0f} ms at {low}, "
        f"≤ {TARGETS['queries']} queries, the same at 1x and {small}x, time large/small ≤ "
        f"{TARGETS['time_ratio']})."
    )
    ceil = results.get("ceilings")
    if ceil:
        ok = mark(ceil["ratio"] >= TARGETS["ceiling_ratio"]) if ceil.get("ratio") else "-"
        lines.append(
            f"Ceilings ({meta.get('web', '?')}, {ceil['connections']} connections, "
            f"{ceil['rounds']} alternating rounds of {ceil['duration_s']:g} s, median): portal "
            f"middleware {ceil['portal_rps']:.0f} req/s, bare Django view {ceil['bare_rps']:.0f} "
            f"req/s: ratio {fmt(ceil.get('ratio'), '{:.3f}')} "
            f"[{ok if judged else 'not judged'}, ≥ {TARGETS['ceiling_ratio']}]."
        )
    paired = [r["ceiling_rps"] for r in results["pages"] if r.get("ceiling_rps")]
    if paired:
        lines.append(
            f"Portal ceiling in the page pairs: {min(paired):.0f}-{max(paired):.0f} req/s."
        )
    rss = results.get("rss", {})
    if rss:
        lines.append(
            f"RSS peak: web worker {fmt(rss.get('web_pages_mb'))} MB during the page runs, "
            f"{fmt(rss.get('web_export_mb'))} MB during the exports "
            f"[{mark(rss.get('web_ok')) or 'not judged'}, ≤ {TARGETS['rss_mb']:.0f} MB]; "
            f"Celery worker {fmt(rss.get('celery_mb'))} MB."
        )
    for export in results.get("exports", []):
        export_verdict = export_ok(export)
        lines.append(
            f"{export['label']} ({export.get('mode')}): HTTP {export.get('status')}, "
            f"{fmt(export.get('seconds'), '{:.1f}')} s, {export.get('bytes') or 0:,} bytes, "
            f"{export.get('rows') or 0:,} rows, complete={export.get('complete')}"
            + (f" ({export['error']})" if export.get("error") else "")
            + f" [{mark(export_verdict) if judged else 'not judged'}, "
            f"≤ {TARGETS['export_s']:g} s streamed or background, never truncated]."
        )
    mail = results.get("email")
    if mail:
        lines.append(
            f"Email: {mail.get('sent', mail['count']):,} of {mail['count']:,} through outbox "
            f"+ Celery worker in "
            f"{mail['outbox_s']:.1f} s (sink received {mail['sink_received']:,}) vs plain "
            f"smtplib loop {mail['plain_s']:.1f} s: ratio {mail['ratio']:.2f} "
            f"[{mark(mail['ratio'] >= TARGETS['email_ratio']) if judged else 'not judged'}, "
            f"≥ {TARGETS['email_ratio']}]."
        )
    seeded = results.get("seed", {})
    if seeded.get("seed_s") is not None:
        lines.append(
            f"seed_scale --scale {seeded['scale']}: {seeded['seed_s']:.0f} s "
            f"[{mark(seeded['seed_s'] <= TARGETS['seed_s']) if judged else 'not judged'}, "
            f"≤ {TARGETS['seed_s']:.0f} s on a quiet machine]."
        )
    errors = results.get("server_errors")
    if errors:
        lines.append(f"Server errors logged by gunicorn: {len(errors)} (first: {errors[0]}).")
    return "\n".join(lines)


def scale_table(results: dict[str, Any]) -> str:
    meta = results["meta"]
    base, new = meta["baseline_scale"], meta["scale"]
    lines = [
        f"| page | queries {base} | queries {new} | in-process {base} | in-process {new} "
        f"| time {new}/{base} | verdict{'' if meta['judged'] else ' (not judged)'} |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results["pages"]:
        lines.append(
            f"| {row['label']} | {fmt(row.get('queries_base'))} | {fmt(row.get('queries_new'))} "
            f"| {fmt(row.get('ms_base'), '{:.1f} ms')} | {fmt(row.get('ms_new'), '{:.1f} ms')} "
            f"| {fmt(row.get('ratio'), '{:.2f}')} | {row['verdict']} |"
        )
    lines.append("")
    lines.append(
        f"Baseline times: {meta['baseline_times']}. Target: time ≤ {TARGETS['scale_ratio']}x "
        "and the same queries."
    )
    for export in results.get("exports", []):
        lines.append(
            f"{export['label']} at {new} ({export.get('mode')}): HTTP {export.get('status')}, "
            f"{fmt(export.get('seconds'), '{:.1f}')} s, {export.get('bytes') or 0:,} bytes, "
            f"{export.get('rows') or 0:,} rows, complete={export.get('complete')}"
            + (f" ({export['error']})" if export.get("error") else "")
            + f" [{mark(export_ok(export))}]."
        )
    return "\n".join(lines)


def concurrency_table(results: dict[str, Any]) -> str:
    meta = results["meta"]
    low, high = meta["connections_low"], meta["connections_high"]
    lines = [
        f"| gunicorn | ceiling req/s ({high}c) | mix req/s ({low}c) | p50 | p99 "
        f"| mix req/s ({high}c) | p50 | p99 | errors | workers' RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results["configs"]:
        lines.append(
            f"| {row['config']}{' (deployed)' if row.get('deployed') else ''} "
            f"| {fmt(row.get('ceiling_rps'))} "
            f"| {fmt(row.get('low_rps'), '{:.1f}')} | {fmt(row.get('low_p50_ms'), '{:.0f} ms')} "
            f"| {fmt(row.get('low_p99_ms'), '{:.0f} ms')} "
            f"| {fmt(row.get('high_rps'), '{:.1f}')} | {fmt(row.get('high_p50_ms'), '{:.0f} ms')} "
            f"| {fmt(row.get('high_p99_ms'), '{:.0f} ms')} "
            f"| {(row.get('low_errors') or 0) + (row.get('high_errors') or 0)} "
            f"| {fmt(row.get('rss_total_mb'), '{:.0f} MB')} |"
        )
    lines.append("")
    lines.append(
        f"Mix: {', '.join(meta['mix'])} (GET, in turn, each page with its user's session)."
    )
    return "\n".join(lines)


def git_commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return result.stdout.strip() + ("+dirty" if dirty else "")


def report(results: dict[str, Any]) -> str:
    meta = results["meta"]
    mode = meta.get("mode", "pages")
    command = f"bench/run --scale {meta['scale']}{' --quick' if meta.get('quick') else ''}"
    if mode == "scale":
        command = f"bench/run --scale {meta['scale']} --baseline {meta['baseline']}"
    elif mode == "concurrency":
        command = f"bench/run --concurrency --scale {meta['scale']}"
    head = (
        f"`{command}` · {meta['date']} · commit {meta['commit']} · "
        + (f"{meta['wrk']} · " if meta.get("wrk") else "")
        + f"total {meta.get('total_s', 0):.0f} s · load average "
        f"{meta['load_average'][0]:.1f} at the start, "
        f"{meta.get('load_average_end', ['?'])[0]} at the end ({meta['cpus']} CPUs)\n\n"
    )
    if mode == "scale":
        return head + scale_table(results)
    if mode == "concurrency":
        return head + concurrency_table(results)
    return head + table(results)


def base_meta(args: argparse.Namespace, mode: str) -> dict[str, Any]:
    return {
        "mode": mode,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "scale": args.scale,
        "quick": args.quick,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def finish(results: dict[str, Any], output: str, started: float) -> None:
    results["meta"]["total_s"] = round(time.perf_counter() - started, 1)
    results["meta"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    Path(output).write_text(json.dumps(results, indent=2, default=str) + "\n")
    print()
    print(report(results))
    print(f"\nWrote {output}")


# --- modes ---------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=None, help="data scale (default 1.0)")
    parser.add_argument("--quick", action="store_true", help="CI mode: 0.01, short runs")
    parser.add_argument("--reuse", action="store_true", help="keep already seeded databases")
    parser.add_argument("--duration", type=float, default=None, help="seconds per wrk run")
    parser.add_argument(
        "--connections", type=int, default=8, help="wrk connections for the ratios (8)"
    )
    parser.add_argument(
        "--low-connections",
        type=int,
        default=2,
        help="wrk connections for the judged p99 (2: as many as the issue's workers)",
    )
    # Five: now and then gunicorn's workers accept a wrk run's 8 connections all in one process
    # (the accept race of a shared socket), which halves that run; the median of five outlasts
    # two such runs (seen: 877 and 856 req/s beside 1,925 in one run of three).
    parser.add_argument("--ceiling-rounds", type=int, default=5)
    parser.add_argument("--ceiling-duration", type=float, default=None, help="s (3; quick 1)")
    parser.add_argument(
        "--web",
        type=WebConfig.parse,
        default=None,
        help="override deploy/gunicorn.conf.py's workers: sync:N or gthread:NxT",
    )
    parser.add_argument("--emails", type=int, default=None)
    parser.add_argument("--only", nargs="*", default=None, help="pages whose label contains…")
    parser.add_argument("--no-email", action="store_true")
    parser.add_argument("--no-csv", action="store_true", help="no exports")
    parser.add_argument("--redis-db", type=int, default=int(os.environ.get("BENCH_REDIS_DB", 12)))
    parser.add_argument(
        "--baseline",
        metavar="JSON",
        help="scale comparison: in-process time and queries of the key pages at --scale "
        "against this results file (e.g. --scale 3.0 --baseline bench/results.json)",
    )
    parser.add_argument(
        "--concurrency",
        action="store_true",
        help="compare gunicorn configurations on a mix of key signed-in pages",
    )
    parser.add_argument(
        "--configs",
        nargs="*",
        type=WebConfig.parse,
        default=None,
        help=f"with --concurrency (default {' '.join(CONCURRENCY_CONFIGS)} and the deployed one)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="with --concurrency: every configuration this many times, in rotation (medians)",
    )
    parser.add_argument("--output", default=None, help="results file (per mode by default)")
    parser.add_argument("--print-table", metavar="JSON", help="print the table of a results file")
    args = parser.parse_args(argv)
    if args.scale is None:
        args.scale = 0.01 if args.quick else 1.0
    if args.duration is None:
        args.duration = 1.0 if args.quick else 10.0
    if args.ceiling_duration is None:
        args.ceiling_duration = 1.0 if args.quick else 3.0
    if args.emails is None:
        args.emails = 500 if args.quick else 5000
    if args.output is None:
        name = "results.json"
        if args.baseline:
            name = f"results-scale-{args.scale:g}.json"
        elif args.concurrency:
            name = "results-concurrency.json"
        args.output = str(ROOT / "bench" / name)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.print_table:
        print(report(json.loads(Path(args.print_table).read_text())))
        return 0
    if args.baseline:
        return run_scale(args)
    if not shutil.which("wrk"):
        raise SystemExit("bench/run needs wrk (apt-get install wrk)")
    if args.concurrency:
        return run_concurrency(args)
    return run_pages(args)


def bench_db_name() -> str:
    return f"{base_url().path.lstrip('/') or 'portal'}_bench"


def run_pages(args: argparse.Namespace) -> int:
    """The default mode: every page in process and over HTTP, the ceilings, exports, email."""
    started = time.perf_counter()
    big_db = bench_db_name()
    small_db = f"{big_db}_small"
    small_scale = round(args.scale / 100, 6)
    judged = not args.quick and args.scale >= 1.0
    config = args.web or deployed_config()
    log(f"scale {args.scale} (small {small_scale}), databases {big_db} / {small_db}")
    log(f"web process: {config.label} ({'--web' if args.web else GUNICORN_CONF.name})")
    pages = [p for p in PAGES if not args.only or any(o in p[0] for o in args.only)]

    big_built = build(big_db, args.scale, args.reuse)
    small_built = build(small_db, small_scale, args.reuse, template=big_db)
    seeded = seed(big_built)
    small_seed = seed(small_built)
    manage(big_db, "collectstatic", "--noinput", "-v0")

    prepare = prepare_args(pages, exports=not args.no_csv)
    ids = {db: django_side(db, *prepare) for db in (big_db, small_db)}

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
        tmp = Path(tmp_name)
        # Both databases in alternating rounds, each page's least disturbed round kept: a
        # burst of load from elsewhere on a shared machine lands on one database's round, not
        # on the time large/small (one round each moved page ratios by 0.3-0.5 between runs).
        rounds = 1 if args.quick else INPROCESS_ROUNDS
        measured: dict[str, list[dict[str, Any]]] = {big_db: [], small_db: []}
        for _round in range(rounds):
            for db in (big_db, small_db):
                measured[db].append(
                    measure_inprocess(
                        db, page_specs(pages, ids[db]), tmp, args.quick, args.redis_db
                    )
                )
        inprocess = {db: least_disturbed(runs) for db, runs in measured.items()}

        results: dict[str, Any] = {
            "meta": {
                **base_meta(args, "pages"),
                "small_scale": small_scale,
                "inprocess_rounds": rounds,
                "judged": judged,
                "web": config.label,
                "connections_high": args.connections,
                "connections_low": args.low_connections,
                "wrk": f"{args.connections} and {args.low_connections} connections, "
                f"{args.duration:g} s per run",
            },
            "seed": seeded,
            "seed_small": small_seed,
            "pages": [],
        }
        run_id = f"{os.getpid()}-{int(time.time())}"
        count_file = tmp / "sink.count"
        sink_port = free_port()
        sink = subprocess.Popen(
            [PY, str(ROOT / "bench" / "smtp_sink.py"), str(count_file), str(sink_port)],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        port = free_port()
        serve_env = serve_env_for(big_db, run_id, args.redis_db, port, sink_port)
        errors_log = tmp / "gunicorn.log"
        try:
            with serving(
                "portal.wsgi:application",
                port,
                serve_env,
                config,
                tmp,
                "gunicorn",
                "/bench/ceiling/",
            ) as (web, errors_log):
                sessions = sign_in_all(port, big_db, ids[big_db]["totp_secrets"], list(USERS))
                bare_port = free_port()
                with serving(
                    "bench.bare:application",
                    bare_port,
                    bare_env(),
                    config,
                    tmp,
                    "bare",
                    "/bench/bare/",
                ) as (bare, _bare_log):
                    web.phase("ceilings")
                    results["ceilings"] = ceilings(
                        port,
                        bare_port,
                        sessions["provider"].cookie_header(),
                        args.ceiling_rounds,
                        args.ceiling_duration,
                        args.connections,
                        [web, bare],
                    )
                web.phase("pages")
                run_pages_over_http(
                    args,
                    page_specs(pages, ids[big_db]),
                    inprocess,
                    big_db,
                    small_db,
                    sessions,
                    port,
                    web,
                    tmp,
                    results,
                )
                rss: dict[str, Any] = {"web_pages_mb": web.peaks.get("pages")}
                if not args.no_csv:
                    results["exports"] = run_exports(
                        sessions, web, serve_env, tmp, run_id, rss, ids[big_db]
                    )
                rss_values = [v for k, v in rss.items() if k.startswith("web_") and v]
                rss["web_ok"] = (
                    (max(rss_values) <= TARGETS["rss_mb"]) if judged and rss_values else None
                )
                if not args.no_email:
                    results["email"] = email_bench(
                        args, big_db, serve_env, tmp, count_file, sink_port, run_id, rss
                    )
                results["rss"] = rss
        finally:
            stop_process(sink)
            errors = server_errors(errors_log)
            if errors:
                results.setdefault("server_errors", errors[:20])

    finish(results, args.output, started)
    broken = [r["label"] for r in results["pages"] if r.get("http_status") not in (200, 302)]
    broken += [
        r["label"]
        for r in results["pages"]
        if inprocess[big_db].get(r["label"], {}).get("status") not in (200, 302)
    ]
    broken += [e["label"] for e in results.get("exports", []) if export_broken(e)]
    if broken:
        print(f"Broken (not 200/302, or a truncated export): {', '.join(sorted(set(broken)))}")
        return 1
    if "email" in results and not results["email"]["sent"]:
        print("No email was sent through the outbox.")
        return 1
    return 0


def run_pages_over_http(
    args: argparse.Namespace,
    specs: list[dict[str, Any]],
    inprocess: dict[str, Any],
    big_db: str,
    small_db: str,
    sessions: dict[str, Http],
    port: int,
    web: Sampler,
    tmp: Path,
    results: dict[str, Any],
) -> None:
    """Per page: wrk on the ceiling then on the page at `--connections` (the ratio pairs them),
    then the page at `--low-connections` (the judged p99), each after the workers settle."""
    wizard_form = {
        **next((s.get("data", {}) for s in specs if s["method"] == "POST"), {}),
        "csrfmiddlewaretoken": sessions["wizard"].cookies.get("csrftoken", ""),
    }
    script = post_script(tmp, wizard_form)
    for spec in specs:
        label, path = spec["label"], spec["path"]
        large = inprocess[big_db].get(label, {})
        small = inprocess[small_db].get(label, {})
        row: dict[str, Any] = {
            "label": label,
            "path": path,
            "method": spec["method"],
            "queries_1x": large.get("queries"),
            "queries_small": small.get("queries"),
            "inprocess_ms_1x": large.get("ms"),
            "inprocess_ms_small": small.get("ms"),
            "time_ratio": (large["ms"] / small["ms"])
            if large.get("ms") and small.get("ms")
            else None,
            "bytes_1x": large.get("bytes"),
            "inprocess_error": large.get("error"),
        }
        results["pages"].append(row)
        if large.get("error") or (large.get("ms") or 0) > WRK_SKIP_MS:
            why = large.get("error") or f"{large['ms'] / 1000:.1f} s per request in process"
            row.update(http_status=large.get("status"), skipped=f"not run under wrk: {why}")
            log(f"{label}: {row['skipped']}")
            continue
        session = sessions[spec["who"]]
        post = spec["method"] == "POST"
        headers = spec.get("headers")
        try:
            status, _h, _b = session.request(
                spec["method"], path, wizard_form if post else None, extra_headers=headers
            )
        except (OSError, http.client.HTTPException) as exc:
            row.update(http_status=0, skipped=f"not run under wrk: {exc}")
            log(f"{label}: {row['skipped']}")
            continue
        cookie = session.cookie_header()
        own = "" if headers else cookie  # an API call: its bearer token, no session cookie
        settle(web)
        ceiling = wrk(port, "/bench/ceiling/", cookie, args.duration, args.connections)
        settle(web)
        high = wrk(
            port, path, own, args.duration, args.connections, script if post else None, headers
        )
        settle(web)
        low = wrk(
            port, path, own, args.duration, args.low_connections, script if post else None, headers
        )
        waited = settle(web)
        if not post:
            # Whether the runs were served by the page memo (portal/pagememo.py): the second
            # of two more requests as wrk sends them (its Host names the port), "hit" when it
            # came from the cache.
            probe = {"Host": f"127.0.0.1:{port}", **(headers or {"Cookie": cookie})}
            for _ask in range(2):
                _status, answered, _body = session.request("GET", path, extra_headers=probe)
            row["memo"] = answered.get("X-Page-Memo")
        row.update(
            http_status=status,
            **wrk_fields("high", high),
            **wrk_fields("low", low),
            ceiling_rps=ceiling["rps"],
            ratio=high["rps"] / ceiling["rps"] if ceiling["rps"] else None,
            drain_s=round(waited, 1),
        )
        log(
            f"{label}: HTTP {status}, {high['rps']:.1f} req/s (ceiling {ceiling['rps']:.0f}), "
            f"p99 {fmt(high['p99_ms'])} ms at {args.connections}; {low['rps']:.1f} req/s, p50 "
            f"{fmt(low['p50_ms'])} ms, p99 {fmt(low['p99_ms'])} ms at {args.low_connections}; "
            f"queries {large.get('queries')}/{small.get('queries')}"
        )


def run_scale(args: argparse.Namespace) -> int:
    """`--scale S --baseline FILE`: the key pages (or --only) in process on a database seeded at
    S, against the baseline run's database when it is still there (measured again now,
    alternately with the new one: both times come from the same code and the same moment) or
    else the times in FILE. Then the exports over HTTP at S (unless --no-csv)."""
    started = time.perf_counter()
    baseline = json.loads(Path(args.baseline).read_text())
    base_scale = baseline["meta"]["scale"]
    base_db = baseline.get("seed", {}).get("database", "")
    base_rows = {row["label"]: row for row in baseline.get("pages", [])}
    db = f"{bench_db_name()}_x{args.scale:g}".replace(".", "_")
    if db == base_db:
        raise SystemExit(f"the baseline's database is {db}: nothing to compare")
    selected = [
        p for p in PAGES if (any(o in p[0] for o in args.only) if args.only else p[0] in KEY_PAGES)
    ]
    log(f"scale {args.scale} on {db} against {args.baseline} (scale {base_scale}, {base_db})")
    seeded = seed(build(db, args.scale, args.reuse))
    prepare = prepare_args(selected, exports=not args.no_csv)
    ids = {db: django_side(db, *prepare)}
    remeasure = bool(base_db) and db_exists(base_db)
    if remeasure:
        try:
            manage(base_db, "migrate", "--noinput", "-v0")
            ids[base_db] = django_side(base_db, *prepare)
        except SystemExit as exc:
            log(f"{base_db} cannot be measured again ({exc}); using the file's times")
            remeasure = False
    rounds = 1 if args.quick else INPROCESS_ROUNDS
    measured: dict[str, list[dict[str, Any]]] = {db: [], base_db: []}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
        tmp = Path(tmp_name)
        for _round in range(rounds):
            for database in ([base_db] if remeasure else []) + [db]:
                specs = page_specs(selected, ids[database])
                measured[database].append(
                    measure_inprocess(database, specs, tmp, args.quick, args.redis_db)
                )

        kept = {database: least_disturbed(runs) for database, runs in measured.items()}
        judged = base_scale >= 1.0 and args.scale > base_scale
        rows = []
        for label, _who, _path, _method in selected:
            new = kept[db].get(label, {})
            old = kept[base_db].get(label, {}) if remeasure else {}
            filed = base_rows.get(label, {})
            ms_base = old.get("ms") if remeasure else filed.get("inprocess_ms_1x")
            q_base = old.get("queries") if remeasure else filed.get("queries_1x")
            ratio = new["ms"] / ms_base if new.get("ms") and ms_base else None
            misses = []
            if ratio is None:
                misses.append("no time")
            elif ratio > TARGETS["scale_ratio"]:
                misses.append("time")
            if new.get("queries") is None or new.get("queries") != q_base:
                misses.append("queries")
            rows.append(
                {
                    "label": label,
                    "status": new.get("status"),
                    "error": new.get("error"),
                    "queries_base": q_base,
                    "queries_file": filed.get("queries_1x"),
                    "queries_new": new.get("queries"),
                    "ms_base": ms_base,
                    "ms_file": filed.get("inprocess_ms_1x"),
                    "ms_new": new.get("ms"),
                    "ratio": ratio,
                    "verdict": (new.get("error") or "MISS " + ",".join(misses))
                    if misses
                    else "PASS",
                }
            )
        results: dict[str, Any] = {
            "meta": {
                **base_meta(args, "scale"),
                "baseline": args.baseline,
                "baseline_scale": base_scale,
                "baseline_database": base_db,
                "baseline_times": (
                    f"{base_db} measured again in this run, {rounds} alternating round(s), "
                    "the lower median of each page kept"
                    if remeasure
                    else f"from {args.baseline} ({baseline['meta'].get('date')})"
                ),
                "judged": judged,
            },
            "seed": seeded,
            "pages": rows,
        }
        if not args.no_csv:
            run_id = f"{os.getpid()}-{int(time.time())}"
            port = free_port()
            serve_env = serve_env_for(db, run_id, args.redis_db, port, None)
            manage(db, "collectstatic", "--noinput", "-v0")
            config = args.web or deployed_config()
            with serving(
                "portal.wsgi:application",
                port,
                serve_env,
                config,
                tmp,
                "gunicorn",
                "/bench/ceiling/",
            ) as (web, errors_log):
                sessions = sign_in_all(port, db, ids[db]["totp_secrets"], ["provider"])
                rss: dict[str, Any] = {}
                results["exports"] = run_exports(
                    sessions, web, serve_env, tmp, run_id, rss, ids[db]
                )
                results["rss"] = rss
            errors = server_errors(errors_log)
            if errors:
                results["server_errors"] = errors[:20]
    finish(results, args.output, started)
    broken = [r["label"] for r in rows if r.get("status") not in (200, 302)]
    broken += [e["label"] for e in results.get("exports", []) if export_broken(e)]
    if broken:
        print(f"Broken: {', '.join(broken)}")
        return 1
    return 0


def median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One configuration's rounds as one row: the median of every figure, the rounds kept."""
    merged = dict(rows[0])
    for key, value in rows[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values = [row[key] for row in rows if _number(row.get(key)) is not None]
            merged[key] = statistics.median(values) if values else value
    merged["rounds"] = len(rows)
    if len(rows) > 1:
        merged["round_rows"] = rows
    return merged


def run_concurrency(args: argparse.Namespace) -> int:
    """`--concurrency`: the portal under each gunicorn configuration in turn, on the same data:
    the ceiling at `--connections`, then a mix of the key signed-in pages at `--low-connections`
    and `--connections` (req/s, p50, p99), and the workers' RSS together."""
    started = time.perf_counter()
    db = bench_db_name()
    deployed = deployed_config()
    configs: list[WebConfig] = args.configs or [WebConfig.parse(c) for c in CONCURRENCY_CONFIGS]
    if not args.configs and deployed not in configs:
        configs.append(deployed)
    log(f"scale {args.scale} on {db}; configurations {', '.join(c.label for c in configs)}")
    seeded = seed(build(db, args.scale, args.reuse))
    manage(db, "collectstatic", "--noinput", "-v0")
    key_pages = [page for page in PAGES if page[0] in KEY_PAGES]
    ids = django_side(db, *prepare_args(key_pages, exports=False))
    mix = page_specs(key_pages, ids)
    run_id = f"{os.getpid()}-{int(time.time())}"
    results: dict[str, Any] = {
        "meta": {
            **base_meta(args, "concurrency"),
            "connections_low": args.low_connections,
            "connections_high": args.connections,
            "wrk": f"{args.duration:g} s per run, {args.rounds} round(s) in rotation, medians",
            "mix": [spec["label"] for spec in mix],
            "deployed": deployed.label,
        },
        "seed": seeded,
        "configs": [],
    }
    sessions: dict[str, Http] = {}
    broken: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
        tmp = Path(tmp_name)
        runs: dict[str, list[dict[str, Any]]] = {config.label: [] for config in configs}
        for config in [config for _round in range(args.rounds) for config in configs]:
            port = free_port()
            # The same cache prefix and secret key for every configuration: the sessions signed
            # in under the first one stay valid under the next (TOTP codes are single-use).
            serve_env = serve_env_for(db, run_id, args.redis_db, port, None)
            row: dict[str, Any] = {"config": config.label, "deployed": config == deployed}
            log(f"gunicorn {config.label}")
            with serving(
                "portal.wsgi:application",
                port,
                serve_env,
                config,
                tmp,
                f"gunicorn-{config.label}",
                "/bench/ceiling/",
            ) as (web, errors_log):
                for name, session in list(sessions.items()):
                    session.port = port
                    if session.request("GET", "/dashboard/")[0] != 200:
                        sessions.pop(name)
                missing = [who for who in USERS if who not in sessions and who != "wizard"]
                if missing:
                    sessions.update(sign_in_all(port, db, ids["totp_secrets"], missing))
                for spec in mix:
                    status = sessions[spec["who"]].request("GET", spec["path"])[0]
                    if status != 200:
                        broken.append(f"{spec['label']} (HTTP {status} under {config.label})")
                script = mix_script(
                    tmp, [(s["path"], sessions[s["who"]].cookie_header()) for s in mix]
                )
                web.phase("runs")
                settle(web)
                ceiling = wrk(
                    port,
                    "/bench/ceiling/",
                    sessions["provider"].cookie_header(),
                    args.duration,
                    args.connections,
                )
                settle(web)
                low = wrk(port, "/", "", args.duration, args.low_connections, script)
                settle(web)
                high = wrk(port, "/", "", args.duration, args.connections, script)
                settle(web)
                row.update(
                    ceiling_rps=ceiling["rps"],
                    **wrk_fields("low", low),
                    **wrk_fields("high", high),
                    rss_total_mb=web.totals.get("runs"),
                    rss_worker_mb=web.peaks.get("runs"),
                    server_errors=len(server_errors(errors_log)),
                )
            runs[config.label].append(row)
            log(
                f"{config.label}: ceiling {ceiling['rps']:.0f} req/s; mix {low['rps']:.1f} req/s "
                f"p99 {fmt(low['p99_ms'])} ms at {args.low_connections}, {high['rps']:.1f} req/s "
                f"p99 {fmt(high['p99_ms'])} ms at {args.connections}; workers "
                f"{fmt(row['rss_total_mb'])} MB"
            )
        for config in configs:
            results["configs"].append(median_row(runs[config.label]))
    finish(results, args.output, started)
    if broken:
        print(f"Pages that did not answer 200: {', '.join(broken)}")
        return 1
    return 0


def email_bench(
    args: argparse.Namespace,
    database: str,
    serve_env: dict[str, str],
    tmp: Path,
    count_file: Path,
    sink_port: int,
    run_id: str,
    rss: dict[str, Any],
) -> dict[str, Any]:
    count = args.emails
    before = sink_count(count_file)
    plain_s = smtplib_loop(sink_port, count)
    wait_sink(count_file, before + count, 30)
    worker, _worker_log = start_celery_worker(serve_env, tmp, run_id, "bench-email")
    beat = subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "portal",
            "beat",
            "--loglevel",
            "WARNING",
            "--schedule",
            str(tmp / "beat-schedule"),
            "--pidfile",
            str(tmp / "beat.pid"),
        ],
        cwd=ROOT,
        env=serve_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        sampler = Sampler(worker.pid, children_only=False)
        sampler.start()
        sampler.phase("email")
        before = sink_count(count_file)
        # Bounded: past the limit the figure is the throughput so far (the run stays < 15 min).
        limit = 60 + count * 0.05
        log(f"{count} emails through the outbox (limit {limit:.0f} s)")
        outcome = django_side(
            database, "email", str(count), f"bench-{run_id}", str(limit), env=serve_env
        )
        received = wait_sink(count_file, before + count, 10) - before
        sampler.stop.set()
        rss["celery_mb"] = sampler.peaks.get("email")
    finally:
        stop_process(worker, 30)
        stop_process(beat)
    outbox_s = outcome["elapsed_s"]
    result = {
        "count": count,
        "outbox_s": round(outbox_s, 2),
        "enqueue_s": round(outcome["enqueue_s"], 2),
        "plain_s": round(plain_s, 2),
        # Throughputs: messages/s through the outbox over messages/s of the plain loop.
        "ratio": (outcome["sent"] / outbox_s) / (count / plain_s) if outbox_s else 0.0,
        "sent": outcome["sent"],
        "all_sent": outcome["sent"] >= count,
        "sink_received": received,
    }
    log(
        f"email: outbox {outbox_s:.1f} s, plain {plain_s:.1f} s, ratio {result['ratio']:.2f}, "
        f"sink received {received}"
    )
    return result


if __name__ == "__main__":
    raise SystemExit(main())
