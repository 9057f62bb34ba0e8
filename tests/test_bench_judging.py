"""bench/run's judging (bench/main.py), the parts that decide what an operator reads in its
table: which run a page's p99 is judged on, when an export counts as complete, how a background
export's form is found, and which gunicorn settings the bench serves the portal with."""

from __future__ import annotations

import pytest

from bench.main import (
    EXPORT_DOWNLOAD,
    EXPORT_RUNNING,
    TARGETS,
    WebConfig,
    deployed_config,
    download_figures,
    export_broken,
    export_ok,
    least_disturbed,
    page_verdicts,
    post_form,
)

CSV = {"Content-Type": "text/csv; charset=utf-8"}


def page_row(**fields):
    row = {
        "queries_1x": 6,
        "queries_small": 6,
        "time_ratio": 1.1,
        "ratio": 0.4,
        "high_p99_ms": 900.0,
        "low_p99_ms": 120.0,
    }
    row.update(fields)
    return row


def test_p99_is_judged_at_the_low_connection_count_not_under_queueing():
    verdicts = page_verdicts(page_row())
    assert verdicts["p99"] is True  # 900 ms at 8 connections is queueing: reported only
    assert page_verdicts(page_row(low_p99_ms=151.0))["p99"] is False


def test_a_page_under_a_quarter_of_the_ceiling_or_growing_with_the_data_misses():
    assert TARGETS["ratio"] == 0.25
    assert page_verdicts(page_row(ratio=0.24))["ratio"] is False
    assert page_verdicts(page_row(queries_1x=11, queries_small=10))["queries"] is False
    assert page_verdicts(page_row(queries_1x=7, queries_small=6))["flat"] is False
    assert page_verdicts(page_row(time_ratio=1.6))["time"] is False
    assert all(page_verdicts(page_row()).values())


def test_a_page_that_was_not_measured_is_not_judged():
    verdicts = page_verdicts(page_row(ratio=None, low_p99_ms=float("nan")))
    assert verdicts["ratio"] is None and verdicts["p99"] is None


def test_a_streamed_export_cut_off_with_a_200_is_never_complete():
    # Cut off by the worker timeout at a line boundary: it looks whole, it is not.
    cut = download_figures(200, CSV, b"id,name\n1,a\n", truncated=True)
    assert cut["complete"] is False
    assert export_ok({"mode": "stream", "seconds": 1.0, **cut}) is False
    whole = download_figures(200, CSV, b"id,name\n1,a\n2,b\n", truncated=False)
    assert whole["complete"] is True and whole["rows"] == 2
    assert export_ok({"mode": "stream", "seconds": 1.0, **whole}) is True


def test_a_truncated_or_failed_export_makes_the_run_fail():
    whole = download_figures(200, CSV, b"id\n1\n", truncated=False)
    assert export_broken({"mode": "stream", "seconds": 1.0, **whole}) is False
    cut = download_figures(200, CSV, b"id\n1\n", truncated=True)
    assert export_broken({"mode": "stream", "seconds": 1.0, **cut}) is True
    assert export_broken({"mode": "background", "status": 200, "error": "failed"}) is True


def test_an_export_page_is_polled_until_its_progress_stops_then_its_file_is_fetched():
    running = (
        b'<div id="export-progress" data-hx-get="/exports/7/?fragment=progress" '
        b'data-hx-trigger="every 2s" data-hx-swap="outerHTML"><progress max="100" value="40">'
    )
    done = (
        b'<div id="export-progress"><p>The file is ready: 200,000 rows.</p>'
        b'<a class="btn btn-primary" href="/exports/7/download/">Download the CSV file</a>'
    )
    assert EXPORT_RUNNING.search(running) and not EXPORT_DOWNLOAD.search(running)
    assert not EXPORT_RUNNING.search(done)
    found = EXPORT_DOWNLOAD.search(done)
    assert found and found.group(1) == b"/exports/7/download/"


def test_a_slow_stream_misses_where_a_background_export_passes():
    whole = download_figures(200, CSV, b"id\n1\n", truncated=False)
    assert export_ok({"mode": "stream", "seconds": 5.1, **whole}) is False
    assert export_ok({"mode": "background", "seconds": 40.0, **whole}) is True


def test_an_html_answer_is_not_an_export_file():
    page = download_figures(200, {"Content-Type": "text/html"}, b"<p>done</p>\n", False)
    assert page["complete"] is False


def test_the_background_export_form_is_the_post_form_with_its_hidden_fields():
    body = (
        # The layout's forms come first: the language, signing out.
        b'<form class="d-flex" action="/i18n/setlang/" method="post">'
        b'<input type="hidden" name="language" value="it"></form>'
        b'<form method="post" action="/accounts/logout/">'
        b'<input type="hidden" name="csrfmiddlewaretoken" value="tok&amp;en"></form>'
        b'<form method="get" action="/customers/"><input name="q" value="x"></form>'
        b'<form method="post" action="/exports/?kind=customers">'
        b'<input type="hidden" name="csrfmiddlewaretoken" value="tok&amp;en">'
        b'<input type="hidden" name="kind" value="customers">'
        b'<input type="text" name="note" value="ignored">'
        b'<button type="submit">Prepare the export</button></form>'
    )
    form = post_form(body)
    assert form is not None
    action, fields = form
    assert action == "/exports/?kind=customers"
    assert fields == {"csrfmiddlewaretoken": "tok&en", "kind": "customers"}
    assert post_form(body.split(b'<form method="get"')[0]) is None  # no export form: streamed


def test_the_bench_serves_the_portal_as_deploy_gunicorn_conf_says(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    monkeypatch.setenv("GUNICORN_THREADS", "2")
    config = deployed_config()
    assert (config.workers, config.threads) == (5, 2)


@pytest.mark.parametrize(
    ("text", "label"),
    [("sync:2", "sync:2"), ("gthread:2x4", "gthread:2x4"), ("gthread:3", "gthread:3x1")],
)
def test_web_configurations_read_as_written(text, label):
    assert WebConfig.parse(text).label == label


def test_sync_workers_with_threads_are_refused():
    with pytest.raises(Exception, match="one thread"):
        WebConfig.parse("sync:2x4")


def test_each_page_keeps_its_least_disturbed_rounds_time():
    """In-process rounds alternate between the databases; per page the lower median counts, and
    a page that failed in every round keeps its error rather than vanishing from the table."""
    first = {"a": {"ms": 12.0, "queries": 5}, "b": {"ms": 7.0}, "c": {"error": "timeout"}}
    second = {"a": {"ms": 9.5, "queries": 5}, "b": {"ms": 8.0}, "c": {"error": "timeout again"}}
    kept = least_disturbed([first, second])
    assert kept["a"]["ms"] == 9.5 and kept["b"]["ms"] == 7.0
    assert kept["c"] == {"error": "timeout"}
    assert least_disturbed([{"d": {"error": "x"}}, {"d": {"ms": 3.0}}])["d"] == {"ms": 3.0}
