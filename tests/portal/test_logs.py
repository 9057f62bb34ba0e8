"""Log lines an operator can search (portal/logs.py): with LOG_FORMAT=json each line is one JSON
object carrying the request id, and the tenant and user once someone is signed in; the id comes
back as X-Request-ID and on the 500 and 503 pages; a bad Host header is one warning line."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from portal.celery import app as celery_app
from portal.errors import OUTAGE
from portal.logs import logging_config

pytestmark = pytest.mark.django_db

HEADS = ("timestamp", "level", "logger", "message")


@pytest.fixture
def signed_in(reseller_admin, settings) -> Client:
    settings.ROOT_URLCONF = "tests.portal.urls_logging"
    client = Client(raise_request_exception=False)
    client.force_login(reseller_admin.user)
    return client


def test_a_signed_in_requests_lines_are_json_with_request_id_tenant_and_user(
    json_logs, signed_in, reseller_admin
):
    work = signed_in.get("/work/")  # a line logged in deep code
    missing = signed_in.get("/no-such-page/")  # Django's "Not Found", logged after the middleware
    assert work.status_code == 200 and missing.status_code == 404

    lines = json_logs.lines()
    assert [line["logger"] for line in lines] == ["portal.deep.service", "django.request"]
    for line, response in zip(lines, (work, missing), strict=True):
        assert all(line[head] for head in HEADS), line
        assert line["level"] == "WARNING"
        assert line["request_id"] == response["X-Request-ID"]
        assert line["tenant"] == reseller_admin.organization.pk
        assert line["user"] == reseller_admin.user.pk
        assert "delegated_by" not in line  # the member acts in its own organization
    assert work["X-Request-ID"] != missing["X-Request-ID"]
    assert lines[0]["message"].startswith("billing run for")
    assert lines[0]["timestamp"].endswith("+00:00")


def test_an_anonymous_requests_lines_carry_the_request_id_only(json_logs, client):
    response = client.get("/no-such-page/")
    (line,) = json_logs.lines()
    assert line["logger"] == "django.request" and line["message"] == "Not Found: /no-such-page/"
    assert line["request_id"] == response["X-Request-ID"]
    assert not {"tenant", "user", "delegated_by"} & set(line)


def test_a_line_logged_after_the_request_carries_no_id_of_it(json_logs, signed_in):
    signed_in.get("/work/")
    logging.getLogger("portal.later").warning("between requests")
    assert "request_id" not in json_logs.lines()[-1]


@pytest.mark.parametrize("sent", ["edge-7f3a.9_B", "a" * 64])
def test_a_sane_incoming_request_id_is_kept_and_returned(client, sent):
    assert client.get("/accounts/login/", headers={"X-Request-ID": sent})["X-Request-ID"] == sent


@pytest.mark.parametrize("sent", ["", "a" * 65, "two words", '"><script>', "line\nbreak", "é"])
def test_any_other_incoming_request_id_is_replaced_by_a_new_one(client, sent):
    returned = client.get("/accounts/login/", headers={"X-Request-ID": sent})["X-Request-ID"]
    assert returned != sent and len(returned) == 32 and returned.isalnum()


def test_every_answer_carries_a_request_id(client, signed_in):
    answers = [
        client.get("/"),  # a redirect to sign in
        client.post("/accounts/login/", {}),  # a form with errors
        signed_in.get("/fail/"),  # a server error
        client.get("/", headers={"Host": "evil.example"}),  # refused host
    ]
    assert [a.status_code for a in answers] == [302, 200, 500, 400]
    ids = [a["X-Request-ID"] for a in answers]
    assert len(set(ids)) == len(ids)


def test_the_500_page_shows_the_request_id_in_both_languages(json_logs, signed_in):
    response = signed_in.get("/fail/", headers={"X-Request-ID": "support-case-42"})
    assert response.status_code == 500
    assert response["X-Request-ID"] == "support-case-42"
    text = response.text
    assert 'data-testid="request-id">support-case-42</samp>' in text
    assert "support-case-42" in text.split("Reference (quote it if you contact support):")[1]
    assert "support-case-42" in text.split("Riferimento (indicalo se contatti l'assistenza):")[1]
    # Django's error line is one JSON object with the traceback inside and the same id.
    (error,) = [line for line in json_logs.lines() if line["logger"] == "django.request"]
    assert error["level"] == "ERROR" and error["request_id"] == "support-case-42"
    assert "RuntimeError" in error["exc_info"]


@pytest.mark.parametrize(
    ("language", "label"),
    [("en", "Reference (quote it if you contact support):"), ("it", "Riferimento (indicalo")],
)
def test_the_503_page_shows_the_request_id(signed_in, monkeypatch, language, label):
    def refused(*args, **kwargs):
        raise OperationalError("connection refused")

    OUTAGE.logged = False
    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refused)
    response = signed_in.get("/", headers={"X-Request-ID": "outage-7", "Accept-Language": language})
    monkeypatch.undo()
    OUTAGE.logged = False
    assert response.status_code == 503
    assert label in response.text
    assert 'data-testid="request-id">outage-7</samp>' in response.text


def test_a_bad_host_header_is_one_warning_line_without_a_traceback(json_logs, client):
    response = client.get("/accounts/login/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    text = json_logs.text()
    assert "Traceback" not in text
    (line,) = json_logs.lines()
    assert line["logger"] == "django.security.DisallowedHost"
    assert line["level"] == "WARNING"
    assert line["host"] == "evil.example"
    assert line["request_id"] == response["X-Request-ID"]
    assert "exc_info" not in line


def test_a_task_line_carries_the_task_name_and_id(json_logs):
    result = _log_probe.apply()
    (line,) = [line for line in json_logs.lines() if line["logger"] == "tests.log_probe"]
    assert line["task"] == "tests.portal.log_probe"
    assert line["task_id"] == result.id


@celery_app.task(name="tests.portal.log_probe")
def _log_probe() -> None:
    logging.getLogger("tests.log_probe").warning("probing")


def test_a_task_run_inside_another_logs_its_own_name_and_id(json_logs):
    # The worker ran verification_run_checks eagerly inside another task: the signal handler
    # raised on the name already bound, and the inner task's lines carried the outer's name.
    outer = _outer_probe.apply()
    probes = [line for line in json_logs.lines() if line["logger"] == "tests.log_probe"]
    assert [line["task"] for line in probes] == ["tests.portal.log_probe"]
    assert probes[0]["task_id"] != outer.id
    (after,) = [line for line in json_logs.lines() if line["logger"] == "tests.log_outer"]
    assert after["task"] == "tests.portal.outer_probe"
    assert after["task_id"] == outer.id


@celery_app.task(name="tests.portal.outer_probe")
def _outer_probe() -> None:
    _log_probe.apply()
    logging.getLogger("tests.log_outer").warning("after the inner task")


def test_the_console_format_is_readable_with_time_level_and_ids(console_logs, signed_in):
    response = signed_in.get("/work/")
    (line,) = console_logs.text().splitlines()
    assert line[:4].isdigit() and " WARNING " in line and "portal.deep.service: billing" in line
    assert f"request_id={response['X-Request-ID']}" in line and "tenant=" in line


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT"):
        logging_config("xml")
