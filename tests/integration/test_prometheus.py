"""A real Prometheus (Debian's package, on loopback) scrapes the portal as production runs it:
gunicorn with the production settings (two workers) and a Celery worker (prefork, two processes)
on Redis, sharing one PROMETHEUS_MULTIPROC_DIR as under `make prod`. After a page request, a task
and an email, one series of each kind must be there, with the values that must be right; the
alerting rules of deploy/prometheus/alerts.yml load and evaluate; a web worker that gunicorn
replaces leaves its counts in the totals."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from portal.celery import app as celery_app
from portal.outbox import outbox_enqueue
from portal.tasks import ops_heartbeat
from tests.integration.conftest import _database_url, _free_port, use_broker
from tests.load.web import COLLECTSTATIC, GUNICORN, web_env

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = "/usr/bin/prometheus"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
# Broker and cache of this test's processes (tests/integration uses 14; each run has its own
# queue and cache key prefix).
REDIS_URL = "redis://127.0.0.1:6379/13"

# Committed rows for the server processes; the migrations' rows restored after the flush (a flush
# without it re-creates the content types under new ids, and the next serialized test on this
# worker fails to load the old ones).
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def wait_until(check, timeout: float, step: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(step)


def _get(port: int, path: str, timeout: float = 5) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    except OSError:
        return 0, b""
    finally:
        conn.close()


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(*processes: subprocess.Popen) -> None:
    """SIGTERM to all at once, then wait; SIGKILL whatever is still running after 20 s."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class Prometheus:
    def __init__(self, port: int) -> None:
        self.port = port

    def query(self, expr: str) -> list[dict]:
        status, body = _get(self.port, "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        assert status == 200, f"{expr}: {status} {body[:300]!r}"
        answer = json.loads(body)
        assert answer["status"] == "success", answer
        return answer["data"]["result"]

    def value(self, expr: str) -> float | None:
        """The value of the single series `expr` selects, None while there is none."""
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def wait_for(self, expr: str, timeout: float = 60) -> float:
        found = wait_until(lambda: self.value(expr) is not None, timeout)
        assert found, f"Prometheus has no series for {expr} after {timeout} s"
        return self.value(expr)  # type: ignore[return-value]


def _scraped(port: int, name: str, **labels: str) -> float:
    """A sample's value in one scrape of the portal's /metrics (0 when absent)."""
    status, body = _get(port, "/metrics")
    assert status == 200
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return sample.value
    return 0.0


@pytest.fixture
def portal_stack(transactional_db, smtp_sink, tmp_path):
    """gunicorn + a Celery worker on Redis db 13 and the test database, one metrics directory."""
    if not Path(PROMETHEUS).exists():
        pytest.fail(f"{PROMETHEUS} is missing: apt-get install prometheus", pytrace=False)
    controller, sink = smtp_sink
    queue = f"prom-{uuid.uuid4().hex[:10]}"
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    base = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{controller.port}",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "PYTHONUNBUFFERED": "1",
    }
    worker_env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    port = _free_port()
    env = web_env(
        base,
        port=port,
        redis_url=REDIS_URL,
        queue=queue,
        workers=2,
        threads=2,
        STATIC_ROOT=str(tmp_path / "staticfiles"),
    )
    saved = {k: celery_app.conf[k] for k in ("task_always_eager", "task_default_queue")}
    saved_broker = os.environ.get("CELERY_BROKER_URL")
    processes: list[subprocess.Popen] = []
    logs: list[Path] = []

    def tail() -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-2500:]}" for log in logs)

    try:
        # The worker starts while the web process's static files are collected.
        logs.append(tmp_path / "worker.log")
        worker = _spawn(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--concurrency=2",
                "-Q",
                queue,
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{queue}@%h",
            ],
            worker_env,
            logs[-1],
        )
        processes.append(worker)
        collect = subprocess.run(
            COLLECTSTATIC, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )
        assert collect.returncode == 0, collect.stdout + collect.stderr
        logs.append(tmp_path / "web.log")
        web = _spawn(GUNICORN, env, logs[-1])
        processes.append(web)
        if not wait_until(lambda: "ready." in logs[0].read_text() or worker.poll(), 90):
            pytest.fail(f"the worker did not start:\n{tail()}")
        if not wait_until(lambda: _get(port, "/healthz")[0] == 200 or web.poll(), 90):
            pytest.fail(f"gunicorn did not start:\n{tail()}")
        assert worker.poll() is None and web.poll() is None, tail()
        # This process queues the task and the email on the stack's broker.
        celery_app.conf.update(task_always_eager=False, task_default_queue=queue)
        use_broker(REDIS_URL)
        yield port, sink, tail, web.pid, metrics_dir
    finally:
        _stop(*processes)
        celery_app.conf.update(saved)
        use_broker(saved_broker)


@pytest.fixture
def prometheus(portal_stack, tmp_path):
    port = portal_stack[0]
    prom_port = _free_port()
    config = tmp_path / "prometheus.yml"
    # JSON is YAML: the scrape of the portal every second, and the portal's alerting rules.
    config.write_text(
        json.dumps(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(ALERTS)],
                "scrape_configs": [
                    {
                        "job_name": "portal",
                        "metrics_path": "/metrics",
                        "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
                    }
                ],
            }
        )
    )
    log = tmp_path / "prometheus.log"
    process = _spawn(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        ],
        dict(os.environ),
        log,
    )
    try:
        if not wait_until(lambda: _get(prom_port, "/-/ready")[0] == 200 or process.poll(), 60):
            pytest.fail(f"Prometheus did not start:\n{log.read_text()[-3000:]}")
        assert process.poll() is None, log.read_text()[-3000:]
        yield Prometheus(prom_port)
    finally:
        _stop(process)


def test_prometheus_scrapes_every_kind_of_series_after_a_request_a_task_and_an_email(
    portal_stack, prometheus
):
    port, sink, tail, web_pid, metrics_dir = portal_stack

    # A request, a task, an email.
    status, _body = _get(port, "/accounts/login/")
    assert status == 200
    ops_heartbeat.delay()
    outbox_enqueue(
        key="prometheus-1",
        to="ops@northwind.example",
        template="test_message",
        context={"name": "Pat", "link": "http://x/"},
        language="en",
    )
    assert len(sink.wait_for(1, timeout=60)) == 1, tail()

    assert prometheus.wait_for('up{job="portal"}') == 1, tail()
    # The request, by URL name, with its database queries.
    login = '{view="account_login",method="GET",status="2xx"}'
    assert prometheus.wait_for(f"portal_http_request_duration_seconds_count{login}") >= 1
    assert prometheus.wait_for('portal_http_request_db_queries_count{view="account_login"}') >= 1
    # The tasks, observed in the worker's pool processes: the heartbeat and the email's.
    heartbeat = '{task="portal.tasks.ops_heartbeat"}'
    assert prometheus.wait_for(f"sum(portal_celery_task_duration_seconds_count{heartbeat})") >= 1
    assert prometheus.wait_for(f"portal_celery_task_queue_wait_seconds_count{heartbeat}") >= 1
    assert (
        prometheus.wait_for(
            'sum(portal_celery_task_duration_seconds_count{task=~"portal.tasks.outbox_.*",'
            'state="SUCCESS"})'
        )
        >= 1
    )
    assert prometheus.wait_for("portal_celery_queue_depth{queue=~'prom-.*'}") >= 0
    # The heartbeat the task recorded, and the operators' readings.
    assert 0 <= prometheus.wait_for('portal_heartbeat_age_seconds{process="worker"}') < 60
    assert prometheus.wait_for("portal_verification_cases_past_sla") == 0
    assert prometheus.wait_for("portal_bulk_invitation_batches_sending") == 0
    assert prometheus.wait_for("portal_delegated_sessions_active") == 0
    # The email went out: the backlog is back to 0.
    assert wait_until(lambda: prometheus.value("portal_outbox_backlog") == 0, 30), tail()
    assert prometheus.wait_for("portal_outbox_oldest_age_seconds") == 0
    assert prometheus.value("min(portal_metrics_source_up)") == 1

    # The alerting rules loaded, and each evaluates without error.
    status, body = _get(prometheus.port, "/api/v1/rules")
    groups = json.loads(body)["data"]["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(rules) == ALERTS.read_text().count("- alert:")
    assert wait_until(
        lambda: all(
            rule["health"] == "ok"
            for group in json.loads(_get(prometheus.port, "/api/v1/rules")[1])["data"]["groups"]
            for rule in group["rules"]
        ),
        15,
    )
    for rule in rules:
        prometheus.query(rule["query"])  # status "success"

    # Beat is not running here: its alert is active (pending its minute). With the worker's
    # heartbeat fresh and no case past its SLA, those alerts are not.
    def active() -> set[str]:
        answer = json.loads(_get(prometheus.port, "/api/v1/alerts")[1])
        return {alert["labels"]["alertname"] for alert in answer["data"]["alerts"]}

    quiet = {"PortalWorkerDown", "PortalVerificationPastSLA", "PortalDown"}
    assert wait_until(lambda: "PortalBeatDown" in active() and not active() & quiet, 15), active()

    # gunicorn replaces a worker (max_requests, a crash): its requests stay counted, its files
    # folded into the archive by the master's child_exit hook (portal/metrics_files.py).
    for _ in range(12):
        assert _get(port, "/accounts/login/")[0] == 200
    count = "portal_http_request_duration_seconds_count"
    before = _scraped(port, count, view="account_login")
    assert before == 13  # with the request above
    workers = psutil.Process(web_pid).children()
    victim = next(w for w in workers if (metrics_dir / f"histogram_{w.pid}.db").exists())

    victim.terminate()
    victim.wait(timeout=30)
    assert wait_until(
        lambda: (
            not (metrics_dir / f"histogram_{victim.pid}.db").exists()
            and len(psutil.Process(web_pid).children()) == len(workers)
        ),
        30,
    ), tail()
    assert (metrics_dir / "histogram_archive.db").exists()
    assert _scraped(port, count, view="account_login") == before
