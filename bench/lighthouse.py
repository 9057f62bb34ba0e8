"""bench/lighthouse: Lighthouse (mobile) on four pages of the demo under production settings.

    bench/lighthouse [--runs N] [--reuse] [--only LABEL...]

1. A PostgreSQL database of its own ("<name of $DATABASE_URL's>_lighthouse"), rebuilt (kept with
   --reuse): migrate, `seed_demo`; `collectstatic` (hashed, compressed files, as in production).
2. gunicorn, production settings over local HTTP (PORTAL_LOCAL_HTTP=1, as `make prod`), static
   files served by WhiteNoise; the demo's password-only sign-in (PORTAL_REQUIRE_MFA=0, as
   `make run`), each user signed in through the real login page.
3. Lighthouse from the npm registry (package-lock.json; `make install`) on Debian's chromium
   (CHROME_PATH; nothing downloads a browser), mobile form factor with its default simulated
   throttling, the session cookie passed with --extra-headers. Each page is measured `--runs`
   times (default 3) and the median performance score kept.
4. Prints the table, writes bench/lighthouse.json; each run's full report is kept in
   var/lighthouse/ (open it with Lighthouse's viewer for the details).

Targets (issue 14): performance >= 95, accessibility 100, best practices 100."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.main import (
    BIN,
    ROOT,
    Http,
    base_url,
    db_exists,
    django_env,
    free_port,
    log,
    manage,
    recreate_db,
    sign_in,
    stop_process,
)

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
RESULTS = ROOT / "bench" / "lighthouse.json"
REPORTS = ROOT / "var" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100}
# label, user, path
PAGES = [
    ("Dashboard", "admin@northwind-it.example", "/dashboard/"),
    ("Enrolment wizard", "admin@litware-solutions.example", "/enroll/reseller/legal/"),
    ("Review queue", "reviewer@csp-operator.example", "/review/"),
    ("Indirect resellers", "admin@contoso-distribution.example", "/indirect-resellers/"),
]


def slug(label: str) -> str:
    return label.lower().replace(" ", "-")


def chromium() -> str:
    path = os.environ.get("CHROME_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    return path


def wait_healthy(port: int, limit_s: float = 60) -> None:
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        try:
            status, _h, _b = Http(port).request("GET", "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer on /healthz")


def lighthouse(url: str, cookie: str, out: Path) -> dict[str, Any]:
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        f"--extra-headers={json.dumps({'Cookie': cookie})}",
    ]
    env = {**os.environ, "CHROME_PATH": chromium()}
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not out.exists():
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"lighthouse failed on {url}")
    report = json.loads(out.read_text())
    if report.get("runtimeError"):
        raise SystemExit(f"lighthouse: {report['runtimeError']}")
    scores = {name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES}
    problems = []
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref.get("weight", 0) and audit.get("score") is not None and audit["score"] < 0.9:
                problems.append(f"{name}: {audit['id']} ({audit.get('displayValue', '')})".strip())
    metrics = {
        key: report["audits"][key].get("displayValue")
        for key in ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time")
    }
    return {"scores": scores, "metrics": metrics, "problems": problems}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per page (median kept)")
    parser.add_argument("--reuse", action="store_true", help="keep the database if it exists")
    parser.add_argument("--only", nargs="*", default=[], help="pages whose label contains ...")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"{LIGHTHOUSE} is missing: run `make install` (npm ci)")

    database = f"{base_url().path.lstrip('/')}_lighthouse"
    port = free_port()
    REPORTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as tmp_dir:
        tmp = Path(tmp_dir)
        env = django_env(
            database,
            {
                "PORTAL_LOCAL_HTTP": "1",
                "PORTAL_REQUIRE_MFA": "0",
                "SITE_URL": f"http://127.0.0.1:{port}",
                "EMAIL_URL": "consolemail://",
                # Emails of the demo go nowhere: tasks run in process, on a queue of its own.
                "CELERY_TASK_ALWAYS_EAGER": "1",
                "CELERY_TASK_DEFAULT_QUEUE": f"lighthouse-{os.getpid()}",
                "LOG_LEVEL": "WARNING",
            },
        )
        log(f"database {database}: migrate, seed_demo, collectstatic")
        if not (args.reuse and db_exists(database)):
            recreate_db(database)
            manage(database, "migrate", "--noinput", env=env)
            manage(database, "seed_demo", env=env)
        manage(database, "collectstatic", "--noinput", "-v0", env=env)
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "portal.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--error-logfile",
                str(tmp / "gunicorn.log"),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        rows = []
        try:
            wait_healthy(port)
            for label, email, path in PAGES:
                if args.only and not any(part.lower() in label.lower() for part in args.only):
                    continue
                cookie = sign_in(port, email).cookie_header()
                runs = [
                    lighthouse(
                        f"http://127.0.0.1:{port}{path}",
                        cookie,
                        REPORTS / f"{slug(label)}-{i}.json",
                    )
                    for i in range(args.runs)
                ]
                runs.sort(key=lambda run: run["scores"]["performance"])
                median = runs[len(runs) // 2]
                performance = [run["scores"]["performance"] for run in runs]
                rows.append(
                    {
                        "page": label,
                        "path": path,
                        "user": email,
                        **median["scores"],
                        "performance_runs": performance,
                        "metrics": median["metrics"],
                        "problems": median["problems"],
                    }
                )
                log(f"{label}: {median['scores']} (performance runs {performance})")
        finally:
            stop_process(server)
    print(table(rows))
    if args.only:
        return  # a partial run leaves bench/lighthouse.json as it was
    RESULTS.write_text(
        json.dumps(
            {
                "lighthouse": _version(),
                "form_factor": "mobile (simulated throttling)",
                "runs_per_page": args.runs,
                "targets": TARGETS,
                "pages": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nWritten: {RESULTS.relative_to(ROOT)}")


def _version() -> str:
    result = subprocess.run([str(LIGHTHOUSE), "--version"], capture_output=True, text=True)
    return result.stdout.strip()


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| page | performance | accessibility | best practices | LCP | TBT |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        metrics = row["metrics"]
        lines.append(
            f"| {row['page']} (`{row['path']}`) | {row['performance']} | {row['accessibility']} "
            f"| {row['best-practices']} | {metrics['largest-contentful-paint']} "
            f"| {metrics['total-blocking-time']} |"
        )
    lines.append(
        f"| target | ≥ {TARGETS['performance']} | {TARGETS['accessibility']} "
        f"| {TARGETS['best-practices']} | | |"
    )
    for row in rows:
        for problem in row["problems"]:
            lines.append(f"\n{row['page']}: {problem}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
