"""Factories shared by every app's tests; tenants are derived from parents so data stays
consistent (a membership's user and organization, an organization's country and domain)."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress

from portal.models import Market, Membership, Organization, User

PASSWORD = "Test-Partner-2026"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = Organization.Kind.RESELLER
    status = Organization.Status.VERIFIED
    legal_name = factory.Sequence(lambda n: f"Company {n} S.r.l.")
    primary_domain = factory.Sequence(lambda n: f"company{n}.example")
    country = factory.LazyFunction(lambda: Market.objects.get(code="IT"))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@company.example")
    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(
        UserFactory,
        email=factory.LazyAttributeSequence(
            lambda o, n: f"user{n}@{o.factory_parent.organization.primary_domain}"
        ),
    )
    global_admin = True


def member(organization: Organization | None = None, **roles) -> Membership:
    """A member of `organization` (a new reseller if None) with `roles` (default Global admin)."""
    kwargs = {"organization": organization} if organization else {}
    if roles:
        kwargs.update({"global_admin": False, **roles})
    return MembershipFactory(**kwargs)


def acting(membership: Membership | None) -> dict:
    """A service's acting party for a membership: `service(**acting(m), ...)`."""
    if membership is None:
        return {"actor": None, "organization": None}
    return {"actor": membership.user, "organization": membership.organization}


def profile_for(org):
    """A complete Italian legal profile for `org` (every field valid)."""
    from enrollment.models import LegalProfile

    return LegalProfile.objects.create(
        organization=org,
        legal_name=org.legal_name,
        address_line1="Via Roma 1",
        city="Roma",
        postal_code="00184",
        country=Market.objects.get(code="IT"),
        phone="+39 06 1234 5678",
        primary_contact_first_name="Anna",
        primary_contact_last_name="Bruni",
        primary_contact_email=f"anna@{org.primary_domain}",
        primary_contact_phone="+39 06 1234 5600",
        support_email=f"help@{org.primary_domain}",
        support_phone="+39 06 1234 5699",
    )
