"""allauth's account pages in the portal's templates."""

import pytest

from tests.factories import member

pytestmark = pytest.mark.django_db


def test_a_refused_address_on_the_email_page_is_summed_up_once(client_for):
    """The page holds two forms built on the same add-address form (the list and the add):
    its errors once, not a second summary with the same ids (DuplicateIdMiddleware: a 500)."""
    response = client_for(member()).post(
        "/accounts/email/", {"action_add": "", "email": "../../etc/passwd"}
    )
    assert response.status_code == 200
    assert response.text.count('id="error-summary"') == 1
    assert "Enter a valid email address." in response.text
