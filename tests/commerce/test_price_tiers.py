"""Price tiers (issue 25 item 1): the resolution of price lists (default, override, effective
dates, markup or fixed, cents), the price lock until renewal, the Price lists page, and the
visibility rule: each party sees only its own buy and sell prices, on every page, export, email
and API response. Prices are distinct at each tier: cost 10.00, reseller 11.20 (+12%),
customer 13.44 (+20%), quantity 1, so an amount on a page names its tier."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commerce.models import BillingTotal, PriceRule
from commerce.pricing import PriceBook, TierPrices, price_after, tier_prices
from commerce.services import order_place, subscriptions_sweep_due
from portal.models import OutboxMessage, User
from relationships.models import ProviderRelationship
from tests.api.factories import api_client_of, bearer
from tests.commerce.billing_factories import offer
from tests.factories import acting, member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
    reseller_org,
)

pytestmark = pytest.mark.django_db

COST, RESELLER, CUSTOMER = "10.00", "11.20", "13.44"


def _rule(seller, offer_, *, buyer=None, markup=None, fixed=None, since=None, currency="EUR"):
    return PriceRule.objects.create(
        organization=seller,
        buyer=buyer,
        offer=offer_,
        currency=currency,
        kind=PriceRule.Kind.FIXED if fixed is not None else PriceRule.Kind.MARKUP,
        markup_percent=None if markup is None else Decimal(markup),
        fixed_price=None if fixed is None else Decimal(fixed),
        effective_from=since or timezone.localdate() - timedelta(days=30),
    )


@pytest.fixture
def tiers():
    """Tierprov sells to Tierresell at +12%, Tierresell to its customers at +20%; Tiercust is
    an Italian customer (EUR). Another provider, reseller and customer beside them."""
    shared = CustomerRelationshipFactory(
        customer=customer_org(legal_name="Tiercust Retail"),
        relationship=ProviderRelationshipFactory(
            provider=provider_org(legal_name="Tierprov Distribution"),
            reseller=reseller_org(legal_name="Tierresell IT"),
        ),
    )
    product = offer("Tier Suite", prices={"EUR": COST, "USD": "12.00"})
    _rule(shared.provider, product, markup="12")
    _rule(shared.reseller, product, markup="20")
    other = CustomerRelationshipFactory(customer=customer_org(legal_name="Othertier Foods"))
    return {"shared": shared, "offer": product, "other": other}


def _prices(t, *, customer=None, at=None, term="monthly"):
    shared = t["shared"]
    return tier_prices(
        offer=t["offer"],
        currency="EUR",
        term=term,
        provider=shared.provider,
        reseller=shared.reseller,
        customer=customer or shared.customer,
        at=at,
    )


# Resolution ------------------------------------------------------------------------------------


def test_defaults_mark_up_each_tier_over_the_one_below(tiers):
    assert _prices(tiers) == TierPrices(Decimal(COST), Decimal(RESELLER), Decimal(CUSTOMER))
    # The annual term: 9.00 -> 10.08 -> 12.10 (12.096 rounded half up).
    assert _prices(tiers, term="annual") == TierPrices(
        Decimal("9.00"), Decimal("10.08"), Decimal("12.10")
    )


def test_an_override_beats_the_default_and_a_fixed_price_ignores_the_buy_price(tiers):
    shared = tiers["shared"]
    _rule(shared.reseller, tiers["offer"], buyer=shared.customer, fixed="12.99")
    assert _prices(tiers).customer == Decimal("12.99")
    # Another customer of the reseller keeps the default.
    pair = ProviderRelationship.objects.get(provider=shared.provider, reseller=shared.reseller)
    other = CustomerRelationshipFactory(
        relationship=pair, customer=customer_org(legal_name="Secondtier SRL")
    )
    assert _prices(tiers, customer=other.customer).customer == Decimal(CUSTOMER)
    # An override of the provider for this reseller.
    _rule(shared.provider, tiers["offer"], buyer=shared.reseller, markup="5")
    assert _prices(tiers) == TierPrices(Decimal(COST), Decimal("10.50"), Decimal("12.99"))


def test_the_rule_in_force_is_the_latest_started(tiers):
    shared, today = tiers["shared"], timezone.localdate()
    _rule(shared.provider, tiers["offer"], markup="30", since=today + timedelta(days=10))
    _rule(shared.provider, tiers["offer"], markup="15", since=today - timedelta(days=1))
    assert _prices(tiers).reseller == Decimal("11.50")  # +15%: the +30% starts later
    assert _prices(tiers, at=today + timedelta(days=10)).reseller == Decimal("13.00")
    assert _prices(tiers, at=today - timedelta(days=5)).reseller == Decimal(RESELLER)
    # Before any rule: the catalogue price at every tier.
    assert _prices(tiers, at=today - timedelta(days=60)) == TierPrices(*(Decimal(COST),) * 3)


def test_markups_round_half_up_to_the_cent():
    rule = PriceRule(kind=PriceRule.Kind.MARKUP, markup_percent=Decimal("15"))
    assert price_after(Decimal("3.33"), rule) == Decimal("3.83")  # 3.8295
    assert price_after(Decimal("0.10"), PriceRule(kind="markup", markup_percent=5)) == Decimal(
        "0.11"
    )  # 0.105
    assert price_after(Decimal("7"), None) == Decimal("7")
    fixed = PriceRule(kind=PriceRule.Kind.FIXED, fixed_price=Decimal("4.5"))
    assert price_after(Decimal("100"), fixed) == Decimal("4.50")


def test_a_price_book_resolves_in_memory_without_queries(tiers):
    shared = tiers["shared"]
    book = PriceBook.load(sellers=[shared.provider_id, shared.reseller_id])
    with CaptureQueriesContext(connection) as ctx:
        prices = book.prices(
            cost=Decimal(COST),
            offer=tiers["offer"].pk,
            currency="EUR",
            provider=shared.provider_id,
            reseller=shared.reseller_id,
            customer=shared.customer_id,
            day=timezone.localdate(),
        )
    assert len(ctx.captured_queries) == 0
    assert prices == _prices(tiers)


# Orders and the price lock ---------------------------------------------------------------------


def _order(t, membership=None, quantity=1):
    shared = t["shared"]
    return order_place(
        **acting(membership or member(shared.provider)),
        customer_id=shared.customer_id,
        offer_id=t["offer"].pk,
        quantity=quantity,
        term="monthly",
        billing_frequency="monthly",
    )


def _total(org, customer=None):
    return BillingTotal.objects.get(organization=org, customer=customer, currency="EUR")


def test_an_order_takes_the_tier_prices_and_each_party_totals_its_own_buy_price(tiers):
    shared = tiers["shared"]
    made = _order(tiers, quantity=3)
    assert (made.unit_price, made.reseller_price, made.customer_price) == (
        Decimal(COST),
        Decimal(RESELLER),
        Decimal(CUSTOMER),
    )
    assert (made.order.reseller_price, made.order.customer_price) == (
        Decimal(RESELLER),
        Decimal(CUSTOMER),
    )
    assert _total(shared.provider).monthly_cost == Decimal("30.00")
    assert _total(shared.reseller).monthly_cost == Decimal("33.60")
    assert _total(shared.customer).monthly_cost == Decimal("40.32")
    assert _total(shared.reseller, shared.customer).monthly_cost == Decimal("33.60")


def test_a_running_subscription_keeps_its_prices_until_renewal(tiers):
    shared = tiers["shared"]
    made = _order(tiers, quantity=2)
    # Both sellers raise their prices from tomorrow.
    tomorrow = timezone.localdate() + timedelta(days=1)
    _rule(shared.provider, tiers["offer"], markup="20", since=tomorrow)
    _rule(shared.reseller, tiers["offer"], buyer=shared.customer, fixed="15.00", since=tomorrow)
    with time_machine.travel(timezone.now() + timedelta(days=5)):
        made.refresh_from_db()
        assert made.reseller_price == Decimal(RESELLER)  # locked for the term
        assert made.customer_price == Decimal(CUSTOMER)
    with time_machine.travel(made.term_end + timedelta(minutes=1)):
        assert subscriptions_sweep_due() == 1
    made.refresh_from_db()
    assert made.term_start > timezone.now()  # renewed: a new term
    assert (made.unit_price, made.reseller_price, made.customer_price) == (
        Decimal(COST),
        Decimal("12.00"),
        Decimal("15.00"),
    )
    assert _total(shared.provider).monthly_cost == Decimal("20.00")
    assert _total(shared.reseller).monthly_cost == Decimal("24.00")
    assert _total(shared.customer).monthly_cost == Decimal("30.00")
    assert _total(shared.customer, shared.customer).subscriptions == 1


# Visibility ------------------------------------------------------------------------------------


def _forbidden(side: str) -> list[str]:
    """The amounts `side` must never see, in either language's formatting."""
    hidden = {"provider": [CUSTOMER], "reseller": [COST], "customer": [COST, RESELLER]}[side]
    return hidden + [amount.replace(".", ",") for amount in hidden]


def _visible(side: str) -> list[str]:
    return {"provider": [COST, RESELLER], "reseller": [RESELLER, CUSTOMER], "customer": [CUSTOMER]}[
        side
    ]


@pytest.fixture
def sold(tiers, client_for):
    shared = tiers["shared"]
    clients = {
        "provider": client_for(member(shared.provider)),
        "reseller": client_for(member(shared.reseller)),
        "customer": client_for(member(shared.customer)),
    }
    made = _order(tiers)
    return {"subscription": made, "clients": clients, **tiers}


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("side", ["provider", "reseller", "customer"])
def test_each_party_sees_only_its_own_prices_on_every_page_and_export(sold, side):
    client = sold["clients"][side]
    pk = sold["subscription"].pk
    pages = {
        "list": client.get("/subscriptions/"),
        "detail": client.get(f"/subscriptions/{pk}/"),
        "billing": client.get("/billing/"),
        "billing.csv": client.get("/billing/export.csv"),
        "subscriptions.csv": client.get("/subscriptions/export.csv"),
    }
    for name, response in pages.items():
        text = _text(response)
        for amount in _forbidden(side):
            assert amount not in text, (side, name, amount)
        assert _visible(side)[-1] in text or _visible(side)[-1].replace(".", ",") in text, (
            side,
            name,
        )
    detail = _text(client.get(f"/subscriptions/{pk}/"))
    for amount in _visible(side):
        assert amount in detail, (side, amount)


@pytest.mark.parametrize("side", ["provider", "reseller"])
def test_the_order_page_shows_the_orderers_own_prices(sold, side):
    customer = sold["shared"].customer_id
    text = _text(sold["clients"][side].get(f"/customers/{customer}/order/"))
    for amount in _forbidden(side):
        assert amount not in text, amount
    for amount in _visible(side):
        assert amount in text, amount


def test_each_email_recipient_sees_its_own_price(sold):
    shared = sold["shared"]
    messages = OutboxMessage.objects.filter(template="commerce_subscription_changed")
    by_org = {m.organization_id: m for m in messages}
    assert set(by_org) == {shared.customer_id, shared.reseller_id}
    for side, org in (("customer", shared.customer_id), ("reseller", shared.reseller_id)):
        text = f"{by_org[org].subject} {by_org[org].context}"
        for amount in _forbidden(side):
            assert amount not in text, (side, amount)
        assert _visible(side)[0] in text


@pytest.mark.parametrize("side", ["provider", "reseller", "customer"])
def test_the_api_gives_each_party_its_own_prices(sold, side):
    shared = sold["shared"]
    organization = getattr(shared, side)
    api = bearer(api_client_of(member(organization), ["admin_agent"]))
    listed = api.get("/api/v1/subscriptions/").json()["results"]
    one = api.get(f"/api/v1/subscriptions/{sold['subscription'].pk}/").json()
    for row in (listed[0], one):
        # Every value but the moments, whose seconds can read like a price ("23:47:10.001Z").
        text = str({key: value for key, value in row.items() if not str(value).endswith("Z")})
        for amount in _forbidden(side):
            assert amount not in text, (side, amount)
        assert row["unit_price"] == _visible(side)[0]
        assert row["sell_unit_price"] == (None if side == "customer" else _visible(side)[1])


# The Price lists page --------------------------------------------------------------------------


URL = "/billing/price-lists/"


def _post(client, t, **data):
    payload = {
        "offer": t["offer"].pk,
        "currency": "EUR",
        "buyer": "",
        "kind": "markup",
        "markup_percent": "25",
        "fixed_price": "",
        "effective_from": (timezone.localdate() + timedelta(days=3)).isoformat(),
    }
    payload.update(data)
    return client.post(URL, payload)


def test_an_admin_adds_a_rule_for_one_of_its_customers(tiers, client_for):
    shared = tiers["shared"]
    client = client_for(member(shared.reseller, billing_admin=True))
    response = _post(client, tiers, buyer=shared.customer_id, kind="fixed", fixed_price="14.10")
    assert response.status_code == 302
    rule = PriceRule.objects.get(organization=shared.reseller, buyer=shared.customer)
    assert rule.fixed_price == Decimal("14.10") and rule.markup_percent is None
    text = _text(client.get(URL))
    assert "Tiercust Retail" in text and "14.10" in text
    # The preview at the rule's date shows the new price; today's the default's.
    day = rule.effective_from.isoformat()
    preview = f"?offer={tiers['offer'].pk}&currency=EUR&buyer={shared.customer_id}&at={day}"
    text = _text(client.get(URL + preview))
    assert "14.10" in text and RESELLER in text
    text = _text(client.get(URL + preview.replace(day, timezone.localdate().isoformat())))
    assert CUSTOMER in text


def test_errors_are_tied_to_their_fields_and_summarised(tiers, client_for):
    client = client_for(member(tiers["shared"].provider))
    response = _post(client, tiers, markup_percent="", effective_from=date(2020, 1, 1).isoformat())
    assert response.status_code == 400
    text = response.content.decode()
    assert 'id="error-summary"' in text
    assert 'href="#id_markup_percent"' in text and 'href="#id_effective_from"' in text
    assert 'aria-invalid="true"' in text
    assert not PriceRule.objects.filter(markup_percent=25).exists()


def test_another_tenants_buyer_cannot_be_chosen(tiers, client_for):
    shared, other = tiers["shared"], tiers["other"]
    client = client_for(member(shared.provider))
    page = _text(client.get(URL))
    assert "Tierresell IT" in page and other.reseller.legal_name not in page
    response = _post(client, tiers, buyer=other.reseller_id)
    assert response.status_code == 400
    assert 'href="#id_buyer"' in response.content.decode()
    # A customer's id is no buyer of a provider either.
    assert _post(client, tiers, buyer=shared.customer_id).status_code == 400
    assert not PriceRule.objects.filter(buyer__isnull=False).exists()


def test_others_rules_are_invisible_and_customers_have_no_price_lists(tiers, client_for):
    shared, other = tiers["shared"], tiers["other"]
    _rule(other.provider, tiers["offer"], markup="77")
    text = _text(client_for(member(shared.provider)).get(URL))
    assert "+12.00%" in text and "+77" not in text
    assert client_for(member(shared.customer)).get(URL).status_code in (403, 404)
    assert client_for(member(shared.provider, sales_agent=True)).get(URL).status_code in (
        403,
        404,
    )


def test_the_page_costs_the_same_queries_with_many_rules(tiers, client_for):
    shared = tiers["shared"]
    client = client_for(member(shared.provider))

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    queries()  # the session's first page reads what later pages find cached
    _rule(shared.provider, tiers["offer"], buyer=shared.reseller, markup="1")
    few = queries()
    today = timezone.localdate()
    for n in range(40):
        _rule(shared.provider, offer(f"Many {n}"), markup=str(n), since=today - timedelta(days=n))
    assert queries() == few


def test_the_operator_sees_price_rules_in_the_admin_but_changes_none(tiers):
    """Rules change only through the Price lists page's service (its member, date and audit
    rules): the admin lists and shows them, and refuses adding, editing and deleting."""
    shared = tiers["shared"]
    rule = PriceRule.objects.get(organization=shared.provider)
    client = Client()
    client.force_login(User.objects.create_superuser("root@operator.example", "x"))
    base = "/operator-admin/commerce/pricerule/"
    listing = client.get(base)
    assert listing.status_code == 200
    assert b"Tierprov Distribution" in listing.content and b"12.00" in listing.content
    assert b"Add price rule" not in listing.content
    page = client.get(f"{base}{rule.pk}/change/")
    assert page.status_code == 200 and b"Tier Suite" in page.content
    assert b'name="markup_percent"' not in page.content
    assert client.post(f"{base}{rule.pk}/change/", {"markup_percent": "50"}).status_code == 403
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}{rule.pk}/delete/", {"post": "yes"}).status_code == 403
    rule.refresh_from_db()
    assert rule.markup_percent == Decimal("12")
