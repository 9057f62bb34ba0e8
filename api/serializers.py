"""What /api/v1/ returns: fields read from the rows the selectors give (no query of its own)."""

from __future__ import annotations

from rest_framework import serializers

from commerce.models import Subscription
from portal.models import Organization
from relationships.models import CustomerRelationship, ProviderRelationship


class OrganizationSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country_id", allow_null=True)

    class Meta:
        model = Organization
        fields = ["id", "legal_name", "kind", "status", "country", "primary_domain", "created_at"]


class OrganizationRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "legal_name"]


class IndirectResellerSerializer(serializers.ModelSerializer):
    reseller = OrganizationRefSerializer()

    class Meta:
        model = ProviderRelationship
        fields = ["id", "reseller", "status", "admin_access", "authorized_at", "ended_at"]


class CustomerSerializer(serializers.ModelSerializer):
    customer = OrganizationRefSerializer()
    reseller_id = serializers.IntegerField()
    provider_id = serializers.IntegerField()

    class Meta:
        model = CustomerRelationship
        fields = ["id", "customer", "reseller_id", "provider_id", "status", "created_at"]


class SubscriptionSerializer(serializers.ModelSerializer):
    offer = serializers.CharField(source="offer.name")
    customer = OrganizationRefSerializer()
    reseller_id = serializers.IntegerField()
    provider_id = serializers.IntegerField()

    class Meta:
        model = Subscription
        fields = [
            "id",
            "offer",
            "customer",
            "reseller_id",
            "provider_id",
            "status",
            "quantity",
            "term",
            "billing_frequency",
            "currency",
            "unit_price",
            "monthly_cost",
            "auto_renew",
            "purchased_at",
            "term_start",
            "term_end",
            "ended_at",
        ]


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()


def page_of(item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """A list page: its rows and the link to the next page (null on the last)."""
    name = item.__name__.removesuffix("Serializer") + "Page"
    return type(
        name,
        (serializers.Serializer,),
        {
            "next": serializers.URLField(allow_null=True),
            "results": item(many=True),
            "__doc__": "One page of a list, newest first; follow `next` for the following one.",
        },
    )
