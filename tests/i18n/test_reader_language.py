"""What a person reads is in their language, however it was stored: emails (language chosen by
recipient, then organization, then sender), notifications, the agreement, check evidence, rule
messages, and dates in one format per locale."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from enrollment import rules
from portal.audit import notify
from portal.models import Notification, OutboxMessage
from portal.notices import Notice
from tests.factories import OrganizationFactory, UserFactory, member
from tests.relationships.factories import provider_org
from verification.evidence import evidence_sentences

pytestmark = pytest.mark.django_db

INVITE = "/indirect-resellers/invite/"


def _invite(client_for, email: str, language: str) -> OutboxMessage:
    provider_admin = member(provider_org())
    response = client_for(provider_admin).post(INVITE, {"email": email, "language": language})
    assert response.status_code == 302, response.content[:500]
    return OutboxMessage.objects.get(template="relationships_reseller_invitation", to_email=email)


def test_invitation_to_a_new_address_goes_in_the_language_the_sender_chose(client_for):
    message = _invite(client_for, "boss@newco.example", "it")
    assert message.language == "it"
    assert '<html lang="it">' in message.body_html
    assert "Esamina la richiesta" in message.body_html
    # The main action is a button-styled link with words, the URL is below as text.
    url = re.search(r'href="([^"]+/invitations/[^"]+)"', message.body_html).group(1)
    link_text = re.search(rf'<a href="{re.escape(url)}"[^>]*>([^<]*)</a>', message.body_html)
    assert link_text.group(1).strip() and url not in link_text.group(1)
    assert "padding" in message.body_html.split(f'href="{url}"', 1)[1].split(">", 1)[0]
    assert message.body_html.count(url) == 2  # button + the copyable address
    # A hidden preheader: the inbox's preview line, from the text part.
    preheader = re.search(r'<div style="display: none;[^"]*"[^>]*>([^<]+)</div>', message.body_html)
    assert preheader and preheader.group(1).strip()[:20] in " ".join(message.body_text.split())
    # The expiry date as an Italian writes it.
    assert re.search(
        r"\b\d{1,2} (gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic) 20\d\d\b", message.body_text
    )


def test_invitation_to_a_person_with_an_account_uses_their_language(client_for):
    UserFactory(email="giulia@somewhere.example", language="en")
    assert _invite(client_for, "giulia@somewhere.example", "it").language == "en"


def test_invitation_to_an_address_of_an_italian_organization_uses_its_language(client_for):
    OrganizationFactory(primary_domain="rossi-srl.example", language="it")
    assert _invite(client_for, "nuovo@rossi-srl.example", "en").language == "it"


def test_english_email_says_lang_en():
    from portal.outbox import render_email

    _subject, _text, html = render_email(
        template="test_message", context={"name": "Pat", "link": "http://x/"}, language="en"
    )
    assert '<html lang="en">' in html


def test_notifications_are_worded_in_the_readers_language(client_for):
    admin = member()
    notify(
        organization=admin.organization,
        message=Notice("%(reseller)s declined your partnership request.", {"reseller": "Acme"}),
    )
    notify(
        organization=admin.organization,
        message=Notice("Verification: %(status)s", {"status": "Verified"}, ("status",)),
    )
    # A row written before codes existed is still shown, as it was stored.
    Notification.objects.create(organization=admin.organization, message="Old English notice")
    client = client_for(admin)
    english = client.get("/dashboard/").text
    assert "Acme declined your partnership request." in english
    assert "Verification: Verified" in english
    admin.user.language = "it"
    admin.user.save()
    italian = client.get("/dashboard/").text
    assert "Acme ha rifiutato la tua richiesta di partnership." in italian
    assert "Verifica: Verificata" in italian or "Verifica: Verificato" in italian
    assert "Old English notice" in italian


def test_the_agreement_is_shown_in_italian_with_an_iso_date_value(client_for):
    admin = member()
    admin.user.language = "it"
    admin.user.save()
    page = client_for(admin).get("/dashboard/").text
    assert "CONTRATTO PER I PARTNER" in page and "PARTNER AGREEMENT" not in page
    date_input = re.search(r'<input type="date"[^>]*>', page).group(0)
    assert re.search(r'value="\d{4}-\d{2}-\d{2}"', date_input), date_input


def test_time_elements_carry_no_microseconds():
    moment = datetime(2026, 11, 29, 8, 5, 3, 123456, tzinfo=UTC)
    out = Template('<time datetime="{{ t|machine_time }}">').render(Context({"t": moment}))
    assert out == '<time datetime="2026-11-29T08:05:03Z">'


@pytest.mark.parametrize(("language", "expected"), [("en", "29 Nov 2026"), ("it", "29 nov 2026")])
def test_one_date_format_per_locale(language, expected):
    moment = datetime(2026, 11, 29, 8, 5, tzinfo=UTC)
    with translation.override(language):
        assert Template('{{ t|date:"DATE_FORMAT" }}').render(Context({"t": moment})) == expected


def test_check_evidence_reads_as_sentences_in_italian():
    with translation.override("it"):
        lines = evidence_sentences("partner_id_country", {"not_applicable": True})
        assert lines == [
            "Nessun PartnerID è ancora associato, quindi non c'è nulla da confrontare."
        ]
        (market,) = evidence_sentences("csp_market", {"country": "US", "region": "United States"})
    assert "Stati Uniti" in market and "United" not in market and "not_applicable" not in market


def test_rule_messages_have_no_english_fragments_in_italian():
    with translation.override("it"):
        with pytest.raises(rules.ValidationError) as postal:
            rules.postal_code_normalize("1", "US")
        with pytest.raises(rules.ValidationError) as phone:
            from portal.countries import country_name

            rules.phone_normalize("12", "US", country_name("US"))
        text = " ".join(postal.value.messages + phone.value.messages)
    assert "12345 o 12345-6789" in text
    assert "United States" not in text and " or " not in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "€1,234.50"), ("it", "1.234,50\u00a0€")],
)
def test_money_in_the_readers_format(language, expected):
    with translation.override(language):
        out = Template('{{ amount|money:"EUR" }}').render(Context({"amount": "1234.5"}))
    assert out == expected
