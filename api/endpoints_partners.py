"""/api/v1/ endpoints of a partner's everyday work (issue 24): its users and their roles, its
indirect providers, the invitations it sent (and sending new ones), the catalogue and prices
of its markets, billing totals, the audit log, verification status and GDAP requests.

Each names the Action of the policy table the matching page requires and reads through that
page's selector (sends through that page's service), scoped to the caller's organization, or
the customer's it acts for (api/acting.py); lists are keyset pages as in api/endpoints.py."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from commerce.currency import market_currency
from commerce.selectors import billing_totals_by_currency, prices_in
from delegation.gdap_selectors import gdap_of_customer, gdap_of_partner
from delegation.models import GdapRelationship
from enrollment.selectors import member_list
from portal.audit import event_type_choices
from portal.audit_log import audit_log_filtered, audit_rows
from portal.models import Market, Organization
from portal.policy import Action
from portal.ratelimit import RateLimited
from relationships.models import InvitationStatus
from relationships.selectors import (
    provider_regions,
    providers_of_reseller,
    sent_customer_invitations,
    sent_reseller_invitations,
)
from relationships.services.customers import customer_invitation_create
from relationships.services.reseller_invitations import reseller_invitation_create
from verification.selectors import case_for_organization

from .acting import ACT_AS_CUSTOMER
from .endpoints import CURSOR, ERRORS, LIST_ERRORS, ApiView, _problem
from .problems import PROBLEM_JSON
from .serializers import page_of
from .serializers_partners import (
    AuditEventSerializer,
    BillingSerializer,
    CustomerInvitationCreateSerializer,
    CustomerInvitationSerializer,
    GdapRequestSerializer,
    IndirectProviderSerializer,
    OfferSerializer,
    ResellerInvitationCreateSerializer,
    ResellerInvitationSerializer,
    UserSerializer,
    VerificationStatusSerializer,
)

Kind = Organization.Kind

WRITE_ERRORS = {
    **ERRORS,
    (400, PROBLEM_JSON): _problem("A field is not valid: `errors` names each."),
}


def _status_parameter(choices: list[str]) -> OpenApiParameter:
    return OpenApiParameter("status", str, enum=choices, description="Only rows in this status.")


def _choice(request: Request, name: str, choices: list[str]) -> str:
    """A validated filter: empty when absent, 400 (the field named) when not one of `choices`."""
    value = request.query_params.get(name, "")
    if value and value not in choices:
        raise exceptions.ValidationError({name: [_("Choose one of: %s.") % ", ".join(choices)]})
    return value


# The largest id a filter takes (18 digits: within PostgreSQL's bigint).
MAX_ID = 10**18 - 1


def _number(request: Request, name: str) -> int | None:
    if name not in request.query_params:
        return None
    value = request.query_params[name]
    if not (value.isascii() and value.isdigit() and 0 < int(value or "0") <= MAX_ID):
        raise exceptions.ValidationError({name: [_("Enter a whole number.")]})
    return int(value)


def _validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A service's refusal as a 400 problem with the fields' messages (translated)."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(
            {
                field if field != "__all__" else "non_field_errors": [str(m) for m in messages]
                for field, messages in exc.message_dict.items()
            }
        )
    return exceptions.ValidationError({"non_field_errors": [str(m) for m in exc.messages]})


class _WriteMixin:
    """A write runs a page's service as the call's membership (portal.policy.acting_membership,
    entered by ApiView): its refusals are problems, its rate limits 429s."""

    membership: Any

    def actor(self):
        user = self.membership.user
        if user.pk is None:  # the client's creator was deleted: nobody to record as sender
            raise exceptions.PermissionDenied(
                _("This API client has no creator any more: create a new client to write.")
            )
        return user

    def run(self, service, **kwargs: Any):
        try:
            return service(actor=self.actor(), **kwargs)
        except DjangoValidationError as exc:
            raise _validation_error(exc) from exc
        except RateLimited as exc:
            raise exceptions.Throttled(wait=exc.retry_after) from exc


# Users ------------------------------------------------------------------------------------


class UserListView(ApiView):
    required_action = Action.VIEW_USERS

    @extend_schema(
        operation_id="users_list",
        summary="The organization's users and their roles, newest member first",
        parameters=[CURSOR, ACT_AS_CUSTOMER],
        responses={200: page_of(UserSerializer), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return self.keyset_response(
            request,
            member_list(organization=self.organization),
            field_name="created_at",
            serializer=UserSerializer,
        )


# Indirect providers ------------------------------------------------------------------------


class IndirectProviderListView(ApiView):
    required_action = Action.VIEW_RELATIONSHIPS
    organization_kinds = {Kind.RESELLER}

    @extend_schema(
        operation_id="indirect_providers_list",
        summary="A reseller's indirect providers, newest authorization first",
        parameters=[CURSOR],
        responses={200: page_of(IndirectProviderSerializer), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return self.keyset_response(
            request,
            providers_of_reseller(reseller=self.organization),
            field_name="authorized_at",
            serializer=IndirectProviderSerializer,
        )


# Invitations ---------------------------------------------------------------------------------

INVITATION_STATUSES = [status.value for status in InvitationStatus]
INVITATION_STATUS = _status_parameter(INVITATION_STATUSES)


class ResellerInvitationListView(_WriteMixin, ApiView):
    """A provider's reseller invitations: the Sent invitations page's list, and the Invite a
    reseller form's service."""

    required_action = Action.INVITE_RESELLER
    organization_kinds = {Kind.PROVIDER}

    @extend_schema(
        operation_id="reseller_invitations_list",
        summary="The reseller invitations the provider sent, newest first",
        parameters=[CURSOR, INVITATION_STATUS],
        responses={200: page_of(ResellerInvitationSerializer), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        invitations = sent_reseller_invitations(provider=self.organization)
        status = _choice(request, "status", INVITATION_STATUSES)
        if status:
            invitations = invitations.filter(status=status)
        return self.keyset_response(
            request, invitations, field_name="created_at", serializer=ResellerInvitationSerializer
        )

    @extend_schema(
        operation_id="reseller_invitations_create",
        summary="Invite a reseller's admin by email (as the Invite a reseller page)",
        request=ResellerInvitationCreateSerializer,
        responses={201: ResellerInvitationSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = _valid(ResellerInvitationCreateSerializer, request)
        invitation = self.run(
            reseller_invitation_create,
            organization=self.organization,
            email=data["email"],
            partner_id=data.get("partner_id", ""),
            language=data.get("language") or get_language(),
        )
        return Response(ResellerInvitationSerializer(invitation).data, status=201)


class CustomerInvitationListView(_WriteMixin, ApiView):
    """A reseller's customer invitations: the Invite a customer page's history, and its form's
    service (the customer shared with one of the reseller's active providers)."""

    required_action = Action.INVITE_CUSTOMER
    organization_kinds = {Kind.RESELLER}

    @extend_schema(
        operation_id="customer_invitations_list",
        summary="The customer invitations the reseller sent, newest first",
        parameters=[CURSOR, INVITATION_STATUS],
        responses={200: page_of(CustomerInvitationSerializer), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        invitations = sent_customer_invitations(reseller=self.organization)
        status = _choice(request, "status", INVITATION_STATUSES)
        if status:
            invitations = invitations.filter(status=status)
        return self.keyset_response(
            request, invitations, field_name="created_at", serializer=CustomerInvitationSerializer
        )

    @extend_schema(
        operation_id="customer_invitations_create",
        summary="Invite a customer into a relationship shared with a provider",
        request=CustomerInvitationCreateSerializer,
        responses={201: CustomerInvitationSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = _valid(CustomerInvitationCreateSerializer, request)
        invitation = self.run(
            customer_invitation_create,
            organization=self.organization,
            provider_id=data["provider_id"],
            email=data["email"],
            company_name=data["company_name"],
            language=data.get("language") or get_language(),
            include_admin_access=data["include_admin_access"],
        )
        return Response(CustomerInvitationSerializer(invitation).data, status=201)


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# Catalogue -----------------------------------------------------------------------------------


def markets_of(organization: Organization) -> QuerySet[Market]:
    """The markets a partner sells in: a provider's authorized CSP regions' markets, a
    reseller's region's (its country's, as region_refusal matches it with its providers)."""
    if organization.kind == Kind.PROVIDER:
        return Market.objects.filter(region__in=provider_regions(provider=organization))
    if organization.country_id is None:
        return Market.objects.none()
    return Market.objects.filter(region__markets=organization.country_id)


MARKET_PATTERN = r"^[A-Z]{2}$"
MARKET = OpenApiParameter(
    "market",
    str,
    pattern=MARKET_PATTERN,
    description="A market (country code) of the caller's: prices in its currency. By default "
    "the organization's own country, else its first market.",
)


class OfferListView(ApiView):
    """The catalogue as the Order page offers it (the offers on sale, priced in the customer's
    market's currency), for one of the caller's markets."""

    required_action = Action.PLACE_ORDER

    @extend_schema(
        operation_id="offers_list",
        summary="The offers on sale and their prices in a market of the caller's",
        parameters=[CURSOR, MARKET],
        responses={200: page_of(OfferSerializer), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        markets = {m.code: m for m in markets_of(self.organization).order_by("code")}
        market: Market | None
        if "market" in request.query_params:
            code = request.query_params["market"]
            if not re.fullmatch(MARKET_PATTERN, code):
                raise exceptions.ValidationError(
                    {"market": [_("Choose one of your markets: %s.") % ", ".join(markets)]}
                )
            if code not in markets:  # a market the caller does not sell in, as a missing one
                raise exceptions.NotFound(_("Choose one of your markets: %s.") % ", ".join(markets))
            market = markets[code]
        else:
            own = self.organization.country_id
            market = markets.get(own or "") or next(iter(markets.values()), None)
        currency = market_currency(market)
        prices = prices_in(currency) if currency else prices_in("").none()
        return self.keyset_response(
            request,
            prices,
            field_name="pk",
            serializer=OfferSerializer,
            by_id=True,
            descending=False,
        )


# Billing -------------------------------------------------------------------------------------


class BillingView(ApiView):
    required_action = Action.VIEW_BILLING

    @extend_schema(
        operation_id="billing_retrieve",
        summary="Billing totals: live subscriptions and their monthly cost per currency",
        parameters=[ACT_AS_CUSTOMER],
        responses={200: BillingSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        totals = billing_totals_by_currency(organization=self.organization)
        return Response(BillingSerializer({"totals": totals}).data)


# Audit events --------------------------------------------------------------------------------


AUDIT_FILTERS = ("type", "person", "date_from", "date_to")


class AuditEventListView(ApiView):
    """The audit log page's events and filters (a Global admin's)."""

    required_action = Action.VIEW_AUDIT_LOG

    @extend_schema(
        operation_id="audit_events_list",
        summary="The organization's audit log, newest first",
        parameters=[
            CURSOR,
            OpenApiParameter(
                "type",
                str,
                enum=[code for code, _label in event_type_choices()],
                description="An event type of the catalogue.",
            ),
            OpenApiParameter(
                "person",
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                description="A member's user id: the events that person caused.",
            ),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="From this day."),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="To this day."),
        ],
        responses={200: page_of(AuditEventSerializer), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = request.query_params.copy()
        filters.pop("cursor", None)
        blank = [name for name in AUDIT_FILTERS if name in filters and not filters[name]]
        if blank:
            raise exceptions.ValidationError(
                {name: [_("This field is required.")] for name in blank}
            )
        person = _number(request, "person")
        form, valid, events = audit_log_filtered(self.organization, filters or None)
        if not valid and list(form.errors) == ["person"] and person is not None:
            # Someone who is not a member of the organization caused none of its events.
            events, valid = events.none(), True
        if not valid:
            raise exceptions.ValidationError(
                {field: [str(m) for m in messages] for field, messages in form.errors.items()}
            )
        return self.keyset_response(
            request,
            events,
            field_name="created_at",
            serializer=AuditEventSerializer,
            prepare=lambda rows: audit_rows(rows, self.organization),
        )


# Verification --------------------------------------------------------------------------------


class VerificationView(ApiView):
    required_action = Action.VIEW_VERIFICATION
    organization_kinds = {Kind.RESELLER}

    @extend_schema(
        operation_id="verification_retrieve",
        summary="The reseller's verification status",
        responses={200: VerificationStatusSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        case = case_for_organization(organization=self.organization)
        return Response(VerificationStatusSerializer({"case": case}).data)


# GDAP ----------------------------------------------------------------------------------------

GDAP_STATUSES = [status.value for status in GdapRelationship.Status]


class GdapRequestListView(ApiView):
    """A partner's GDAP requests and relationships with its customers (the Request roles page,
    per customer there), or a customer's with its partners (its Partner relationships page)."""

    required_action = Action.MANAGE_DELEGATED_ACCESS
    required_actions = {Kind.CUSTOMER: Action.MANAGE_PARTNER_ACCESS}

    @extend_schema(
        operation_id="gdap_requests_list",
        summary="GDAP requests and relationships, newest request first",
        parameters=[
            CURSOR,
            _status_parameter(GDAP_STATUSES),
            OpenApiParameter(
                "customer",
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                description="A partner's: only this customer's.",
            ),
        ],
        responses={200: page_of(GdapRequestSerializer), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        status = _choice(request, "status", GDAP_STATUSES)
        customer = _number(request, "customer")
        if self.organization.kind == Kind.CUSTOMER:
            rows = gdap_of_customer(customer=self.organization)
        else:
            rows = gdap_of_partner(partner=self.organization)
            if customer is not None:
                rows = rows.filter(customer_id=customer)
        if status:
            rows = rows.filter(status=status)
        return self.keyset_response(
            request, rows, field_name="requested_at", serializer=GdapRequestSerializer
        )
