"""Italian everywhere a person reads (issue 23): Django's and allauth's strings their catalogues
lack are the project's to translate; allauth's emails are the portal's (its layout, its name, the
one language rule); an audit detail is worded in the reader's language, whoever recorded it."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.db import models
from django.utils import translation

from portal.audit_log import event_summary
from portal.models import OutboxMessage
from portal.outbox import render_email
from portal.templatetags.portal_formats import one_full_stop
from portal.translations import PACKAGE_PLURALS, PACKAGE_STRINGS


@pytest.mark.parametrize("msgid", PACKAGE_STRINGS)
def test_strings_the_packages_leave_in_english_are_italian(msgid):
    with translation.override("it"):
        assert translation.gettext(msgid) != msgid


@pytest.mark.parametrize(("singular", "plural"), PACKAGE_PLURALS)
def test_plural_strings_the_packages_leave_in_english_are_italian(singular, plural):
    with translation.override("it"):
        assert translation.ngettext(singular, plural, 1) != singular
        assert translation.ngettext(singular, plural, 8) != plural


def test_djangos_blank_choice_label_is_italian_on_an_italian_form():
    class PickForm(forms.Form):
        pick = models.CharField(choices=[("one", "One")], blank=True, max_length=3).formfield()

    with translation.override("it"):
        rendered = str(PickForm()["pick"])
    assert "- Seleziona un&#x27;opzione -" in rendered
    assert "Select an option" not in rendered


def test_an_audit_detail_is_worded_in_the_readers_language():
    # Stored as codes (delegation.services.dap.administration_start), worded when read.
    details = {"customer": "Adatum", "roles": ["delegated_admin", "helpdesk_agent"]}
    with translation.override("en"):
        english = event_summary(details)
    with translation.override("it"):
        italian = event_summary(details)
    assert "Delegated admin (DAP), Helpdesk agent" in english
    assert "Delegated admin (DAP)" not in italian and "Helpdesk agent" not in italian


def test_a_name_that_ends_in_a_full_stop_takes_no_second_one():
    assert one_full_stop("Shared with Contoso S.p.A..") == "Shared with Contoso S.p.A."
    assert one_full_stop("<p>Contoso S.p.A..</p>") == "<p>Contoso S.p.A.</p>"
    assert one_full_stop("Wait... ../static/x.css") == "Wait... ../static/x.css"
    subject, text, html = render_email(
        template="relationships_customer_accepted",
        context={
            "customer_name": "Adatum",
            "reseller_name": "Northwind",
            "provider_name": "Contoso S.p.A.",
            "url": "https://portal.example/",
        },
        language="it",
    )
    assert "Contoso S.p.A." in text and "S.p.A.." not in text + html + subject


def test_a_form_error_that_ends_on_such_a_name_takes_one_full_stop():
    from django.template.loader import render_to_string

    class NameForm(forms.Form):
        name = forms.CharField()

    form = NameForm(data={"name": "x"})
    form.is_valid()
    reseller = "Contoso S.p.A."
    message = f"Adatum already works with {reseller}."
    form.add_error(None, message)
    form.add_error("name", message)
    summary = render_to_string("portal/_form_errors.html", {"form": form})
    field = render_to_string("portal/_field.html", {"field": form["name"]})
    assert "Contoso S.p.A.</" in summary and "Contoso S.p.A.</" in field
    assert "S.p.A.." not in summary + field


@pytest.mark.django_db
def test_allauths_password_reset_email_is_the_portals_in_the_readers_language(
    client, reseller_admin
):
    user = reseller_admin.user
    user.language = "it"
    user.save(update_fields=["language"])
    # Asked from an English page: the account's own language wins (portal.selectors).
    client.cookies["django_language"] = "en"
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    message = OutboxMessage.objects.get(to_email=user.email)
    assert message.language == "it"
    # The portal's name, as the portal's own pages write it in Italian.
    assert "Ciao da Portale partner CSP!" in message.body_text
    assert "da !" not in message.body_text
    assert message.subject.startswith("[Portale partner CSP] ")
    # The portal's layout: its header, the Italian button to the reset link, the footer.
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", message.body_text)
    assert link is not None
    html = message.body_html
    assert html.startswith("<!DOCTYPE html>") and '<html lang="it">' in html
    assert f'<a href="{link.group(0)}"' in html
    assert "Imposta una nuova password</a>" in html
    assert "Ricevi questa email per l'account della tua organizzazione" in html


@pytest.mark.django_db
def test_allauths_sign_up_confirmation_has_the_portals_button(client):
    client.cookies["django_language"] = "it"
    response = client.post(
        "/accounts/signup/",
        {
            "email": "maria@fabrikam-new.example",
            "password1": "Sturdy-Pass-9174",
            "password2": "Sturdy-Pass-9174",
        },
    )
    assert response.status_code == 302
    message = OutboxMessage.objects.get(to_email="maria@fabrikam-new.example")
    assert message.language == "it"  # no account language yet: the page's
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", message.body_text)
    assert link is not None
    assert f'<a href="{link.group(0)}"' in message.body_html
    assert "Conferma l&#x27;indirizzo email</a>" in message.body_html
    assert "Ciao da" not in message.body_html.split("</div>", 1)[0]  # not the preview line
