"""`manage.py ops_check`: the healthcheck compose runs in the worker and beat containers."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from portal.models import Heartbeat
from portal.operations import BEAT, WORKER, record_heartbeat

pytestmark = pytest.mark.django_db


def test_fresh_heartbeats_pass(capsys):
    record_heartbeat(WORKER)
    record_heartbeat(BEAT)
    call_command("ops_check", "--worker", "--beat")
    out = capsys.readouterr().out
    assert "worker: last heartbeat 0 s ago" in out
    assert "beat: last heartbeat 0 s ago" in out


def test_a_stale_or_missing_heartbeat_fails_naming_the_process():
    record_heartbeat(WORKER, now=timezone.now() - timedelta(seconds=90))
    record_heartbeat(BEAT)
    with pytest.raises(CommandError, match=r"^worker: last heartbeat 90 s ago \(limit 60 s\)$"):
        call_command("ops_check", "--worker")
    call_command("ops_check", "--beat")  # only what was asked is checked
    Heartbeat.objects.filter(name=BEAT).delete()
    with pytest.raises(CommandError, match=r"^beat: no heartbeat yet$"):
        call_command("ops_check", "--beat")


def test_ops_check_needs_a_process_kind():
    with pytest.raises(CommandError, match="--worker, --beat"):
        call_command("ops_check")
