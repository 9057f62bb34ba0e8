"""The invoice list and detail pages: each party sees the invoices it issued and received,
never another tier's or another tenant's (404); the list costs the same number of queries at
any size; the filters narrow it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing.models import Charge, Tier
from tests.commerce.billing_factories import offer, subscription
from tests.factories import member
from tests.invoicing.factories import chain, charge, invoice

pytestmark = pytest.mark.django_db


def test_each_party_sees_the_invoices_it_issued_and_received(client_for):
    c = chain()
    northwind = client_for(member(c.northwind)).get("/billing/invoices/").text
    contoso = client_for(member(c.contoso)).get("/billing/invoices/").text
    adatum = client_for(member(c.adatum)).get("/billing/invoices/").text

    for inv in (c.provider_invoice, c.reseller_invoice, c.other_invoice):
        assert inv.number in northwind
    assert c.provider_invoice.number in contoso
    assert c.reseller_invoice.number not in contoso
    assert c.other_invoice.number not in contoso
    assert c.reseller_invoice.number in adatum
    assert c.provider_invoice.number not in adatum
    assert c.other_invoice.number not in adatum


def test_billing_admin_sees_the_invoices_and_an_agent_is_refused(client_for):
    c = chain()
    billing = client_for(member(c.northwind, billing_admin=True)).get("/billing/invoices/")
    assert billing.status_code == 200
    agent = client_for(member(c.northwind, admin_agent=True)).get("/billing/invoices/")
    assert agent.status_code == 403


def test_another_tenants_invoice_is_a_404(client_for):
    c = chain()
    adatum = client_for(member(c.adatum))
    for path in ("/billing/invoices/{}/", "/billing/invoices/{}/pdf/"):
        assert adatum.get(path.format(c.provider_invoice.pk)).status_code == 404
        assert adatum.get(path.format(c.other_invoice.pk)).status_code == 404
    contoso = client_for(member(c.contoso))
    assert contoso.get(f"/billing/invoices/{c.reseller_invoice.pk}/").status_code == 404
    assert adatum.get(f"/billing/invoices/{c.reseller_invoice.pk}/").status_code == 200


def test_the_detail_shows_the_lines_totals_and_both_parties_at_its_tier(client_for):
    c = chain()
    page = client_for(member(c.adatum)).get(f"/billing/invoices/{c.reseller_invoice.pk}/")
    text = page.text
    assert "Northwind Traders" in text and "Adatum Corporation" in text
    assert "€106.00" in text  # 100.00 + 3 days of usage at 2.00
    assert "€100.00" in text and "€6.00" in text  # usage summed into one line
    assert "€80.00" not in text and "€4.50" not in text  # never Contoso's prices
    assert f"/billing/invoices/{c.reseller_invoice.pk}/pdf/" in text


def test_the_provider_detail_never_shows_the_customer_prices(client_for):
    c = chain()
    text = client_for(member(c.northwind)).get(f"/billing/invoices/{c.provider_invoice.pk}/").text
    assert "€124.50" in text  # 80 + 4.50 + 40
    assert "€12.50" not in text and "€100.00" not in text


def test_filters_narrow_the_list(client_for):
    c = chain()
    client = client_for(member(c.northwind))
    issued = client.get("/billing/invoices/?direction=issued").text
    assert c.reseller_invoice.number in issued and c.provider_invoice.number not in issued
    received = client.get("/billing/invoices/?direction=received").text
    assert c.provider_invoice.number in received and c.reseller_invoice.number not in received
    usd = client.get("/billing/invoices/?currency=USD").text
    assert c.provider_invoice.number not in usd


def test_period_filter_lists_closed_months(client_for):
    from invoicing.models import BillingPeriod

    c = chain()
    BillingPeriod.objects.create(period=date(2026, 10, 1), status=BillingPeriod.Status.CLOSED)
    november = invoice(c.contoso, c.northwind, tier=Tier.PROVIDER, period=date(2026, 11, 1))
    BillingPeriod.objects.create(period=date(2026, 11, 1), status=BillingPeriod.Status.CLOSED)
    client = client_for(member(c.northwind))
    october = client.get("/billing/invoices/?period=2026-10").text
    assert c.provider_invoice.number in october and november.number not in october
    only_november = client.get("/billing/invoices/?period=2026-11").text
    assert november.number in only_november and c.provider_invoice.number not in only_november


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_list_costs_the_same_queries_with_3_and_60_invoices(client_for):
    c = chain()
    client = client_for(member(c.northwind))
    client.get("/billing/invoices/")  # warm the session and caches
    few = _queries(client, "/billing/invoices/")
    for month in range(1, 10):
        charge(c.seats, tier=Tier.PROVIDER, amount="1.00", day=date(2025, month, 1))
    for n in range(57):
        other = chain()
        invoice(other.contoso, c.northwind, tier=Tier.PROVIDER, period=date(2025, 1 + n % 9, 1))
    received = "/billing/invoices/?direction=received&currency=EUR"
    few_received = _queries(client, received)
    many = _queries(client, "/billing/invoices/")
    assert many == few
    for n in range(3):
        other = chain()
        invoice(other.contoso, c.northwind, tier=Tier.PROVIDER, period=date(2024, 1 + n, 1))
    assert _queries(client, received) == few_received


def test_the_list_walks_issued_and_received_invoices_in_one_order(client_for, monkeypatch):
    """Northwind's received and issued invoices are two index reads merged into one list
    (invoicing.selectors.invoice_list): newest first, each invoice once, forward and back."""
    from datetime import timedelta

    from django.utils import timezone

    from invoicing import views
    from invoicing.models import Invoice

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    c = chain()
    for n in range(3):
        other = chain()
        invoice(other.contoso, c.northwind, tier=Tier.PROVIDER, period=date(2025, 1 + n, 1))
    mine = Invoice.objects.filter(seller=c.northwind) | Invoice.objects.filter(buyer=c.northwind)
    start = timezone.now()
    for n, inv in enumerate(mine.order_by("pk")):  # issued and received, interleaved in time
        Invoice.objects.filter(pk=inv.pk).update(issued_at=start - timedelta(hours=n))
    expected = [i.number for i in mine.order_by("-issued_at", "-pk")]
    assert len(expected) >= 6
    client = client_for(member(c.northwind))

    def page(url: str) -> tuple[list[str], str | None, str | None]:
        """The page's invoice numbers in the order shown, its older and newer links."""
        text = client.get(url).text
        seen = [n for _at, n in sorted((text.find(n), n) for n in expected if n in text)]
        older = re.search(r'href="\?(after=[^"]+)"', text)
        newer = re.search(r'href="\?(before=[^"]+)"', text)
        return (
            seen,
            f"/billing/invoices/?{older.group(1)}" if older else None,
            f"/billing/invoices/?{newer.group(1)}" if newer else None,
        )

    pages, url, newer_links = [], "/billing/invoices/", []
    while url:
        seen, url, newer = page(url)
        pages.append(seen)
        newer_links.append(newer)
        assert len(pages) < 10
    assert [n for p in pages for n in p] == expected
    assert all(len(p) == 2 for p in pages[:-1])
    # Back from the last page, one page at a time: the same pages in reverse.
    back = newer_links[-1]
    for expected_page in reversed(pages[:-1]):
        assert back is not None
        seen, _older, back = page(back)
        assert seen == expected_page
    assert back is None


def test_a_long_invoice_pages_its_lines_by_whole_subscriptions(client_for, monkeypatch):
    """Five subscriptions, the third with two lines (its seats and its usage), at three lines a
    page: 1-2 (the third would not fit whole), 3-4, 5; each "Next lines" link opens the rest,
    and every page costs the same queries whatever its number of lines."""
    from invoicing import views

    monkeypatch.setattr(views, "LINE_GROUPS_PER_PAGE", 3)
    c = chain()
    names = ["Alpha Suite", "Bravo Suite", "Charlie Suite", "Delta Suite", "Echo Suite"]
    december = date(2026, 12, 1)
    for name in names:
        sub = subscription(
            customer=c.adatum, reseller=c.northwind, provider=c.contoso, offer_=offer(name)
        )
        charge(sub, tier=Tier.RESELLER, amount="12.00", day=december)
        if name == "Charlie Suite":
            charge(sub, tier=Tier.RESELLER, amount="0.75", kind=Charge.Kind.USAGE, day=december)
    long = invoice(c.northwind, c.adatum, tier=Tier.RESELLER, period=december)
    assert long.lines == 6
    client = client_for(member(c.adatum))
    path = f"/billing/invoices/{long.pk}/"
    client.get(path)  # warm the session and caches

    pages, costs, usage = [], [], []
    while path:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200
        costs.append(len(captured.captured_queries))
        text = response.text
        pages.append([name for name in names if name in text])
        usage.append("€0.75" in text)  # Charlie's usage line, beside its seats
        assert "€60.75" in text  # the invoice's total on every page
        assert ("First lines" in text) == (len(pages) > 1)
        link = re.search(r'href="(\?after=\d+)">Next lines<', text)
        path = f"/billing/invoices/{long.pk}/{link[1]}" if link else ""
    assert pages == [names[:2], names[2:4], names[4:]]
    assert usage == [False, True, False]
    assert len(set(costs)) == 1, costs


def test_the_billing_page_links_to_invoices_and_reconciliation(client_for):
    c = chain()
    text = client_for(member(c.northwind)).get("/billing/").text
    assert 'href="/billing/invoices/"' in text and 'href="/billing/reconciliation/"' in text
    agent = client_for(member(c.northwind, admin_agent=True)).get("/dashboard/").text
    assert 'href="/billing/invoices/"' not in agent


def test_the_pages_speak_italian(client_for):
    c = chain()
    admin = member(c.adatum)
    admin.user.language = "it"
    admin.user.save(update_fields=["language"])
    client = client_for(admin)
    assert "Le fatture emesse e ricevute" in client.get("/billing/invoices/").text
    detail = client.get(f"/billing/invoices/{c.reseller_invoice.pk}/").text
    assert "106,00\u00a0€" in detail and "Scarica il PDF" in detail


def test_only_the_deepest_navigation_entry_is_current():
    from portal.navigation import navigation

    c = chain()
    items = navigation(member(c.northwind), "/billing/invoices/")["main"]
    assert [str(i["label"]) for i in items if i["active"]] == ["Invoices"]
    items = navigation(member(c.northwind), "/billing/")["main"]
    assert [str(i["label"]) for i in items if i["active"]] == ["Billing"]
