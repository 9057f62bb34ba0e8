"""bench/run's ceiling view exists only when PORTAL_BENCH_CEILING is on (never in a deployment
that did not ask for it)."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_bench_ceiling_is_not_mounted_by_default(client):
    assert client.get("/bench/ceiling/").status_code == 404
