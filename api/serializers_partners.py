"""What the partner endpoints (api/endpoints_partners.py) return and accept: fields read from the
rows the pages' selectors give (no query of their own)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from commerce.models import BillingTotal, OfferPrice
from delegation.models import GdapRelationship
from enrollment.rules import PARTNER_ID_PATTERN
from portal.models import Membership, Role
from relationships.models import CustomerInvitation, ProviderRelationship, ResellerInvitation
from verification.models import VerificationCase

from .serializers import OrganizationRefSerializer

ROLE_CHOICES = [role.value for role in Role]
# The service's own check (enrollment.rules.PARTNER_ID_PATTERN), written into the schema.
# Blank is allowed by the field itself (`allow_blank`: the schema says `oneOf` this or an empty
# string), so the pattern must not match "" too: `oneOf` means exactly one.
PARTNER_ID_FIELD_PATTERN = rf"^(?:{PARTNER_ID_PATTERN})$"


class UserSerializer(serializers.ModelSerializer):
    """A member of the organization and the roles it holds there."""

    user_id = serializers.IntegerField()
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.get_full_name")
    roles = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "user_id", "email", "name", "roles", "created_at"]

    def get_roles(self, membership: Membership) -> list[str]:
        return sorted(membership.roles)


class IndirectProviderSerializer(serializers.ModelSerializer):
    provider = OrganizationRefSerializer()

    class Meta:
        model = ProviderRelationship
        fields = ["id", "provider", "status", "admin_access", "authorized_at", "ended_at"]


class ResellerInvitationSerializer(serializers.ModelSerializer):
    reseller_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = ResellerInvitation
        fields = [
            "id",
            "email",
            "partner_id",
            "status",
            "language",
            "created_at",
            "last_sent_at",
            "expires_at",
            "responded_at",
            "reseller_id",
        ]


class CustomerInvitationSerializer(serializers.ModelSerializer):
    provider = OrganizationRefSerializer()
    customer_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = CustomerInvitation
        fields = [
            "id",
            "email",
            "company_name",
            "provider",
            "include_admin_access",
            "status",
            "language",
            "created_at",
            "last_sent_at",
            "expires_at",
            "responded_at",
            "customer_id",
        ]


# A request body's fields take JSON's own types only, as the schema says (DRF would read 0 as
# false, 7 as "7" and "7" as 7).


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid", input=data)


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictRegexField(serializers.RegexField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


LANGUAGE = serializers.ChoiceField(
    choices=settings.LANGUAGES,  # as the users' own language field: one enum in the schema
    required=False,
    allow_blank=True,
    help_text="The invitation email's language (the request's language when empty).",
)


class ResellerInvitationCreateSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    partner_id = StrictRegexField(
        PARTNER_ID_FIELD_PATTERN,
        max_length=10,
        required=False,
        allow_blank=True,
        help_text="The reseller's PartnerID (MPN ID), 6 to 10 digits, if known.",
    )
    language = LANGUAGE


class CustomerInvitationCreateSerializer(serializers.Serializer):
    provider_id = StrictIntegerField(
        min_value=1, max_value=2**62, help_text=_("One of your active indirect providers.")
    )
    email = StrictEmailField(max_length=254)
    company_name = StrictCharField(max_length=200)
    include_admin_access = StrictBooleanField(default=True)
    language = LANGUAGE


class OfferSerializer(serializers.ModelSerializer):
    """An offer on sale and its price per unit and month in the market's currency."""

    id = serializers.IntegerField(source="offer.pk")
    code = serializers.CharField(source="offer.code")
    name = serializers.CharField(source="offer.name")
    description = serializers.CharField(source="offer.description")
    pricing = serializers.CharField(source="offer.kind")
    unit = serializers.CharField(source="offer.unit")
    min_quantity = serializers.IntegerField(source="offer.min_quantity")
    max_quantity = serializers.IntegerField(source="offer.max_quantity")

    class Meta:
        model = OfferPrice
        fields = [
            "id",
            "code",
            "name",
            "description",
            "pricing",
            "unit",
            "min_quantity",
            "max_quantity",
            "currency",
            "monthly_term_price",
            "annual_term_price",
        ]


class BillingTotalSerializer(serializers.ModelSerializer):
    class Meta:
        model = BillingTotal
        fields = ["currency", "subscriptions", "monthly_cost"]


class BillingSerializer(serializers.Serializer):
    """The Billing page's totals: live subscriptions and their monthly cost, per currency."""

    totals = BillingTotalSerializer(many=True)


class AuditEventSerializer(serializers.Serializer):
    """One line of the audit log page, as the page shows it."""

    created_at = serializers.DateTimeField()
    person = serializers.CharField()
    person_email = serializers.CharField()
    acting_for = serializers.CharField()
    delegated = serializers.BooleanField()
    code = serializers.CharField()
    label = serializers.CharField()
    summary = serializers.CharField()
    ip_address = serializers.CharField()


class VerificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = VerificationCase
        fields = ["status", "opened_at", "waiting_since", "decided_at", "reject_reason"]


class VerificationStatusSerializer(serializers.Serializer):
    """The reseller's verification case (null: none opened)."""

    case = VerificationSerializer(allow_null=True)


class GdapRequestSerializer(serializers.ModelSerializer):
    customer = OrganizationRefSerializer()
    partner = OrganizationRefSerializer()
    roles = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = GdapRelationship
        fields = [
            "id",
            "name",
            "customer",
            "partner",
            "roles",
            "status",
            "duration_days",
            "auto_extend",
            "requested_at",
            "request_expires_at",
            "answered_at",
            "starts_at",
            "ends_at",
            "ended_at",
        ]
