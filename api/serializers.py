"""What /api/v1/ returns: fields read from the rows the selectors give (no query of its own)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commerce.models import Subscription
from commerce.visibility import SeenPrices, prices_seen_by
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
    """A subscription with the prices the caller's organization may see
    (`commerce.visibility`): `unit_price` and `monthly_cost` are what it pays; `sell_unit_price`
    and `sell_monthly_price` what it charges (null for a customer). The serializer's context
    names the caller's `organization`."""

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
            "sell_unit_price",
            "sell_monthly_price",
            "auto_renew",
            "purchased_at",
            "term_start",
            "term_end",
            "ended_at",
        ]

    unit_price = serializers.SerializerMethodField()
    monthly_cost = serializers.SerializerMethodField()
    sell_unit_price = serializers.SerializerMethodField()
    sell_monthly_price = serializers.SerializerMethodField()

    def _seen(self, subscription: Subscription) -> SeenPrices:
        # Fails closed: without the caller's organization no side (and no price) is known.
        organization = self.context["organization"]
        return prices_seen_by(subscription, organization.pk)

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_unit_price(self, subscription: Subscription) -> str:
        return f"{self._seen(subscription).buy_unit:.2f}"

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_monthly_cost(self, subscription: Subscription) -> str:
        return f"{self._seen(subscription).buy_monthly:.2f}"

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True))
    def get_sell_unit_price(self, subscription: Subscription) -> str | None:
        sell = self._seen(subscription).sell_unit
        return None if sell is None else f"{sell:.2f}"

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True))
    def get_sell_monthly_price(self, subscription: Subscription) -> str | None:
        sell = self._seen(subscription).sell_monthly
        return None if sell is None else f"{sell:.2f}"


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
