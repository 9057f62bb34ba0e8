"""schemathesis, a client nobody here wrote, against the served schema on a live server: every
operation, positive and negative cases, every check, a fixed seed and a small budget."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

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
# A schema-valid write that a rule refuses is no failure: a missing or stale If-Match (428,
# 412), a service's refusal or a reused Idempotency-Key (422), a key still running (409). Each
# is a documented response of its operation (status_code_conformance still checks that). The
# invitation POSTs send through the pages' services, whose refusals no schema can express (an
# address already invited, one of the provider's own resellers, a provider that is not the
# reseller's): a schema-valid body may get their 400 with the field named.
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "428", "429"]

[checks.missing_required_header]
expected-statuses = ["400", "401", "403", "406", "415", "422", "428"]

[[operations]]
include-operation-id = ["reseller_invitations_create", "customer_invitations_create"]
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "400", "401", "403", "404", "409", "422", "429"
]
"""


# The operations that exist for a reseller only: a provider's client gets their 404, so a
# reseller's client runs them again.
RESELLER_OPERATIONS = [
    "indirect_providers_list",
    "customer_invitations_list",
    "customer_invitations_create",
    "verification_retrieve",
]


def _run(url: str, token: str, tmp_path: Path, *extra: str) -> str:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            f"{url}/api/v1/openapi.json",
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
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,  # its own cache folder (.schemathesis/) lands there, not in the checkout
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    # No failure: "No issues found", or every case passed beside a warning (the writes reject
    # most random ids: a 404 or a rule's 422, which schemathesis calls a validation mismatch).
    counts = re.search(r"(\d+) generated, (\d+) passed", output)
    assert "No issues found" in output or (counts and counts[1] == counts[2]), output[-3000:]
    return output


def test_schemathesis_finds_no_failure(live_server, settings, tmp_path):
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "api_client": "100000/m"}
    provider = provider_org()
    pair = ProviderRelationshipFactory(provider=provider)
    for _n in range(3):
        subscription(CustomerRelationshipFactory(relationship=pair))
    provider_client = api_client_of(admin_of(provider), ["global_admin", "admin_agent"])
    output = _run(live_server.url, token_response(provider_client).json()["access_token"], tmp_path)
    # Every operation of the served schema tested (coverage, fuzzing, stateful), no failure.
    schema = Client().get("/api/v1/openapi.json").json()
    operations = sum(len(ops) for ops in schema["paths"].values())
    assert operations >= 19
    assert f"Tested: {operations}" in output, output[-3000:]
    reseller_client = api_client_of(admin_of(pair.reseller), ["global_admin", "admin_agent"])
    include = [arg for op in RESELLER_OPERATIONS for arg in ("--include-operation-id", op)]
    output = _run(
        live_server.url,
        token_response(reseller_client).json()["access_token"],
        tmp_path,
        *include,
    )
    assert f"Tested: {len(RESELLER_OPERATIONS)}" in output, output[-3000:]
