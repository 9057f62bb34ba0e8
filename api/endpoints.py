"""/api/v1/ endpoints (read-only so far): each names the Action of the policy table that the
matching page requires and reads through that page's selector, scoped to the caller's
organization; another tenant's object is a 404 like a missing one.

Lists are keyset pages (portal/paging.py `keyset_page`) newest first, `PAGE_SIZE` rows and a
`next` link carrying the last row's (moment, id): one index range read per page however deep,
and the same number of queries whatever the page's size."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Hashable
from contextlib import ExitStack
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce.models import Subscription
from commerce.selectors import subscription_for, subscription_list
from portal.audit import request_context
from portal.client_ip import client_ip
from portal.models import Membership, Organization
from portal.pagememo import kept_value
from portal.paging import decode_cursor, encode_cursor, keyset_page
from portal.policy import RULES, Action, acting_membership, can
from relationships.selectors import customers_for, resellers_of_provider

from .acting import ACT_AS_CUSTOMER, acting_membership_for
from .authentication import ApiCaller, ApiClientAuthentication
from .call_log import api_call_logged
from .idempotency import idempotent
from .problems import PROBLEM_JSON
from .rows import CUSTOMERS, INDIRECT_RESELLERS, SUBSCRIPTIONS, Rows, is_utc, page_timezone
from .schema import ApiSchema
from .serializers import (
    CustomerSerializer,
    IndirectResellerSerializer,
    OrganizationSerializer,
    ProblemSerializer,
    SubscriptionSerializer,
    page_of,
)
from .services import api_client_used
from .throttling import ApiClientRateThrottle

PAGE_SIZE = 50
Kind = Organization.Kind


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ProblemSerializer, description=description)


ERRORS = {
    (401, PROBLEM_JSON): _problem("No valid access token."),
    (403, PROBLEM_JSON): _problem("The API client's roles do not allow this."),
    (404, PROBLEM_JSON): _problem("Not found, or not the caller's organization's."),
    (429, PROBLEM_JSON): _problem("Too many calls: retry after Retry-After seconds."),
}
LIST_ERRORS = {**ERRORS, (400, PROBLEM_JSON): _problem("A parameter (the cursor) is not valid.")}
# A cursor is what `portal.paging.encode_cursor` writes: microseconds since 1970, a dot, an id.
CURSOR_PATTERN = r"^[0-9]{1,16}\.[0-9]{1,18}$"
CURSOR = OpenApiParameter(
    "cursor",
    str,
    description="The `next` link's cursor: the page after that row.",
    pattern=CURSOR_PATTERN,
)


def _id_cursor(pk: int, _tie: int) -> str:
    return f"{pk}.{pk}"


def _decode_id(value: str) -> tuple[int, int] | None:
    """The row id of a `_id_cursor` (its first half; the pattern has checked both)."""
    number, _dot, _tie = value.partition(".")
    return (int(number), int(number)) if number.isdigit() else None


class PolicyPermission(BasePermission):
    """The view's `required_action` in the policy table, for the client's membership; an
    endpoint for other organization kinds is a 404 (as `TenantViewMixin` does for pages)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        caller = request.auth
        if not isinstance(caller, ApiCaller):
            return False
        # The client's own membership, or a customer's through its GDAP roles (api/acting.py).
        membership = view.membership = acting_membership_for(request, caller.membership)
        kind = membership.organization.kind
        action = view.required_actions.get(kind, view.required_action)
        kinds, _roles = RULES[action]
        if view.organization_kinds is not None:
            kinds = kinds & view.organization_kinds
        if kind not in kinds:
            raise exceptions.NotFound(_("This endpoint does not exist for your organization."))
        return can(membership, action)


class ApiView(APIView):
    """Every endpoint's base: the client's token, the policy table, the rate limit, the audit
    context naming the client, its built membership as the services' actor
    (`portal.policy.acting_membership`), and `Idempotency-Key` on every POST."""

    authentication_classes = [ApiClientAuthentication]
    permission_classes = [PolicyPermission]
    throttle_classes = [ApiClientRateThrottle]
    schema = ApiSchema()
    required_action: Action = Action.VIEW_DASHBOARD
    # The action per organization kind where the matching pages differ (GDAP: the partner's
    # page and the customer's); `required_action` for the other kinds.
    required_actions: dict[str, Action] = {}
    organization_kinds: set[str] | None = None
    membership: Membership

    def dispatch(self, request, *args, **kwargs):
        # DRF's APIView.dispatch, with each POST handler run through `idempotent`.
        self._started = time.time(), time.perf_counter()
        self.args = args
        self.kwargs = kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            self.initial(request, *args, **kwargs)
            method = request.method.lower()
            handler: Any = getattr(self, method, self.http_method_not_allowed)
            if method not in self.http_method_names:
                handler = self.http_method_not_allowed
            if method == "post" and handler != self.http_method_not_allowed:
                response = idempotent(
                    self,
                    request,
                    self.caller.client,
                    lambda: handler(request, *args, **kwargs),
                )
            else:
                response = handler(request, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        method = (request.method or "").lower()
        if method not in self.http_method_names or not hasattr(self, method):
            # Before the caller is asked about: a 405 whoever calls, as the schema says.
            raise exceptions.MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)
        caller: ApiCaller = request.auth
        self.caller = caller
        # The caller's organization, or the customer's it acts for (Act-As-Customer).
        self.organization = self.membership.organization
        if api_client_used(client=caller.client) and caller.cached is not None:
            caller.cached.refresh(caller.client)  # the cached client's last use, too
        # Audit events this call causes name the client as their actor (portal/audit.py); the
        # services' membership look-up answers the client's membership (portal/policy.py).
        self._audit = ExitStack()
        self._audit.enter_context(
            request_context(
                ip_address=client_ip(request._request),
                user_id=self.membership.user_id,
                organization=caller.membership.organization,
                delegated_in=self.organization if self.membership.is_delegated else None,
                api_client=caller.client.label,
            )
        )
        self._audit.enter_context(acting_membership(self.membership))

    def finalize_response(self, request, response, *args, **kwargs):
        audit = getattr(self, "_audit", None)
        if audit is not None:
            audit.close()
        response = super().finalize_response(request, response, *args, **kwargs)
        # Every call of an authenticated client is logged, whatever it was answered (a 404 of
        # the policy, a 429 of the rate limit): one RPUSH (api/call_log.py). A call refused
        # before its token was read (a 405) or without a valid token (401) names no client.
        caller = request.__dict__.get("_auth")
        if isinstance(caller, ApiCaller):
            self.log_call(request, response, caller)
        return response

    def log_call(self, request: Request, response: Response, caller: ApiCaller) -> None:
        started, clock = self._started
        own = caller.membership.organization_id
        # The customer's account it acted in (Act-As-Customer), once the header was accepted.
        membership: Membership | None = self.__dict__.get("membership")
        acting = membership.organization_id if membership is not None else own
        django_request = request._request
        api_call_logged(
            client=caller.client,
            organization_id=own,
            acting_for_id=acting if acting != own else None,
            method=django_request.method or "",
            path=django_request.path,
            status=response.status_code,
            duration_ms=(time.perf_counter() - clock) * 1000,
            request_id=getattr(django_request, "request_id", None),
            ip_address=client_ip(django_request),
            started=started,
        )

    def keyset_response(
        self,
        request: Request,
        queryset: QuerySet | Callable[[], QuerySet],
        *,
        field_name: str,
        rows: Rows | None = None,
        serializer: type | None = None,
        descending: bool = True,
        by_id: bool = False,
        prepare: Callable[[list[Any]], list[Any]] | None = None,
        memo: Hashable = (),
    ) -> Response:
        """One keyset page of `queryset` by (`field_name`, pk), newest first; `by_id`: by pk
        alone, the cursor the pk twice (a list without a moment of its own). With `rows` the
        page is read as `rows.columns` tuples and built by `rows.build` (the list's serializer,
        in the schema, describes the same dicts); else `prepare` turns the page's objects into
        what `serializer` reads. A `queryset` given as a function of nothing is built from the
        caller's organization and `memo` (the filters' values) alone, and its page's SQL is
        compiled once per process for them; the page's rows are then kept in the shared cache
        and served again while no table they read has changed (`portal.pagememo.kept_value`).
        The client's token, rate limit and call log run on every call all the same."""
        cursor = request.query_params.get("cursor")
        encode, decode = (_id_cursor, _decode_id) if by_id else (encode_cursor, decode_cursor)
        if cursor is not None and (
            not re.fullmatch(CURSOR_PATTERN, cursor) or decode(cursor) is None
        ):
            raise exceptions.ValidationError({"cursor": [_("This cursor is not valid.")]})
        zone = page_timezone()

        def read(source: QuerySet | Callable[[], QuerySet], memo_key: Hashable) -> Any:
            return keyset_page(
                source,
                memo_key=memo_key,
                field_name="pk" if by_id else field_name,
                descending=descending,
                size=PAGE_SIZE,
                after=cursor or "",
                encode=encode,
                decode=decode,
                # The page's moments read as the ISO text the rows write (api/rows.py).
                iso_moments=rows is not None and is_utc(zone),
            )

        if rows is not None and not by_id and callable(queryset):
            # The page's SQL is compiled once per organization and filters (portal.sqlmemo):
            # `queryset` is built from the organization and `memo` alone; and, with nothing
            # it read changed since, the page's rows are served again (portal.pagememo).
            organization = self.organization
            memo_key = (type(self).__name__, organization.pk, organization.kind, memo)
            make = queryset
            columns = rows.page

            def page_rows() -> tuple[list[dict[str, Any]], str | None]:
                page = read(lambda: make().values_list(*rows.columns, named=True), memo_key)
                return columns(page.object_list, organization.pk), page.next_cursor

            results, next_cursor = kept_value(
                f"api.{type(self).__qualname__}",
                (memo_key, cursor, str(zone), get_language()),
                page_rows,
            )
        else:
            base = queryset() if callable(queryset) else queryset
            source = base.values_list(*rows.columns, named=True) if rows is not None else base
            page = read(source, None)
            if prepare is not None:
                page.object_list = prepare(page.object_list)
            next_cursor = page.next_cursor
            if rows is not None:
                results = rows.page(page.object_list, self.organization.pk)
            else:
                assert serializer is not None
                context = {"organization": self.organization}
                results = serializer(page.object_list, many=True, context=context).data
        next_url = None
        if next_cursor:
            query = request.query_params.copy()
            query["cursor"] = next_cursor
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        return Response({"next": next_url, "results": results})


class OrganizationView(ApiView):
    required_action = Action.VIEW_LEGAL_INFO

    @extend_schema(
        operation_id="organization_retrieve",
        summary="The caller's organization",
        responses={200: OrganizationSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        return Response(OrganizationSerializer(self.organization).data)


class IndirectResellerListView(ApiView):
    required_action = Action.VIEW_RELATIONSHIPS
    organization_kinds = {Kind.PROVIDER}

    @extend_schema(
        operation_id="indirect_resellers_list",
        summary="A provider's indirect resellers, newest authorization first",
        parameters=[CURSOR],
        responses={200: page_of(IndirectResellerSerializer), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        organization = self.organization
        return self.keyset_response(
            request,
            lambda: resellers_of_provider(provider=organization),
            field_name="authorized_at",
            rows=INDIRECT_RESELLERS,
        )


class CustomerListView(ApiView):
    required_action = Action.VIEW_CUSTOMERS

    @extend_schema(
        operation_id="customers_list",
        summary="Customers (a reseller's own, a provider's shared ones), newest first",
        parameters=[CURSOR],
        responses={200: page_of(CustomerSerializer), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        organization = self.organization
        return self.keyset_response(
            request,
            lambda: customers_for(organization=organization),
            field_name="created_at",
            rows=CUSTOMERS,
        )


class SubscriptionFilterSerializer(serializers.Serializer):
    """The list's filters (those of the Subscriptions page), each an index range of its own."""

    status = serializers.ChoiceField(choices=Subscription.Status.choices, required=False)
    customer_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)


# Without any of these the filters are valid and empty (no serializer built: it costs more
# than building the page's rows).
SUBSCRIPTION_FILTERS = tuple(SubscriptionFilterSerializer().fields)


class SubscriptionListView(ApiView):
    required_action = Action.VIEW_SUBSCRIPTIONS

    @extend_schema(
        operation_id="subscriptions_list",
        summary="Subscriptions the organization sees, newest purchase first",
        parameters=[CURSOR, SubscriptionFilterSerializer, ACT_AS_CUSTOMER],
        responses={200: page_of(SubscriptionSerializer), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters: dict[str, Any] = {}
        if any(name in request.query_params for name in SUBSCRIPTION_FILTERS):
            # A plain dict: from a QueryDict an empty `?status=` would count as absent.
            given = SubscriptionFilterSerializer(data=request.query_params.dict())
            given.is_valid(raise_exception=True)
            filters = given.validated_data
        organization = self.organization
        return self.keyset_response(
            request,
            lambda: subscription_list(organization=organization, **filters),
            field_name="purchased_at",
            rows=SUBSCRIPTIONS,
            memo=tuple(sorted(filters.items())),
        )


class SubscriptionDetailView(ApiView):
    required_action = Action.VIEW_SUBSCRIPTIONS

    @extend_schema(
        operation_id="subscriptions_retrieve",
        summary="One subscription",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH), ACT_AS_CUSTOMER],
        responses={200: SubscriptionSerializer, **ERRORS},
    )
    def get(self, request: Request, id: str) -> Response:
        subscription = None
        if id.isascii() and id.isdigit() and len(id) < 19:
            subscription = subscription_for(organization=self.organization, pk=int(id))
        if subscription is None:
            raise exceptions.NotFound(_("No such subscription."))
        return Response(
            SubscriptionSerializer(subscription, context={"organization": self.organization}).data
        )
