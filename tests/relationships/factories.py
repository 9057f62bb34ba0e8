"""Relationship factories: each derives its tenants from its parents (a relationship's provider
has a directory profile in the reseller's region, a shared customer's reseller works with the
provider)."""

from __future__ import annotations

import secrets
from datetime import timedelta

import factory
from django.utils import timezone

from enrollment.models import AgreementAcceptance, AgreementVersion
from portal.models import Market, Organization, Region
from relationships.models import (
    CustomerInvitation,
    CustomerRelationship,
    ProviderProfile,
    ProviderRelationship,
    ResellerInvitation,
    domain_path,
)
from tests.factories import OrganizationFactory, UserFactory, member


def europe() -> Region:
    return Region.objects.get(name="Europe")


def provider_org(*, regions: list[Region] | None = None, country: str = "IE", **kwargs):
    """A verified provider with a directory profile authorized in `regions` (Europe by default)."""
    org = OrganizationFactory(
        kind=Organization.Kind.PROVIDER, country=Market.objects.get(code=country), **kwargs
    )
    profile = ProviderProfile.objects.create(
        organization=org,
        contact_email=f"partners@{org.primary_domain}",
        description=f"{org.legal_name} distributes cloud services.",
    )
    profile.regions.set(regions if regions is not None else [europe()])
    return org


def reseller_org(*, country: str = "IT", agreement: bool = True, **kwargs) -> Organization:
    """A verified reseller that accepted the current agreement (unless told otherwise)."""
    org = OrganizationFactory(
        kind=Organization.Kind.RESELLER, country=Market.objects.get(code=country), **kwargs
    )
    if agreement:
        accept_agreement(org)
    return org


def current_agreement() -> AgreementVersion:
    version = AgreementVersion.objects.order_by("-published_at").first()
    if version is None:
        version = AgreementVersion.objects.create(
            version="2026-01", title="Partner Agreement", body="Terms."
        )
    return version


def accept_agreement(org: Organization) -> AgreementAcceptance:
    admin = member(org)
    return AgreementAcceptance.objects.create(
        organization=org,
        version=current_agreement(),
        accepted_by=admin.user,
        first_name="Pat",
        last_name="Admin",
        title="CEO",
        email=admin.user.email,
        accepted_on=timezone.now().date(),
    )


class ResellerInvitationFactory(factory.django.DjangoModelFactory):
    """Addressed to someone at `invitee` (the reseller meant to accept it) when given."""

    class Meta:
        model = ResellerInvitation

    class Params:
        invitee = None

    organization = factory.LazyFunction(provider_org)
    invited_by = factory.LazyAttribute(lambda o: member(o.organization).user)
    email = factory.LazyAttributeSequence(
        lambda o, n: f"admin{n}@{o.invitee.primary_domain if o.invitee else f'reseller{n}.example'}"
    )
    key = factory.LazyFunction(lambda: secrets.token_urlsafe(32))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    invitee_domain_path = factory.LazyAttribute(lambda o: domain_path(o.email.rsplit("@", 1)[-1]))


class ProviderRelationshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderRelationship

    provider = factory.LazyFunction(provider_org)
    reseller = factory.LazyFunction(reseller_org)
    authorized_by = factory.LazyAttribute(lambda o: UserFactory())


class CustomerInvitationFactory(factory.django.DjangoModelFactory):
    """Addressed to someone at `invitee` (the customer company meant to accept it) when given."""

    class Meta:
        model = CustomerInvitation
        exclude = ["relationship"]

    class Params:
        invitee = None

    relationship = factory.SubFactory(ProviderRelationshipFactory)
    organization = factory.LazyAttribute(lambda o: o.relationship.reseller)
    provider = factory.LazyAttribute(lambda o: o.relationship.provider)
    invited_by = factory.LazyAttribute(lambda o: member(o.organization).user)
    email = factory.LazyAttributeSequence(
        lambda o, n: f"owner{n}@{o.invitee.primary_domain if o.invitee else f'customer{n}.example'}"
    )
    company_name = factory.Sequence(lambda n: f"Customer {n} S.p.A.")
    key = factory.LazyFunction(lambda: secrets.token_urlsafe(32))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    invitee_domain_path = factory.LazyAttribute(lambda o: domain_path(o.email.rsplit("@", 1)[-1]))


def customer_org(**kwargs) -> Organization:
    return OrganizationFactory(kind=Organization.Kind.CUSTOMER, **kwargs)


class CustomerRelationshipFactory(factory.django.DjangoModelFactory):
    """A customer shared by the relationship's reseller with its provider."""

    class Meta:
        model = CustomerRelationship
        exclude = ["relationship"]

    relationship = factory.SubFactory(ProviderRelationshipFactory)
    customer = factory.LazyFunction(customer_org)
    reseller = factory.LazyAttribute(lambda o: o.relationship.reseller)
    provider = factory.LazyAttribute(lambda o: o.relationship.provider)
