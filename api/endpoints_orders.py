"""/api/v1/ writes of orders and subscriptions, through the services the pages call
(commerce.services): the policy table decides inside each service, with the client's built
membership as the actor (`ApiView`); a rule's refusal is a 422 problem with its sentences.

A subscription's `ETag` covers what a change can touch (status, quantity, auto-renew, the term);
PATCH and cancel require it in `If-Match` (428 without it, 412 when the subscription changed
since), checked with the subscription's row locked, in the transaction of the change."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from commerce.models import BillingFrequency, Subscription, Term
from commerce.selectors import subscription_for
from commerce.services import (
    order_place,
    subscription_auto_renew_set,
    subscription_cancel,
    subscription_quantity_change,
)
from portal.models import Organization
from portal.policy import Action

from .endpoints import ERRORS, ApiView, SubscriptionDetailView
from .problems import PROBLEM_JSON
from .serializers import ProblemSerializer, SubscriptionSerializer

ID_MAX = 2**63 - 1
QUANTITY_MAX = 2**31 - 1
REFUSED = {
    (422, PROBLEM_JSON): OpenApiResponse(
        response=ProblemSerializer,
        description="A rule refused it (the sentences in `detail`, per field in `errors`).",
    ),
    (400, PROBLEM_JSON): OpenApiResponse(
        response=ProblemSerializer, description="The body is not valid."
    ),
}
ID = OpenApiParameter("id", int, OpenApiParameter.PATH)


def etag(subscription: Subscription) -> str:
    state = ":".join(
        str(value)
        for value in (
            subscription.pk,
            subscription.status,
            subscription.quantity,
            subscription.auto_renew,
            subscription.term_end.isoformat(),
            subscription.change_window_ends_at.isoformat(),
        )
    )
    return '"' + hashlib.sha256(state.encode()).hexdigest()[:32] + '"'


def _with_etag(
    subscription: Subscription, organization: Organization, status: int = 200
) -> Response:
    """The subscription with the prices `organization`'s side may see, and its ETag."""
    data = SubscriptionSerializer(subscription, context={"organization": organization}).data
    response = Response(data, status=status)
    response["ETag"] = etag(subscription)
    return response


class OrderSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    offer_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    quantity = serializers.IntegerField(min_value=1, max_value=QUANTITY_MAX)
    term = serializers.ChoiceField(choices=Term.choices)
    billing_frequency = serializers.ChoiceField(choices=BillingFrequency.choices)
    provider_id = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, required=False, allow_null=True
    )


class SubscriptionChangeSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=QUANTITY_MAX, required=False)
    auto_renew = serializers.BooleanField(required=False)


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class OrderCreateView(ApiView):
    required_action = Action.PLACE_ORDER

    @extend_schema(
        operation_id="orders_create",
        summary="Place an order: a new subscription for a customer",
        request=OrderSerializer,
        responses={201: SubscriptionSerializer, **ERRORS, **REFUSED},
    )
    def post(self, request: Request) -> Response:
        data = _valid(OrderSerializer, request.data)
        placed = order_place(
            actor=self.caller.membership.user, organization=self.organization, **data
        )
        subscription = subscription_for(organization=self.organization, pk=placed.pk)
        assert subscription is not None
        return _with_etag(subscription, self.organization, status=201)


def _found(organization: Any, id: str, *, lock: bool = False) -> Subscription:
    """The organization's subscription `id` (any other id, or another tenant's, a 404)."""
    subscription = None
    if id.isascii() and id.isdigit() and len(id) < 19:
        subscription = subscription_for(organization=organization, pk=int(id))
        if subscription is not None and lock:
            # Locked, then read again: the ETag compared is the one the change will replace.
            Subscription.objects.select_for_update().filter(pk=subscription.pk).first()
            subscription = subscription_for(organization=organization, pk=subscription.pk)
    if subscription is None:
        raise exceptions.NotFound(_("No such subscription."))
    return subscription


class _SubscriptionChange:
    """The subscription of the URL, locked, when its ETag is the one in If-Match."""

    organization: Any

    def matched(self, request: Request, id: str) -> Subscription:
        subscription = _found(self.organization, id, lock=True)
        sent = request.headers.get("If-Match")
        if not sent:
            raise PreconditionRequired()
        tags = {tag.strip() for tag in sent.split(",")}
        if "*" not in tags and etag(subscription) not in tags:
            raise PreconditionFailed()
        return subscription


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_code = "precondition_required"

    def __init__(self) -> None:
        super().__init__(_("Send the subscription's ETag (from its GET) in If-Match."))


class PreconditionFailed(exceptions.APIException):
    status_code = 412
    default_code = "precondition_failed"

    def __init__(self) -> None:
        super().__init__(_("The subscription changed since you read it: GET it again, then retry."))


class SubscriptionView(_SubscriptionChange, SubscriptionDetailView):
    """One subscription: GET (with its ETag) and PATCH (quantity, auto-renew)."""

    if_match_methods = ("PATCH",)

    @extend_schema(
        operation_id="subscriptions_retrieve",
        summary="One subscription (its ETag in the ETag header)",
        parameters=[ID],
        responses={200: SubscriptionSerializer, **ERRORS},
    )
    def get(self, request: Request, id: str) -> Response:
        return _with_etag(_found(self.organization, id), self.organization)

    @extend_schema(
        operation_id="subscriptions_partial_update",
        summary="Change the quantity (raise any time, reduce in the window) or auto-renew",
        parameters=[ID],
        request=SubscriptionChangeSerializer,
        responses={200: SubscriptionSerializer, **ERRORS, **REFUSED},
    )
    def patch(self, request: Request, id: str) -> Response:
        data = _valid(SubscriptionChangeSerializer, request.data)
        actor = self.caller.membership.user
        with transaction.atomic():
            subscription = self.matched(request, id)
            if "quantity" in data:
                subscription_quantity_change(
                    actor=actor,
                    organization=self.organization,
                    subscription_id=subscription.pk,
                    quantity=data["quantity"],
                )
            if "auto_renew" in data:
                subscription_auto_renew_set(
                    actor=actor,
                    organization=self.organization,
                    subscription_id=subscription.pk,
                    auto_renew=data["auto_renew"],
                )
        changed = subscription_for(organization=self.organization, pk=subscription.pk)
        assert changed is not None
        return _with_etag(changed, self.organization)


class SubscriptionCancelView(_SubscriptionChange, ApiView):
    required_action = Action.MANAGE_SUBSCRIPTION
    if_match_methods = ("POST",)

    @extend_schema(
        operation_id="subscriptions_cancel",
        summary="Cancel, within the change window (7 days of purchase or renewal)",
        parameters=[ID],
        request=None,
        responses={200: SubscriptionSerializer, **ERRORS, **REFUSED},
    )
    def post(self, request: Request, id: str) -> Response:
        with transaction.atomic():
            subscription = self.matched(request, id)
            subscription_cancel(
                actor=self.caller.membership.user,
                organization=self.organization,
                subscription_id=subscription.pk,
            )
        cancelled = subscription_for(organization=self.organization, pk=subscription.pk)
        assert cancelled is not None
        return _with_etag(cancelled, self.organization)
