"""An Italian subscription email against its page (issue 23): the purchase email writes the
monthly cost, the term's end and the unit exactly as the subscription page does (one `money` and
one date function), says who ordered it (not "changed by"), and names in Italian what a unit is."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse
from django.utils import translation

from commerce.models import Offer
from commerce.services import order_place
from portal.models import OutboxMessage
from portal.templatetags.portal_formats import local_date, money
from tests.factories import acting, member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
)

pytestmark = pytest.mark.django_db


def _squeeze(text: str) -> str:
    # Spaces and line breaks only: the no-break space between amount and symbol is kept.
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def _text(page: str) -> str:
    return _squeeze(html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_the_italian_purchase_email_writes_what_the_page_shows(client_for):
    shared = CustomerRelationshipFactory(
        customer=customer_org(legal_name="Adatum Retail S.p.A."),
        relationship=ProviderRelationshipFactory(
            provider=provider_org(legal_name="Contoso S.p.A.")
        ),
    )
    adatum = member(shared.customer)
    adatum.user.language = "it"
    adatum.user.save(update_fields=["language"])
    contoso = member(shared.provider)
    offer = Offer.objects.get(code="team-workspace-premium")
    subscription = order_place(
        **acting(contoso),
        customer_id=shared.customer_id,
        offer_id=offer.pk,
        quantity=120,
        term="monthly",
        billing_frequency="monthly",
    )
    assert subscription.currency == "EUR" and subscription.monthly_cost >= 1000
    message = OutboxMessage.objects.get(to_email=adatum.user.email)
    assert message.language == "it"
    with translation.override("it"):
        cost = money(subscription.monthly_cost, "EUR")
        term_end = local_date(subscription.term_end)
    # Italian grouping and the symbol after the amount: "2.640,00 €", not "2640,00 EUR".
    assert re.fullmatch(r"\d\.\d{3},\d\d\u00a0€", cost), cost
    page = _text(
        client_for(adatum)
        .get(reverse("commerce:subscription_detail", args=[subscription.pk]))
        .content.decode()
    )
    email_text = _squeeze(message.body_text)
    email_html = _text(message.body_html)
    for shown in (cost, term_end, "120 \u00d7 utente"):
        assert shown in page, shown
        assert shown in email_text, shown
        assert shown in email_html, shown
    # A new purchase is ordered, not changed; the name's own full stop ends the sentence.
    assert "Ordinato da Contoso S.p.A." in email_text
    assert "Modificato" not in email_text
    assert "S.p.A.." not in email_text + message.subject + message.body_html
    assert "user" not in email_text.replace(adatum.user.email, "")


def test_a_change_is_still_described_as_changed(client_for):
    shared = CustomerRelationshipFactory()
    admin = member(shared.customer)
    contoso = member(shared.provider)
    subscription = order_place(
        **acting(contoso),
        customer_id=shared.customer_id,
        offer_id=Offer.objects.get(code="team-workspace-basic").pk,
        quantity=3,
        term="monthly",
        billing_frequency="monthly",
    )
    from commerce.services import subscription_quantity_change

    subscription_quantity_change(**acting(contoso), subscription_id=subscription.pk, quantity=5)
    texts = list(
        OutboxMessage.objects.filter(to_email=admin.user.email)
        .order_by("pk")
        .values_list("body_text", flat=True)
    )
    assert len(texts) == 2
    assert "Ordered by" in texts[0] and "Changed by" in texts[1]
    assert "5 \u00d7 user" in texts[1]
