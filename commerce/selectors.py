"""Reads of commerce. A subscription is visible to its provider, reseller and customer (and to a
partner acting in the customer's account: its membership is the customer's).

Every list is one index-served query per page whatever the tenant's size (a distributor's
200,000 subscriptions): the organization's side of a subscription (provider, reseller or
customer) leads an index whose order is the list's order (`Subscription.Meta.indexes`, commerce
migration 0003_lists for the filtered lists), and the Billing page reads running totals
(`BillingTotal`) instead of summing subscriptions."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Lower

from portal.models import Organization
from portal.sqlmemo import memo_count, memo_rows
from relationships.models import CustomerRelationship, ProviderRelationship
from relationships.selectors import organizations_matching

from .models import BillingTotal, OfferPrice, PriceRule, Subscription, SubscriptionEvent
from .services import subscription_parties


def prices_in(currency: str) -> QuerySet[OfferPrice]:
    """The offers on sale in a currency, with their price there (one query)."""
    return (
        OfferPrice.objects.filter(currency=currency, offer__is_active=True)
        .select_related("offer")
        .order_by("offer__name", "offer__pk")
    )


def subscription_for(*, organization: Organization, pk: int) -> Subscription | None:
    return (
        Subscription.objects.filter(subscription_parties(organization), pk=pk)
        .select_related("offer", "customer", "customer__country", "reseller", "provider")
        .first()
    )


def subscription_history(*, subscription: Subscription) -> QuerySet[SubscriptionEvent]:
    return (
        SubscriptionEvent.objects.filter(subscription=subscription)
        .select_related("actor", "actor_organization")
        .order_by("-created_at", "-pk")
    )


Kind = Organization.Kind

# Which column of a subscription names the organization that sees it.
_SIDE: dict[str, str] = {
    Kind.PROVIDER: "provider",
    Kind.RESELLER: "reseller",
    Kind.CUSTOMER: "customer",
}


def subscription_side(organization: Organization) -> str | None:
    """ "provider", "reseller" or "customer": how `organization` relates to the subscriptions it
    may see (None for an organization kind that has none, such as the operator)."""
    return _SIDE.get(organization.kind)


def subscriptions_visible_to(*, organization: Organization) -> QuerySet[Subscription]:
    """The subscriptions `organization` may see: a provider those it bills, a reseller those
    sold through it, a customer its own (also when a partner's agent acts in the customer's
    account through delegated access: the request's organization is then the customer)."""
    side = subscription_side(organization)
    if side is None:
        return Subscription.objects.none()
    return Subscription.objects.filter(**{side: organization})


def subscription_list(
    *,
    organization: Organization,
    status: str = "",
    currency: str = "",
    customer_id: int | None = None,
    customer_term: str = "",
    read_all: bool = False,
) -> QuerySet[Subscription]:
    """The Subscriptions page's and the Billing page's rows, filtered; the caller orders and
    pages them (newest purchase first). `customer_term` is a search in the customer's name,
    tested on each subscription's own copy of it (`Subscription.customer_name`), with no join
    and no look-up among every organization first: PostgreSQL walks the organization's newest
    subscriptions for a term frequent among them, or reads the trigram index (commerce
    migration 0008) for a rare one. `read_all` (an organization with few subscriptions:
    `has_few_subscriptions`) tests every one of its subscriptions instead, by an expression the
    trigram index does not serve: the index's posting lists hold every tenant's matches (7,783
    for "harbor" at scale 1.0, 1.5 ms), more than a reseller's 1,508 subscriptions (0.5 ms),
    which PostgreSQL's estimates do not see."""
    qs = subscriptions_visible_to(organization=organization)
    if status:
        qs = qs.filter(status=status)
    if currency:
        qs = qs.filter(currency=currency)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if customer_term and read_all:
        qs = qs.alias(searched_name=Lower("customer_name")).filter(
            searched_name__contains=Lower(Value(customer_term))
        )
    elif customer_term:
        qs = qs.filter(customer_name__icontains=customer_term)
    return qs.select_related("offer", "customer")


# An organization with at most this many subscriptions has its searches test every one.
FEW_SUBSCRIPTIONS = 5_000


def has_few_subscriptions(*, organization: Organization) -> bool:
    """Whether `organization` sees at most `FEW_SUBSCRIPTIONS` subscriptions: one count that
    stops past it, along the side's index (`subscription_list(read_all=...)`)."""
    counted = memo_count(
        ("commerce.has_few_subscriptions", organization.pk, organization.kind),
        lambda: (
            subscriptions_visible_to(organization=organization)
            .order_by()
            .values("pk")[: FEW_SUBSCRIPTIONS + 1]
        ),
    )
    return counted <= FEW_SUBSCRIPTIONS


# What a row of the subscription table reads (commerce/templatetags/commerce_rows.py), as one
# named tuple a row: 25 subscriptions with their offer and customer were 75 model instances,
# ~1.5 ms of the page's CPU. `pk` and `purchased_at` are the keyset page's cursor; the three
# prices are read by `prices_seen_by`, which writes only the viewer's own.
SUBSCRIPTION_ROW_COLUMNS = (
    "pk",
    "purchased_at",
    "offer__name",
    "customer_id",
    "customer__legal_name",
    "quantity",
    "status",
    "term_end",
    "ended_at",
    "auto_renew",
    "currency",
    "provider_id",
    "reseller_id",
    "unit_price",
    "reseller_price",
    "customer_price",
)


def subscription_rows(**filters) -> QuerySet:
    """`subscription_list(**filters)` as the table's named tuples (`SUBSCRIPTION_ROW_COLUMNS`),
    for a keyset page whose SQL is compiled once (`portal.paging.keyset_page(memo_key=...)`)."""
    return (
        subscription_list(**filters)
        .select_related(None)
        .values_list(*SUBSCRIPTION_ROW_COLUMNS, named=True)
    )


def customers_matching(term: str) -> list[int] | None:
    """Ids of the organizations whose name contains `term` (the trigram index), or None when
    too many do; the lists then match the name by a join. Crosses tenants only to narrow a
    query that is itself scoped to the requesting organization."""
    return organizations_matching(term)


def visible_customer(*, organization: Organization, customer_id: int) -> Any | None:
    """The customer (its `pk` and `legal_name`) of a `?customer=` filter, when `organization`
    sees one of its subscriptions (another tenant's customer is no filter and names nobody).
    Its SQL is compiled once per organization and customer (`portal.sqlmemo`: the `Exists`
    was ~1 ms of ORM work a filtered page)."""

    def build(_cursor: Any) -> QuerySet[Any]:
        return (
            Organization.objects.filter(pk=customer_id, kind=Kind.CUSTOMER)
            .filter(
                Exists(
                    subscriptions_visible_to(organization=organization).filter(
                        customer=OuterRef("pk")
                    )
                )
            )
            .order_by()
            .values_list("pk", "legal_name", named=True)[:1]
        )

    key = ("commerce.visible_customer", organization.pk, organization.kind, customer_id)
    rows = memo_rows(key, build, None)
    return rows[0] if rows else None


def billing_totals_by_currency(*, organization: Organization) -> list[Any]:
    """The organization's running totals, one row per currency it has live subscriptions in
    (a few rows: read whole), as named tuples (currency, subscriptions, monthly_cost) by SQL
    compiled once per organization (`portal.sqlmemo`: ~1 ms of ORM work a Billing page)."""

    def build(_cursor: Any) -> QuerySet[Any]:
        return (
            BillingTotal.objects.filter(organization=organization, customer__isnull=True)
            .exclude(subscriptions=0, monthly_cost=0)
            .order_by("currency")
            .values_list("currency", "subscriptions", "monthly_cost", named=True)
        )

    return memo_rows(("commerce.billing_totals_by_currency", organization.pk), build, None)


def billing_totals_per_customer(
    *,
    organization: Organization,
    currency: str = "",
    customer_id: int | None = None,
    customer_ids: list[int] | None = None,
    customer_term: str = "",
) -> QuerySet[BillingTotal]:
    """Per-customer totals with live subscriptions, for keyset pages in (customer, currency)
    order, which the index (organization, customer, currency) serves."""
    qs = BillingTotal.objects.filter(organization=organization, customer__isnull=False).filter(
        subscriptions__gt=0
    )
    if currency:
        qs = qs.filter(currency=currency)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if customer_ids is not None:
        qs = qs.filter(customer_id__any_of=customer_ids)
    elif customer_term:
        qs = qs.filter(customer__legal_name__icontains=customer_term)
    return qs.select_related("customer")


# A row of the per-customer totals (commerce/templatetags/commerce_rows.py): `customer_id` and
# `currency` are the keyset page's cursor.
CUSTOMER_TOTAL_COLUMNS = (
    "customer_id",
    "currency",
    "customer_name",
    "subscriptions",
    "monthly_cost",
)


def billing_total_rows(**filters) -> QuerySet:
    """`billing_totals_per_customer(**filters)` as named tuples (`CUSTOMER_TOTAL_COLUMNS`): no
    model instances, and a keyset page whose SQL is compiled once."""
    # The customer's name read for each row of the page, by its primary key: as a join,
    # PostgreSQL chose a merge join that read every organization below the first customer's id
    # (50,338 rows, 16 ms, for a page of 26 at scale 1.0) once the totals' ids sat high.
    name = (
        Organization.objects.filter(pk=OuterRef("customer_id")).order_by().values("legal_name")[:1]
    )
    return (
        billing_totals_per_customer(**filters)
        .select_related(None)
        .annotate(customer_name=Subquery(name))
        .values_list(*CUSTOMER_TOTAL_COLUMNS, named=True)
    )


# --- price lists ----------------------------------------------------------------------------


def price_rules_of(*, organization: Organization) -> QuerySet[PriceRule]:
    """The seller's price list, newest rule first (the index organization, created_at, id)."""
    return (
        PriceRule.objects.filter(organization=organization)
        .select_related("offer", "buyer")
        .order_by("-created_at", "-pk")
    )


def price_list_buyers(*, organization: Organization) -> QuerySet[Organization]:
    """Whom `organization` sells to, for its price list's overrides: a provider its resellers
    (an active authorization), a reseller its customers (an active relationship). Nobody
    else's: another tenant's reseller or customer is not a buyer."""
    if organization.kind == Kind.PROVIDER:
        return (
            Organization.objects.filter(
                kind=Kind.RESELLER,
                provider_relationships__provider=organization,
                provider_relationships__status=ProviderRelationship.Status.ACTIVE,
            )
            .distinct()
            .order_by("legal_name", "pk")
        )
    if organization.kind == Kind.RESELLER:
        return (
            Organization.objects.filter(
                kind=Kind.CUSTOMER,
                customer_relationships__reseller=organization,
                customer_relationships__status=CustomerRelationship.Status.ACTIVE,
            )
            .distinct()
            .order_by("legal_name", "pk")
        )
    return Organization.objects.none()
