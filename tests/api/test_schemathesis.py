"""schemathesis, a client nobody here wrote, against the served schema on a live server: every
operation, positive and negative cases, every check, a fixed seed and a small budget."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.factories import admin_of, api_client_of, token_response
from tests.commerce.billing_factories import subscription
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    provider_org,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
SEED = 24
MAX_EXAMPLES = 10


def test_schemathesis_finds_no_failure(live_server, settings, tmp_path):
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "api_client": "100000/m"}
    provider = provider_org()
    pair = ProviderRelationshipFactory(provider=provider)
    for _n in range(3):
        subscription(CustomerRelationshipFactory(relationship=pair))
    created = api_client_of(admin_of(provider), ["admin_agent"])
    token = token_response(created).json()["access_token"]
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{live_server.url}/api/v1/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "all",
            "--mode",
            "all",
            "--seed",
            str(SEED),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--generation-database",
            "none",
            "--workers",
            "1",
            "--no-color",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,  # its own cache folder (.schemathesis/) lands there, not in the checkout
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    # Every operation tested (the coverage, fuzzing and stateful phases), no failure.
    assert "Tested: 5" in output and "No issues found" in output, output[-3000:]
