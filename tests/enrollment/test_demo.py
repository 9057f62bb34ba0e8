import pytest

from devtools.demo import enrollment as demo
from devtools.demo import portal as portal_demo
from enrollment.models import AgreementAcceptance, EnrollmentDraft, PartnerId
from enrollment.selectors import agreement_accepted
from enrollment.wizard import draft_validate
from portal.models import Membership, Organization
from portal.selectors import organization_has_admin_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    portal_demo.seed()
    demo.seed()
    demo.seed()  # idempotent


def test_northwind_has_the_agreement_an_admin_agent_and_an_associated_italian_partner_id(seeded):
    northwind = Organization.objects.get(primary_domain="northwind-it.example")
    assert agreement_accepted(organization=northwind)
    assert AgreementAcceptance.objects.filter(organization=northwind).count() == 1
    assert organization_has_admin_agent(organization=northwind)
    assert Membership.objects.get(user__email="admin@northwind-it.example").admin_agent
    associated = PartnerId.objects.get(organization=northwind, is_associated=True)
    assert associated.country_id == "IT"


def test_litware_has_a_valid_half_done_draft_resuming_at_the_contact_step(seeded, client):
    draft = EnrollmentDraft.objects.get(user__email="admin@litware-solutions.example")
    assert draft.step == "contact"
    assert draft.organization.status == Organization.Status.DRAFT
    _fields, invalid_step = draft_validate(draft)
    assert invalid_step == "contact"  # legal is complete; contact is where it stopped
    client.force_login(draft.user)
    page = client.get("/enroll/reseller/welcome/").text
    assert 'href="/enroll/reseller/contact/"' in page
