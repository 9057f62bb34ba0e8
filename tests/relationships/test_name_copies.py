"""The tenant's own copies of another organization's name, which the searches read
(`ProviderRelationship.reseller_name` / `reseller_domain`, `Subscription.customer_name`): the
database keeps them equal to the organization's whatever writes the rows (relationships
migration 0011, commerce migration 0008), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from commerce.models import Subscription
from portal.models import Organization
from relationships.models import ProviderRelationship
from tests.commerce.billing_factories import subscription
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    reseller_org,
)

pytestmark = pytest.mark.django_db


def copies(relationship: ProviderRelationship) -> tuple[str, str]:
    return tuple(  # type: ignore[return-value]
        ProviderRelationship.objects.filter(pk=relationship.pk)
        .values_list("reseller_name", "reseller_domain")
        .get()
    )


def customer_copy(sub: Subscription) -> str:
    return Subscription.objects.filter(pk=sub.pk).values_list("customer_name", flat=True).get()


def test_a_new_relationship_copies_its_resellers_name_and_domain_and_follows_a_rename():
    reseller = reseller_org(legal_name="Copyname Srl", primary_domain="copyname.example")
    relationship = ProviderRelationshipFactory(reseller=reseller)
    other = ProviderRelationshipFactory(reseller=reseller)  # a second provider's row
    untouched = ProviderRelationshipFactory(reseller=reseller_org(legal_name="Bystander Srl"))
    assert copies(relationship) == copies(other) == ("Copyname Srl", "copyname.example")

    reseller.legal_name = "Renamed Srl"
    reseller.save(update_fields=["legal_name"])
    assert copies(relationship) == copies(other) == ("Renamed Srl", "copyname.example")

    Organization.objects.filter(pk=reseller.pk).update(primary_domain="renamed.example")
    assert copies(relationship) == ("Renamed Srl", "renamed.example")
    assert copies(untouched)[0] == "Bystander Srl"


def test_a_written_copy_is_overruled_by_the_resellers_own_name():
    reseller = reseller_org(legal_name="Truename Srl", primary_domain="truename.example")
    relationship = ProviderRelationshipFactory(reseller=reseller)
    stale = ProviderRelationship.objects.get(pk=relationship.pk)  # read before the rename
    Organization.objects.filter(pk=reseller.pk).update(legal_name="Newname Srl")
    stale.admin_access = False
    stale.save()  # every column, the old copy among them
    assert copies(relationship) == ("Newname Srl", "truename.example")
    ProviderRelationship.objects.filter(pk=relationship.pk).update(reseller_name="Forged")
    assert copies(relationship) == ("Newname Srl", "truename.example")

    moved = reseller_org(legal_name="Moved Srl", primary_domain="moved.example")
    ProviderRelationship.objects.filter(pk=relationship.pk).update(reseller=moved)
    assert copies(relationship) == ("Moved Srl", "moved.example")


def test_a_subscription_copies_its_customers_name_and_follows_a_rename():
    customer = customer_org(legal_name="Copycust Retail")
    shared = CustomerRelationshipFactory(customer=customer)
    sub = subscription(shared)
    assert customer_copy(sub) == "Copycust Retail"

    customer.legal_name = "Renamedcust Retail"
    customer.save(update_fields=["legal_name"])
    assert customer_copy(sub) == "Renamedcust Retail"

    stale = Subscription.objects.get(pk=sub.pk)
    Organization.objects.filter(pk=customer.pk).update(legal_name="Latest Retail")
    stale.auto_renew = False
    stale.save()
    assert customer_copy(sub) == "Latest Retail"
    Subscription.objects.filter(pk=sub.pk).update(customer_name="Forged")
    assert customer_copy(sub) == "Latest Retail"
