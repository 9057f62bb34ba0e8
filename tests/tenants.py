"""Whole tenant families for the fuzz and isolation suites: a provider, a reseller working with
it, a customer shared by both (with a subscription), pending invitations of each kind, a reseller in
verification (case, contact link, document, outbox message) and an operator with a reviewer.
Every organization has a member in every role it can hold, and every name and address carries
the family's tag, so a page can be searched for another family's data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from api.services import api_client_create
from delegation.models import GDAP_REQUEST_VALIDITY, AdminAccess, GdapRelationship
from enrollment.models import LegacyMembershipAccount, LegalProfile, PartnerId
from portal.export_services import export_run
from portal.models import (
    Export,
    Market,
    Membership,
    Notification,
    Organization,
    OutboxMessage,
    Role,
)
from relationships.models import (
    BulkInvitationBatch,
    BulkInvitationRow,
    CustomerRelationship,
    ProviderRelationship,
)
from tests.commerce.factories import subscription_for
from tests.factories import OrganizationFactory, member
from tests.relationships.factories import (
    CustomerInvitationFactory,
    ResellerInvitationFactory,
    accept_agreement,
    provider_org,
    reseller_org,
)
from verification.models import Document, VerificationCase
from verification.services.contact import contact_link_issue
from webhooks.models import WebhookEndpoint

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PARTNER_ROLES = [r for r in Role if r != Role.VERIFICATION_ADMIN]


@dataclass
class Family:
    tag: str
    provider: Organization
    reseller: Organization
    customer: Organization
    applicant: Organization  # a reseller in verification
    operator: Organization
    members: dict[str, dict[str, Membership]] = field(default_factory=dict)  # org key -> role
    objects: dict[str, object] = field(default_factory=dict)
    markers: list[str] = field(default_factory=list)  # strings only this family's pages show

    def orgs(self) -> dict[str, Organization]:
        return {
            "provider": self.provider,
            "reseller": self.reseller,
            "customer": self.customer,
            "applicant": self.applicant,
            "operator": self.operator,
        }


def _org_members(org: Organization, tag: str, key: str) -> dict[str, Membership]:
    roles = [Role.VERIFICATION_ADMIN] if key == "operator" else PARTNER_ROLES
    found = {}
    for role in roles:
        found[role.value] = member(org, **{role.value: True})
    return found


def build_family(tag: str) -> Family:
    """`tag` is a short lower-case word (it goes into domains)."""
    word = tag.capitalize()
    provider = provider_org(
        legal_name=f"{word}prov Distribution", primary_domain=f"{tag}prov.example"
    )
    reseller = reseller_org(legal_name=f"{word}resell IT", primary_domain=f"{tag}resell.example")
    customer = OrganizationFactory(
        kind=Organization.Kind.CUSTOMER,
        legal_name=f"{word}cust Retail",
        primary_domain=f"{tag}cust.example",
    )
    applicant = OrganizationFactory(
        kind=Organization.Kind.RESELLER,
        status=Organization.Status.SUBMITTED,
        legal_name=f"{word}appl Cloud",
        primary_domain=f"{tag}appl.example",
    )
    operator = OrganizationFactory(
        kind=Organization.Kind.OPERATOR,
        legal_name=f"{word}oper Programme",
        primary_domain=f"{tag}oper.example",
    )
    family = Family(tag, provider, reseller, customer, applicant, operator)
    for key, org in family.orgs().items():
        family.members[key] = _org_members(org, tag, key)
    accept_agreement(provider)

    italy = Market.objects.get(code="IT")
    relationship = ProviderRelationship.objects.create(
        provider=provider,
        reseller=reseller,
        admin_access=True,
        authorized_by=family.members["reseller"]["global_admin"].user,
        authorized_at=timezone.now(),
    )
    shared = CustomerRelationship.objects.create(
        customer=customer,
        reseller=reseller,
        provider=provider,
        accepted_by=family.members["customer"]["global_admin"].user,
    )
    subscription = subscription_for(shared, quantity=7)
    # The reseller's invoice to the customer (October 2026), with its one charge line.
    from invoicing.models import Tier
    from tests.invoicing.factories import charge, invoice

    charge(subscription, tier=Tier.RESELLER, amount="70.00", quantity="7", unit_price="10.00")
    invoice_ = invoice(reseller, customer, tier=Tier.RESELLER)
    admin_access = AdminAccess.objects.create(
        customer=customer, partner=provider, reseller=reseller
    )
    AdminAccess.objects.create(customer=customer, partner=reseller, reseller=reseller)
    reseller_invitation = ResellerInvitationFactory(
        organization=provider,
        invited_by=family.members["provider"]["global_admin"].user,
        email=f"boss@{tag}invitee.example",
    )
    customer_invitation = CustomerInvitationFactory(
        organization=reseller,
        provider=provider,
        invited_by=family.members["reseller"]["global_admin"].user,
        email=f"owner@{tag}newcust.example",
        company_name=f"{word}newcust S.p.A.",
    )
    # Addressed to the family's own reseller and customer: their inboxes.
    inbox_invitation = ResellerInvitationFactory(
        organization=provider,
        invited_by=family.members["provider"]["global_admin"].user,
        email=f"boss@{tag}resell.example",
    )
    CustomerInvitationFactory(
        organization=reseller,
        provider=provider,
        invited_by=family.members["reseller"]["global_admin"].user,
        email=f"it@{tag}cust.example",
        company_name=f"{word}cust Retail",
    )
    bulk_batch = BulkInvitationBatch.objects.create(
        organization=provider,
        kind=BulkInvitationBatch.Kind.RESELLER,
        created_by=family.members["provider"]["global_admin"].user,
        filename=f"{tag}invitee.csv",
        content_hash=f"isolation-{tag}",
        total_rows=1,
    )
    BulkInvitationRow.objects.create(
        batch=bulk_batch,
        line=2,
        email=f"bulk@{tag}invitee.example",
        status=BulkInvitationRow.Status.WAITING,
    )
    # The provider's usage file, with one row not imported.
    from invoicing.models import UsageImport, UsageImportRow

    usage_import = UsageImport.objects.create(
        organization=provider,
        created_by=family.members["provider"]["global_admin"].user,
        filename=f"{tag}usage.csv",
        total_rows=1,
        invalid_rows=1,
        status=UsageImport.Status.DONE,
    )
    UsageImportRow.objects.create(
        usage_import=usage_import,
        line=2,
        subscription_ref=f"{tag}x",
        status=UsageImportRow.Status.INVALID,
        message="The subscription id must be a whole number.",
    )
    # The provider's GDAP request to the shared customer, waiting for its answer.
    gdap = GdapRelationship.objects.create(
        key=f"gdap-{tag}-" + "k" * 30,
        customer=customer,
        partner=provider,
        name=f"{word}gdap roles",
        roles=["user_administrator"],
        duration_days=30,
        requested_by=family.members["provider"]["admin_agent"].user,
        request_expires_at=timezone.now() + GDAP_REQUEST_VALIDITY,
    )
    partner_id = PartnerId.objects.create(
        organization=reseller, mpn_id=f"9{sum(map(ord, tag)):05d}1", country=italy
    )
    LegacyMembershipAccount.objects.create(
        mpn_id=f"8{sum(map(ord, tag)):05d}2",
        sign_in_name=f"legacy@{tag}resell.example",
        password_hash="!",
        country=italy,
    )

    domain = applicant.primary_domain
    LegalProfile.objects.create(
        organization=applicant,
        legal_name=applicant.legal_name,
        address_line1=f"Via {word}appl 1",
        city="Milano",
        postal_code="20100",
        country=italy,
        phone="+39 02 0000 0000",
        primary_contact_first_name="Paola",
        primary_contact_last_name=f"{word}contact",
        primary_contact_email=f"paola@{domain}",
        primary_contact_phone="+39 02 0000 0001",
        support_email=f"support@{domain}",
        support_phone="+39 02 0000 0002",
    )
    now = timezone.now()
    case = VerificationCase.objects.create(
        organization=applicant,
        status=VerificationCase.Status.IN_REVIEW,
        opened_at=now,
        waiting_since=now,
        updated_at=now,
    )
    contact_key = contact_link_issue(case=case, email=f"paola@{domain}", now=now)
    document = Document(
        case=case,
        organization=applicant,
        document_type="registration_certificate",
        comment=f"{word}doc comment",
        original_name=f"{tag}-certificate.pdf",
        content_type="application/pdf",
        size=len(PDF),
        uploaded_by=family.members["applicant"]["global_admin"].user,
    )
    document.file.save(f"{case.pk}", SimpleUploadedFile("c.pdf", PDF), save=False)
    document.save()
    outbox = OutboxMessage.objects.create(
        organization=applicant,
        template="verification_contact_confirm",
        to_email=f"paola@{domain}",
        subject=f"{word}mail subject",
        body_text=f"{word}mail body",
        idempotency_key=f"isolation-{tag}",
        # Its server refused it: it waits for its next turn, on the operations page's list of
        # failed emails (the page's retry forms exist only then).
        attempts=1,
        last_error=f"SMTPDataError: (451, b'{word}mail refused')",
        next_attempt_at=now + timedelta(hours=1),
    )
    Notification.objects.create(organization=reseller, message=f"{word}note", link="/customers/")
    # A background export of the provider's customers, prepared and ready to download.
    export = Export.objects.create(
        organization=provider,
        requested_by=family.members["provider"]["global_admin"].user,
        kind="customers",
    )
    export = export_run(export_id=export.pk) or export
    # A webhook endpoint of the provider: its delivery log, secret, test, enable and delete.
    webhook = WebhookEndpoint.objects.create(
        organization=provider,
        url=f"https://{word}hooks.example.com/in",
        event_types=["commerce.order.placed"],
        secret="whsec_" + "A" * 32,
    )
    # And one disabled after failures: the list offers "Enable again".
    WebhookEndpoint.objects.create(
        organization=provider,
        url=f"https://{word}hooks.example.com/old",
        event_types=["commerce.order.placed"],
        secret="whsec_" + "B" * 32,
        enabled=False,
        consecutive_failures=10,
        disabled_reason="10 failed attempts in a row; last: 500",
    )
    # The provider's API client (Settings → API clients).
    api_client = api_client_create(
        actor=family.members["provider"]["global_admin"].user,
        organization=provider,
        name=f"{word}apiclient",
        roles=["admin_agent"],
        expires_at=timezone.now() + timedelta(days=30),
    ).client

    family.objects.update(
        relationship=relationship,
        shared=shared,
        subscription=subscription,
        invoice=invoice_,
        admin_access=admin_access,
        reseller_invitation=reseller_invitation,
        customer_invitation=customer_invitation,
        inbox_invitation=inbox_invitation,
        bulk_batch=bulk_batch,
        usage_import=usage_import,
        partner_id=partner_id,
        case=case,
        contact_key=contact_key,
        document=document,
        outbox=outbox,
        gdap=gdap,
        export=export,
        webhook=webhook,
        api_client=api_client,
    )
    family.markers = [
        f"{word}resell",
        f"{word}cust",
        f"{word}appl",
        f"{word}newcust",
        f"{word}gdap",
        f"{word}apiclient",
        f"{tag}invitee",
        f"{tag}newcust",
        f"{tag}resell.example",
        f"{tag}cust.example",
        f"{tag}appl.example",
        f"{tag}oper.example",
    ]
    return family


def delegated_agents(family: Family) -> dict[str, tuple[Membership, frozenset[str]]]:
    """The partners' agents who act in `family`'s customer account, with the delegated roles
    each holds there: the reseller's and the provider's Admin agents (DAP, from the family's
    admin access rows) and, per GDAP role, the Admin agent of a provider of its own whose
    single-role GDAP relationship the customer's Global admin approved (no DAP). Also adds the
    targets of privileged changes: a second Global admin of the customer (so that demoting or
    removing one is refused by the delegation rule, not by the last-admin rule), an active GDAP
    relationship to end and the customer invitation in the customer's inbox."""
    from delegation.models import GDAP_ROLES
    from delegation.services.gdap import gdap_approve
    from portal.models import DelegatedRole
    from relationships.models import CustomerInvitation

    customer = family.customer
    dap = frozenset({DelegatedRole.DELEGATED_ADMIN.value})
    agents = {
        f"{family.tag} reseller admin_agent (DAP)": (
            family.members["reseller"]["admin_agent"],
            dap,
        ),
        f"{family.tag} provider admin_agent (DAP)": (
            family.members["provider"]["admin_agent"],
            dap,
        ),
    }
    customer_admin = family.members["customer"]["global_admin"]
    active = []
    for index, role in enumerate(GDAP_ROLES):
        partner = provider_org(
            legal_name=f"{family.tag.capitalize()}gdap{index} Services",
            primary_domain=f"{family.tag}gdap{index}.example",
        )
        agent = member(partner, admin_agent=True)
        pending = GdapRelationship.objects.create(
            key=f"gdap-{family.tag}-{index}-" + "r" * 30,
            customer=customer,
            partner=partner,
            name=f"Single role {index}",
            roles=[role.value],
            duration_days=30,
            requested_by=agent.user,
            request_expires_at=timezone.now() + GDAP_REQUEST_VALIDITY,
        )
        active.append(
            gdap_approve(
                actor=customer_admin.user, organization=customer, relationship_id=pending.pk
            )
        )
        agents[f"{family.tag} GDAP {role.value} agent"] = (agent, frozenset({role.value}))
    family.objects.update(
        second_admin=member(customer, global_admin=True),
        gdap_active=active[0],
        customer_inbox_invitation=CustomerInvitation.objects.get(
            email=f"it@{family.tag}cust.example"
        ),
    )
    return agents
