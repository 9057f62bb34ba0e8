"""GET /metrics (portal/metrics.py): who may read it, what it holds, how requests are labelled.
The real Prometheus scraping a production stack is tests/integration/test_prometheus.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from portal.operations import WORKER, record_heartbeat
from portal.outbox import outbox_enqueue

pytestmark = pytest.mark.django_db

OUTSIDER = "203.0.113.7"


def scrape(client, **extra) -> dict[str, list]:
    """The samples of each metric family of one scrape, by family name."""
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content[:300]
    families = text_string_to_metric_families(response.content.decode())
    return {family.name: family.samples for family in families}


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()


def value(samples, name: str, **labels) -> float:
    """The value of the sample `name` whose labels include `labels` (0 when there is none)."""
    for sample in samples:
        if sample.name == name and labels.items() <= sample.labels.items():
            return sample.value
    return 0.0


def test_metrics_are_a_404_page_for_a_client_outside_the_allowed_networks(client):
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDER)
    assert response.status_code == 404
    assert b"portal_" not in response.content
    # The same page as for an address that does not exist.
    missing = client.get("/no-such-page", REMOTE_ADDR=OUTSIDER)
    assert title(response) == title(missing)


def test_metrics_refuse_loopback_when_the_request_came_through_a_proxy(client):
    """A reverse proxy on the same machine connects from 127.0.0.1 for anyone on the Internet."""
    response = client.get("/metrics", HTTP_X_FORWARDED_FOR=OUTSIDER)
    assert response.status_code == 404


def test_metrics_let_in_an_allowed_network_and_a_client_with_the_token(client, settings):
    settings.PORTAL_METRICS_ALLOWED_NETS = ["10.1.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics").status_code == 404  # loopback is no longer listed

    settings.PORTAL_METRICS_TOKEN = "scrape-me-7f3a"
    bearer = {"REMOTE_ADDR": OUTSIDER, "HTTP_X_FORWARDED_FOR": OUTSIDER}
    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me-7f3a", **bearer).status_code
        == 200
    )
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **bearer).status_code == 404
    assert client.get("/metrics", **bearer).status_code == 404


def test_metrics_hold_the_operators_gauges_and_set_no_cookie(client):
    outbox_enqueue(
        key="metrics-1",
        to="p@northwind.example",
        template="test_message",
        context={"name": "Pat", "link": "http://x/"},
        language="en",
    )
    record_heartbeat(WORKER)

    response = client.get("/metrics")
    assert response.status_code == 200
    assert not response.cookies
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"].startswith("text/plain; version=")
    families = scrape(client)

    assert value(families["portal_outbox_backlog"], "portal_outbox_backlog") == 1
    assert "portal_outbox_oldest_age_seconds" in families
    assert value(families["portal_outbox_failing"], "portal_outbox_failing") == 0
    assert (
        0
        <= value(
            families["portal_heartbeat_age_seconds"], "portal_heartbeat_age_seconds", process=WORKER
        )
        < 60
    )
    # Beat never beat here: its series is absent, which the "worker down" alert also catches.
    assert not [
        s for s in families["portal_heartbeat_age_seconds"] if s.labels["process"] == "beat"
    ]
    for name in (
        "portal_celery_queue_depth",
        "portal_http_server_errors_recent",
        "portal_delegated_sessions_active",
        # The feature apps' readings.
        "portal_verification_cases_past_sla",
        "portal_bulk_invitation_batches_sending",
    ):
        assert name in families, name
    up = families["portal_metrics_source_up"]
    assert {s.labels["source"] for s in up if s.value == 1} >= {
        "heartbeats",
        "outbox",
        "broker",
        "verification_cases_past_sla",
    }


def test_an_unreachable_broker_leaves_out_the_queue_depth_and_the_rest_answers(
    client, settings, monkeypatch
):
    from portal.celery import app

    # Celery reads CELERY_BROKER_URL from the environment before its configuration (CI sets it).
    unreachable = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    saved = app.conf.broker_url
    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)
    app.conf.broker_url = unreachable
    try:
        families = scrape(client)
    finally:
        app.conf.broker_url = saved
    assert "portal_celery_queue_depth" not in families
    assert (
        value(families["portal_metrics_source_up"], "portal_metrics_source_up", source="broker")
        == 0
    )
    assert (
        value(families["portal_metrics_source_up"], "portal_metrics_source_up", source="outbox")
        == 1
    )
    assert "portal_outbox_backlog" in families


def test_requests_are_labelled_by_url_name_with_their_query_count(client, reseller_admin):
    client.force_login(reseller_admin.user)
    before = scrape(client)
    durations = "portal_http_request_duration_seconds"
    queries = "portal_http_request_db_queries"
    labels = {"view": "portal:dashboard", "method": "GET", "status": "2xx"}

    made: list[str] = []

    def note(execute, sql, params, many, context):
        made.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        assert client.get("/dashboard/").status_code == 200
    assert made
    client.get("/no-such-page")
    after = scrape(client)

    assert value(after[durations], f"{durations}_count", **labels) == (
        value(before[durations], f"{durations}_count", **labels) + 1
    )
    assert value(after[queries], f"{queries}_sum", view="portal:dashboard") == (
        value(before[queries], f"{queries}_sum", view="portal:dashboard") + len(made)
    )
    unresolved = {"view": "<unresolved>", "status": "4xx"}
    assert value(after[durations], f"{durations}_count", **unresolved) == (
        value(before[durations], f"{durations}_count", **unresolved) + 1
    )
    # Never a raw path as a label: the number of series does not grow with the URLs requested.
    views = {s.labels.get("view") for s in after[durations]}
    assert not any(view.startswith("/") for view in views if view)


def test_the_readme_shows_every_alert_of_the_rules_file():
    """Operators copy the alerts from the README or load deploy/prometheus/alerts.yml; the real
    Prometheus test evaluates the file, so the README must show the same expressions."""
    root = Path(__file__).resolve().parents[2]
    rules = re.findall(
        r"- alert: (\S+)\n\s+expr: (.+)\n", (root / "deploy/prometheus/alerts.yml").read_text()
    )
    readme = (root / "README.md").read_text()
    assert len(rules) >= 5
    for name, expr in rules:
        assert f"| {name} | `{expr}` |" in readme, name


def test_an_ended_process_counts_are_kept_in_the_archive_and_its_files_removed(tmp_path):
    """gunicorn replaces a worker every couple of thousand requests: its counts must stay in the
    totals (a counter that drops looks like a reset) while its files go."""
    from prometheus_client.mmap_dict import MmapedDict, mmap_key

    from portal.metrics_files import retire_process, tolerant_multiprocess_collector

    def write(pid: int, view: str, count: float) -> None:
        values = MmapedDict(str(tmp_path / f"histogram_{pid}.db"))
        name = "portal_http_request_db_queries"
        values.write_value(mmap_key(name, f"{name}_sum", ["view"], [view], "q"), count, 0)
        values.close()

    def totals() -> dict[str, float]:
        metrics = tolerant_multiprocess_collector(str(tmp_path)).collect()
        samples = [s for m in metrics for s in m.samples]
        return {s.labels["view"]: s.value for s in samples}

    write(101, "a", 3)
    write(102, "a", 4)
    write(102, "b", 5)
    retire_process(101, str(tmp_path))
    write(103, "a", 1)  # a later worker
    retire_process(103, str(tmp_path))

    assert totals() == {"a": 8, "b": 5}
    assert sorted(p.name for p in tmp_path.glob("*.db")) == [
        "histogram_102.db",
        "histogram_archive.db",
    ]
