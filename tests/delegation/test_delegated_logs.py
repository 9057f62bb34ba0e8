"""While a partner's agent administers a customer on its behalf, the request's log lines name the
customer as the tenant and the partner as `delegated_by` (portal/logs.py)."""

from __future__ import annotations

import pytest

from portal.models import DelegatedRole

from .gdap_factories import gdap_setup
from .test_gdap_roles import acting_for

pytestmark = pytest.mark.django_db


def test_a_delegated_requests_lines_name_the_customer_and_the_partner(json_logs):
    g = gdap_setup()
    g.approved([DelegatedRole.USER_ADMINISTRATOR])
    client = acting_for(g)
    client.get("/")  # enters the customer's account

    response = client.get("/no-such-page/")  # Django's "Not Found" line

    assert response.status_code == 404
    (line,) = [line for line in json_logs.lines() if line["message"] == "Not Found: /no-such-page/"]
    assert line["request_id"] == response["X-Request-ID"]
    assert line["tenant"] == g.customer.pk
    assert line["user"] == g.agent.user.pk
    assert line["delegated_by"] == g.provider.pk
