"""bench/run: the portal at a distributor's scale, measured the way issue 9 states its targets.

    bench/run [--scale 1.0] [--quick] [--reuse] [--only LABEL...] [--no-email] [--no-csv]

1. Two PostgreSQL databases of its own (named after $DATABASE_URL's, "<name>_bench" and
   "<name>_bench_small"), dropped and rebuilt (or kept with --reuse): migrate, then
   `seed_scale --scale S` and `--scale S/100`.
2. In-process, per page and database: queries of one request and the median time (Django's
   test Client): 1x against S/100 of the same page for the same demo tenant.
3. gunicorn, 2 workers, production settings (HTTP on loopback, Redis cache and broker), with
   the ceiling view /bench/ceiling/ (PORTAL_BENCH_CEILING=1: a bare view behind the same
   middleware). Signs in through the real login pages (with TOTP, which production requires
   of reviewers and Global admins) and runs wrk, 8 connections, alternating the ceiling and
   each page: ratio = page req/s / ceiling req/s of the run just before.
4. The provider's customers CSV export over HTTP; RSS of a web worker (peak); 5,000 emails
   through the outbox and a real Celery worker into an aiosmtpd sink against a plain smtplib
   loop into the same sink; RSS of the Celery worker.
5. Prints the table, writes bench/results.json.

--quick (CI): scale 0.01, 1.5 s wrk runs, 500 emails; the targets are shown, not judged."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from email.message import EmailMessage
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
BIN = ROOT / ".venv" / "bin"
PASSWORD = "Demo-Partner-2026"
USERS = {
    "provider": "admin@contoso-distribution.example",
    "reseller": "admin@northwind-it.example",
    "reviewer": "reviewer@csp-operator.example",
    "wizard": "admin@litware-solutions.example",
}
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
    ("wizard step GET", "wizard", "/enroll/reseller/{wizard_step}/", "GET"),
    ("wizard step POST", "wizard", "/enroll/reseller/{wizard_step}/", "POST"),
]
TARGETS = {
    "ratio": 0.2,
    "p99_ms": 100.0,
    "queries": 10,
    "time_ratio": 1.5,
    "rss_mb": 150.0,
    "email_ratio": 0.5,
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
    if reuse and db_exists(database):
        log(f"{database}: reusing (--reuse)")
    elif template:
        admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin_sql(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
    else:
        recreate_db(database)
    started = time.perf_counter()
    manage(database, "migrate", "--noinput", "-v0")
    migrated = time.perf_counter() - started
    return {"database": database, "scale": scale, "migrate_s": round(migrated, 1)}


def seed(built: dict[str, Any]) -> dict[str, Any]:
    database = built["database"]
    output = manage(database, "seed_scale", "--scale", str(built["scale"]))
    seed_line = next((line for line in output.splitlines() if "done in" in line), "")
    match = re.search(r"done in ([\d.]+) s", seed_line)
    log(f"{database}: " + (seed_line or output.strip().splitlines()[-1]))
    return {
        **built,
        "seed_s": float(match.group(1)) if match else None,
        "seed_reused": "already present" in output,
    }


# --- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sampler(threading.Thread):
    """Peak RSS of a process tree's members, by phase (reset with `phase`)."""

    def __init__(self, pid: int, children_only: bool) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.children_only = children_only
        self.peaks: dict[str, float] = {}
        self.current = "start"
        self.stop = threading.Event()

    def phase(self, name: str) -> None:
        self.current = name
        self.peaks.setdefault(name, 0.0)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                procs = self.root.children(recursive=True)
                if not self.children_only:
                    procs.append(self.root)
                top = max((p.memory_info().rss for p in procs), default=0) / 2**20
            except psutil.Error:
                top = 0.0
            self.peaks[self.current] = max(self.peaks.get(self.current, 0.0), top)
            self.stop.wait(0.1)

    def workers(self) -> list[psutil.Process]:
        with contextlib.suppress(psutil.Error):
            return self.root.children(recursive=True)
        return []


def settle(sampler: Sampler, limit_s: float = 90.0) -> float:
    """Wait until the web workers are idle (a slow page's queued requests drain after wrk
    stops): the next run must not inherit them. Returns the seconds waited."""
    started = time.perf_counter()
    quiet = 0
    while time.perf_counter() - started < limit_s and quiet < 2:
        procs = sampler.workers()
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


def wait_http(port: int, limit_s: float = 60) -> None:
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        with contextlib.suppress(OSError):
            status, _h, _b = Http(port).request("GET", "/bench/ceiling/")
            if status == 200:
                return
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer on /bench/ceiling/")


# --- HTTP sign-in ----------------------------------------------------------------------------


class Http:
    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.port = port
        self.cookies: dict[str, str] = dict(cookies or {})

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, timeout: float = 60
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
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
        token, _page = client.csrf_form(location)
        status, headers, _body = client.request(
            "POST", location, {"code": totp(), "csrfmiddlewaretoken": token}
        )
        if status != 302:
            raise SystemExit(f"TOTP step of {email} failed (HTTP {status})")
    status, _headers, _body = client.request("GET", "/dashboard/")
    if status != 200:
        raise SystemExit(f"{email} signed in but /dashboard/ answers {status}")
    return client


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
        "-H",
        f"Cookie: {cookie}",
    ]
    if script:
        cmd += ["-s", str(script)]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    percentiles = dict(re.findall(r"^\s+(50|99)\.000%\s+(\S+)", out, re.M))
    if not percentiles:
        percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "requests": int(total.group(1)) if total else 0,
        "p50_ms": _ms(percentiles.get("50", "")),
        "p99_ms": _ms(percentiles.get("99", "")),
        "errors": int(non_ok.group(1)) if non_ok else 0,
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
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


def page_verdicts(row: dict[str, Any]) -> dict[str, bool | None]:
    q_large, q_small = row.get("queries_1x"), row.get("queries_small")
    p99 = row.get("p99_ms")
    return {
        "ratio": row["ratio"] >= TARGETS["ratio"] if row.get("ratio") is not None else None,
        "p99": p99 <= TARGETS["p99_ms"] if p99 is not None and p99 == p99 else None,
        "queries": (q_large <= TARGETS["queries"]) if q_large is not None else None,
        "flat": (q_large == q_small) if q_large is not None else None,
        "time": (row["time_ratio"] <= TARGETS["time_ratio"]) if row.get("time_ratio") else None,
    }


def table(results: dict[str, Any]) -> str:
    judged = results["meta"]["judged"]
    small = results["meta"]["small_scale"]
    lines = [
        f"| page | req/s | p50 | p99 | ratio | queries 1x | queries {small}x | time large/small "
        f"| verdict{'' if judged else ' (not judged)'} |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results["pages"]:
        verdicts = page_verdicts(row)
        misses = [name for name, ok in verdicts.items() if ok is False]
        verdict = "PASS" if not misses else "MISS " + ",".join(misses)
        if row.get("skipped"):
            verdict = "MISS (" + row["skipped"] + ")"
        elif row.get("http_status") not in (200, 302):
            verdict = f"HTTP {row.get('http_status')}"
        lines.append(
            f"| {row['label']} | {fmt(row.get('rps'), '{:.1f}')} "
            f"| {fmt(row.get('p50_ms'), '{:.0f} ms')} | {fmt(row.get('p99_ms'), '{:.0f} ms')} "
            f"| {fmt(row.get('ratio'), '{:.3f}')} "
            f"| {fmt(row.get('queries_1x'))} | {fmt(row.get('queries_small'))} "
            f"| {fmt(row.get('time_ratio'), '{:.2f}')} | {verdict} |"
        )
    lines.append("")
    ceiling = [r["ceiling_rps"] for r in results["pages"] if r.get("ceiling_rps")]
    if ceiling:
        lines.append(
            f"Ceiling (bare view, same middleware): {min(ceiling):.0f}-{max(ceiling):.0f} req/s."
        )
    rss = results.get("rss", {})
    if rss:
        lines.append(
            f"RSS peak: web worker {fmt(rss.get('web_pages_mb'))} MB during the page runs, "
            f"{fmt(rss.get('web_csv_mb'))} MB during the CSV export "
            f"[{mark(rss.get('web_ok')) or 'not judged'}, ≤ {TARGETS['rss_mb']:.0f} MB]; "
            f"Celery worker {fmt(rss.get('celery_mb'))} MB."
        )
    csv = results.get("csv")
    if csv:
        lines.append(
            f"Customers CSV export (provider): HTTP {csv['status']}, {csv['seconds']:.1f} s, "
            f"{csv['bytes']:,} bytes, complete={csv['complete']}."
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
            f"[{mark(seeded['seed_s'] <= 300) if judged else 'not judged'}, ≤ 300 s]."
        )
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------


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
    return (
        f"`bench/run --scale {meta['scale']}{' --quick' if meta['quick'] else ''}` · "
        f"{meta['date']} · commit {meta['commit']} · {meta['wrk']} · total "
        f"{meta['total_s']:.0f} s · load average {meta['load_average'][0]:.1f} at the start, "
        f"{meta.get('load_average_end', ['?'])[0]} at the end ({meta['cpus']} CPUs)\n\n"
        + table(results)
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=None, help="data scale (default 1.0)")
    parser.add_argument("--quick", action="store_true", help="CI mode: 0.01, short runs")
    parser.add_argument("--reuse", action="store_true", help="keep already seeded databases")
    parser.add_argument("--duration", type=float, default=None, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--emails", type=int, default=None)
    parser.add_argument("--only", nargs="*", default=None, help="pages whose label contains…")
    parser.add_argument("--no-email", action="store_true")
    parser.add_argument("--no-csv", action="store_true")
    parser.add_argument("--redis-db", type=int, default=int(os.environ.get("BENCH_REDIS_DB", 12)))
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    parser.add_argument("--print-table", metavar="JSON", help="print the table of a results file")
    args = parser.parse_args(argv)
    if args.scale is None:
        args.scale = 0.01 if args.quick else 1.0
    if args.duration is None:
        args.duration = 1.5 if args.quick else 10.0
    if args.emails is None:
        args.emails = 500 if args.quick else 5000
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.print_table:
        print(report(json.loads(Path(args.print_table).read_text())))
        return 0
    if not shutil.which("wrk"):
        raise SystemExit("bench/run needs wrk (apt-get install wrk)")
    started = time.perf_counter()
    base_name = base_url().path.lstrip("/") or "portal"
    big_db, small_db = f"{base_name}_bench", f"{base_name}_bench_small"
    small_scale = round(args.scale / 100, 6)
    judged = not args.quick and args.scale >= 1.0
    log(f"scale {args.scale} (small {small_scale}), databases {big_db} / {small_db}")
    pages = [p for p in PAGES if not args.only or any(o in p[0] for o in args.only)]

    big_built = build(big_db, args.scale, args.reuse)
    small_built = build(small_db, small_scale, args.reuse, template=big_db)
    seeded = seed(big_built)
    small_seed = seed(small_built)
    manage(big_db, "collectstatic", "--noinput", "-v0")

    ids = {db: django_side(db, "prepare", *USERS.values()) for db in (big_db, small_db)}

    def page_specs(db: str) -> list[dict[str, Any]]:
        specs = []
        for label, who, path, method in pages:
            spec: dict[str, Any] = {
                "label": label,
                "user": USERS[who],
                "path": path.format(**ids[db]),
            }
            spec["method"] = method
            if method == "POST":
                spec["data"] = dict(ids[db]["wizard_legal"])
            specs.append(spec)
        return specs

    inprocess: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
        tmp = Path(tmp_name)
        budget, repeat_max = (0.3, 3) if args.quick else (2.0, 15)
        for db in (big_db, small_db):
            spec_file = tmp / f"{db}.json"
            spec_file.write_text(
                json.dumps({"pages": page_specs(db), "budget_s": budget, "repeat_max": repeat_max})
            )
            log(f"in-process queries and timings on {db}")
            inprocess[db] = django_side(
                db, "measure", str(spec_file), env=django_env(db, timeout=True)
            )
            for label, measured in inprocess[db].items():
                if measured.get("error"):
                    log(f"  {label}: {measured['error']}")

        results: dict[str, Any] = {
            "meta": {
                "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "commit": git_commit(),
                "scale": args.scale,
                "small_scale": small_scale,
                "quick": args.quick,
                "judged": judged,
                "wrk": f"{args.connections} connections, {args.duration:g} s per run",
                "cpus": os.cpu_count(),
                "load_average": [round(x, 2) for x in os.getloadavg()],
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
        redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
        serve_env = django_env(
            big_db,
            timeout=True,
            extra={
                "PORTAL_BENCH_CEILING": "1",
                "CACHE_URL": redis_url,
                "CACHE_KEY_PREFIX": f"bench-{run_id}",
                "CELERY_BROKER_URL": redis_url,
                "REDIS_URL": redis_url,
                "CELERY_TASK_DEFAULT_QUEUE": f"bench-{run_id}",
                "EMAIL_URL": f"smtp://127.0.0.1:{sink_port}",
                "SITE_URL": f"http://127.0.0.1:{port}",
                "LOG_LEVEL": "WARNING",
            },
        )
        gunicorn_log = tmp / "gunicorn.log"
        gunicorn = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "portal.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "30",
                "--error-logfile",
                str(gunicorn_log),
            ],
            cwd=ROOT,
            env=serve_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_http(port)
            web = Sampler(gunicorn.pid, children_only=True)
            web.start()
            secrets = ids[big_db]["totp_secrets"]
            sessions = {
                who: sign_in(
                    port,
                    email,
                    totp=lambda email=email: django_side(big_db, "totp", secrets[email])["code"],
                )
                for who, email in USERS.items()
            }
            log(f"gunicorn on :{port}; signed in as {', '.join(USERS.values())}")
            wizard_form = {
                **ids[big_db]["wizard_legal"],
                "csrfmiddlewaretoken": sessions["wizard"].cookies.get("csrftoken", ""),
            }
            script = post_script(tmp, wizard_form)
            web.phase("pages")
            for spec in page_specs(big_db):
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
                session = sessions[next(w for w, e in USERS.items() if e == spec["user"])]
                if spec["method"] == "POST":
                    status, _h, _b = session.request("POST", path, wizard_form)
                else:
                    status, _h, _b = session.request("GET", path)
                cookie = session.cookie_header()
                settle(web)
                ceiling = wrk(port, "/bench/ceiling/", cookie, args.duration, args.connections)
                settle(web)
                run = wrk(
                    port,
                    path,
                    cookie,
                    args.duration,
                    args.connections,
                    script if spec["method"] == "POST" else None,
                )
                waited = settle(web)
                row.update(
                    http_status=status,
                    **run,
                    ceiling_rps=ceiling["rps"],
                    ratio=run["rps"] / ceiling["rps"] if ceiling["rps"] else None,
                    drain_s=round(waited, 1),
                )
                log(
                    f"{label}: HTTP {status}, {run['rps']:.1f} req/s (ceiling "
                    f"{ceiling['rps']:.0f}), p50 {run['p50_ms']:.0f} ms, p99 "
                    f"{run['p99_ms']:.0f} ms, queries {large.get('queries')}/"
                    f"{small.get('queries')}"
                )
            rss: dict[str, Any] = {"web_pages_mb": web.peaks.get("pages")}

            if not args.no_csv:
                settle(web)
                web.phase("csv")
                csv_started = time.perf_counter()
                try:
                    status, _h, body = sessions["provider"].request(
                        "GET", "/customers/?format=csv", timeout=120
                    )
                    size = len(body)
                except (OSError, http.client.HTTPException) as exc:
                    status, size = 0, 0
                    log(f"CSV export failed: {exc}")
                seconds = time.perf_counter() - csv_started
                time.sleep(0.3)
                results["csv"] = {
                    "status": status,
                    "seconds": round(seconds, 2),
                    "bytes": size,
                    "complete": status == 200 and size > 0,
                }
                rss["web_csv_mb"] = web.peaks.get("csv")
                log(f"CSV export: HTTP {status}, {seconds:.1f} s, {size:,} bytes")
            web.stop.set()
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
            stop_process(gunicorn)
            stop_process(sink)
            if gunicorn_log.exists():
                errors = [
                    line
                    for line in gunicorn_log.read_text(errors="replace").splitlines()
                    if "Traceback" in line or "WORKER TIMEOUT" in line or "Error" in line
                ]
                if errors:
                    results.setdefault("server_errors", errors[:20])

    results["meta"]["total_s"] = round(time.perf_counter() - started, 1)
    results["meta"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    Path(args.output).write_text(json.dumps(results, indent=2, default=str) + "\n")
    print()
    print(report(results))
    print(f"\nWrote {args.output}")
    broken = [r["label"] for r in results["pages"] if r.get("http_status") not in (200, 302)]
    broken += [
        r["label"]
        for r in results["pages"]
        if inprocess[big_db].get(r["label"], {}).get("status") not in (200, 302)
    ]
    if broken:
        print(f"Pages that did not answer 200/302: {', '.join(sorted(set(broken)))}")
        return 1
    if "email" in results and not results["email"]["sent"]:
        print("No email was sent through the outbox.")
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
    worker_log = tmp / "celery-worker.log"
    worker = subprocess.Popen(
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
            f"bench-{run_id}@%h",
            "--logfile",
            str(worker_log),
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=serve_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
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
        if not wait_log(worker_log, "ready.", 60):
            log("the Celery worker did not report ready in 60 s; measuring anyway")
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
