"""Price tiers: what each party pays for a unit per month. The catalogue price (`OfferPrice`) is
the provider's cost; the provider's price list (`PriceRule` rows of the provider) sets what its
resellers pay; the reseller's price list sets what its customers pay, over what the reseller
buys at. `tier_prices` is the one resolution every door uses (ordering, renewal, the order form's
preview, the Price lists page's preview, the demo); `PriceBook` is the same resolution over
rules read once, for code that prices many subscriptions (seed_scale, the demo).

Resolution for one seller and one buyer at a time T: among the seller's rules for the offer and
currency with `effective_from` on or before T's date, a rule for that buyer (an override) wins
over a default (no buyer); within a scope the latest `effective_from` wins. No rule: the buyer
pays what the seller pays. A markup is rounded half up to the cent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import Q
from django.utils import timezone

from portal.models import Organization

from .models import Offer, OfferPrice, PriceRule, Term

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


class TierPrices(NamedTuple):
    """Unit prices per month: the provider's cost, the reseller's and the customer's."""

    cost: Decimal
    reseller: Decimal
    customer: Decimal


def catalogue_price(price: OfferPrice, term: str) -> Decimal:
    return price.annual_term_price if term == Term.ANNUAL else price.monthly_term_price


def price_after(base: Decimal, rule: PriceRule | None) -> Decimal:
    """What the buyer pays under `rule` when the seller pays `base` (no rule: `base`)."""
    if rule is None:
        return base
    if rule.kind == PriceRule.Kind.FIXED:
        return Decimal(rule.fixed_price or 0).quantize(CENT, rounding=ROUND_HALF_UP)
    markup = Decimal(rule.markup_percent or 0)
    return (base * (HUNDRED + markup) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def _day(at: datetime | date | None) -> date:
    if at is None:
        return timezone.localdate()
    if isinstance(at, datetime):
        return timezone.localdate(at) if timezone.is_aware(at) else at.date()
    return at


def _pk(value: Organization | int | None) -> int | None:
    return value.pk if isinstance(value, Organization) else value


class PriceBook:
    """Rules read once (`PriceBook.load`), resolved in memory: `rule_for(seller, buyer, offer,
    currency, day)`. The rules are kept per (seller, offer, currency), newest first."""

    def __init__(self, rules: Iterable[PriceRule]) -> None:
        self._rules: dict[tuple[int, int, str], list[PriceRule]] = {}
        for rule in sorted(rules, key=lambda r: (r.effective_from, r.pk or 0), reverse=True):
            key = (rule.organization_id, rule.offer_id, rule.currency)
            self._rules.setdefault(key, []).append(rule)

    @classmethod
    def load(cls, *, sellers: Iterable[int], offer_id: int | None = None) -> PriceBook:
        """The rules of `sellers` (for one offer if given): one query."""
        qs = PriceRule.objects.filter(organization_id__in=list(sellers))
        if offer_id is not None:
            qs = qs.filter(offer_id=offer_id)
        return cls(qs)

    def rule_for(
        self, *, seller: int, buyer: int | None, offer: int, currency: str, day: date
    ) -> PriceRule | None:
        default = None
        for rule in self._rules.get((seller, offer, currency), ()):
            if rule.effective_from > day:
                continue
            if rule.buyer_id is not None and rule.buyer_id == buyer:
                return rule  # the newest override in force
            if rule.buyer_id is None and default is None:
                default = rule
        return default

    def prices(
        self,
        *,
        cost: Decimal,
        offer: int,
        currency: str,
        provider: int,
        reseller: int,
        customer: int | None,
        day: date,
    ) -> TierPrices:
        reseller_price = price_after(
            cost,
            self.rule_for(seller=provider, buyer=reseller, offer=offer, currency=currency, day=day),
        )
        customer_price = price_after(
            reseller_price,
            self.rule_for(seller=reseller, buyer=customer, offer=offer, currency=currency, day=day),
        )
        return TierPrices(cost, reseller_price, customer_price)


def _rules_of(provider_id: int, reseller_id: int, customer_id: int | None, day: date):
    """The rules that may price a sale from `provider_id` through `reseller_id` to
    `customer_id` on `day`: both sellers' defaults and their overrides for these buyers."""
    return PriceRule.objects.filter(
        Q(organization_id=provider_id, buyer__isnull=True)
        | Q(organization_id=provider_id, buyer_id=reseller_id)
        | Q(organization_id=reseller_id, buyer__isnull=True)
        | Q(organization_id=reseller_id, buyer_id=customer_id),
        effective_from__lte=day,
    )


def tier_prices(
    *,
    offer: Offer | int,
    currency: str,
    term: str,
    provider: Organization | int,
    reseller: Organization | int,
    customer: Organization | int | None,
    at: datetime | date | None = None,
    catalogue: OfferPrice | None = None,
) -> TierPrices | None:
    """The three tiers' unit prices per month for `offer` in `currency` and `term`, with the
    price lists in force at `at` (now by default); None when the offer has no price in the
    currency. Two queries (the catalogue price unless given, the two sellers' rules)."""
    offer_id = offer.pk if isinstance(offer, Offer) else offer
    if catalogue is None:
        catalogue = OfferPrice.objects.filter(offer_id=offer_id, currency=currency).first()
        if catalogue is None:
            return None
    provider_id, reseller_id, customer_id = _pk(provider), _pk(reseller), _pk(customer)
    assert provider_id is not None and reseller_id is not None
    day = _day(at)
    rules = _rules_of(provider_id, reseller_id, customer_id, day).filter(
        offer_id=offer_id, currency=currency
    )
    return PriceBook(rules).prices(
        cost=catalogue_price(catalogue, term),
        offer=offer_id,
        currency=currency,
        provider=provider_id,
        reseller=reseller_id,
        customer=customer_id,
        day=day,
    )


class OfferTiers(NamedTuple):
    """An offer's catalogue price in a currency and the tiers' prices for each term."""

    price: OfferPrice
    monthly: TierPrices
    annual: TierPrices


def offers_tier_prices(
    *,
    prices: list[OfferPrice],
    provider: Organization | int,
    reseller: Organization | int,
    customer: Organization | int | None,
    at: datetime | date | None = None,
) -> list[OfferTiers]:
    """`tier_prices` for every offer of `prices` (the order page's price table and preview): one
    query for the two sellers' rules, whatever the number of offers."""
    provider_id, reseller_id, customer_id = _pk(provider), _pk(reseller), _pk(customer)
    assert provider_id is not None and reseller_id is not None
    day = _day(at)
    book = PriceBook(
        _rules_of(provider_id, reseller_id, customer_id, day).filter(
            offer_id__in=[price.offer_id for price in prices]
        )
    )

    def tiers(price: OfferPrice, term: str) -> TierPrices:
        return book.prices(
            cost=catalogue_price(price, term),
            offer=price.offer_id,
            currency=price.currency,
            provider=provider_id,
            reseller=reseller_id,
            customer=customer_id,
            day=day,
        )

    return [OfferTiers(p, tiers(p, Term.MONTHLY), tiers(p, Term.ANNUAL)) for p in prices]


class PreviewRow(NamedTuple):
    """One line of the Price lists page's preview: through which provider (a reseller's view;
    None for a provider's), the term, what the seller pays and what its buyer pays."""

    provider: Organization | None
    term: str
    buy: Decimal
    sell: Decimal


def price_preview(
    *,
    seller: Organization,
    providers: list[Organization],
    price: OfferPrice,
    buyer_id: int | None,
    at: date | None = None,
) -> list[PreviewRow]:
    """What `seller` pays and what its buyer (`buyer_id`, or any buyer under the default) pays
    for `price`'s offer on `at`, per term: a provider its cost and the reseller's price; a
    reseller, through each of its `providers`, its price and the customer's. One query."""
    day = _day(at)
    sellers = [seller.pk] + [p.pk for p in providers]
    book = PriceBook(
        PriceRule.objects.filter(
            organization_id__in=sellers,
            offer_id=price.offer_id,
            currency=price.currency,
            effective_from__lte=day,
        )
    )
    offer, currency = price.offer_id, price.currency

    def rule(of: int, to: int | None) -> PriceRule | None:
        return book.rule_for(seller=of, buyer=to, offer=offer, currency=currency, day=day)

    rows = []
    for term in (Term.MONTHLY, Term.ANNUAL):
        cost = catalogue_price(price, term)
        if seller.kind == Organization.Kind.PROVIDER:
            rows.append(PreviewRow(None, term, cost, price_after(cost, rule(seller.pk, buyer_id))))
            continue
        for provider in providers:
            buy = price_after(cost, rule(provider.pk, seller.pk))
            sell = price_after(buy, rule(seller.pk, buyer_id))
            rows.append(PreviewRow(provider, term, buy, sell))
    return rows
