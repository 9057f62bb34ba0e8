"""Issue 14's acceptance walk: every demo page, opened by each demo user in Italian, shows none of
the UI's own English strings, and its dates are Italian (`29 nov 2026`, not `Nov. 29, 2026`)."""

from __future__ import annotations

import html
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from devtools.demo.portal import PASSWORD
from portal.models import User
from relationships.models import ProviderProfile
from tests.test_demo_contract import PAGES
from verification.models import VerificationCase

pytestmark = pytest.mark.django_db

# Distinctive English words and phrases of the UI's own strings (labels, buttons, sort options,
# statuses, check evidence, reference data, dates) that an Italian page must never show. Words
# that Italian shares (Partner, Admin, Email, Dashboard, PartnerID) and the demo companies' names
# (Fabrikam Supply, Litware Solutions ...) are left out.
ENGLISH = [
    "Status",
    "Active first",
    "Newest first",
    "Oldest first",
    "A to Z",
    "Z to A",
    "Waiting",
    "Submit",
    "Search",
    "Save",
    "Cancel",
    "Sign out",
    "Settings",
    "Notifications",
    "Verification",
    "Pending",
    "Expired",
    "Accepted",
    "Declined",
    "Passed",
    "Failed",
    "not_applicable",
    "True",
    "Country",
    "Region",
    "Europe",
    "United States",
    "Italy",
    "Germany",
    "Ireland",
    "Previous",
    "Next",
    "Export",
    "Download",
    "Remove",
    "Invite",
    "Customers",
    "Users",
    "Legal info",
    "Required",
    "Optional",
    "Your organization",
    "for example",
    " or ",
    "January",
    "February",
    "March",
    "April",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Jan.",
    "Feb.",
    "Nov.",
    "Dec.",
    "Monday",
    "Friday",
]
WORDS = re.compile(
    "|".join(
        rf"(?<![\w-]){re.escape(w.strip())}(?![\w-])" if w.strip() == w else re.escape(w)
        for w in ENGLISH
    )
)
SHOWN_ATTRIBUTES = re.compile(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"')


def visible_text(page: str) -> str:
    """What a reader sees or hears: text outside tags, scripts and styles, plus the attributes
    read aloud or shown (aria-label, title, placeholder, alt)."""
    body = re.sub(r"<(script|style|template)\b.*?</\1>", " ", page, flags=re.S | re.I)
    # The language switcher names each language in itself ("English") on purpose.
    body = re.sub(r'<option value="en"[^>]*>[^<]*</option>', " ", body)
    shown = " ".join(SHOWN_ATTRIBUTES.findall(body))
    text = re.sub(r"<[^>]+>", " ", body)
    return " ".join(html.unescape(f"{text} {shown}").split())


def italian_client(email: str) -> Client:
    User.objects.filter(email=email).update(language="it")
    client = Client()
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302, email
    return client


def pages_of(email: str) -> list[str]:
    pages = list(PAGES[email])
    if email == "reviewer@csp-operator.example":
        pages += [f"/review/{pk}/" for pk in VerificationCase.objects.values_list("pk", flat=True)]
    if email == "admin@litware-solutions.example":
        pages += [f"/enroll/reseller/{step}/" for step in ("legal", "contact")]
    return pages


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # /outbox/ answers only with DEBUG on, as under `make run`
    call_command("seed_demo", stdout=StringIO())


@pytest.mark.parametrize("email", list(PAGES))
def test_italian_demo_pages_show_no_english_ui_strings(demo, email):
    client = italian_client(email)
    # What partners wrote themselves (a provider's description) is in their own language.
    partner_content = [
        d for d in ProviderProfile.objects.values_list("description", flat=True) if d
    ]
    found = {}
    for path in pages_of(email):
        response = client.get(path)
        assert response.status_code == 200, f"{email} {path}: {response.status_code}"
        assert response.text.count('<html lang="it"') == 1, path
        text = visible_text(response.text)
        for content in partner_content:
            text = text.replace(content, " ")
        hits = sorted({m.group(0).strip() for m in WORDS.finditer(text)})
        if hits:
            found[path] = hits
    assert not found, f"English on Italian pages of {email}: {found}"


def test_the_wizard_lists_every_country_in_italian_in_italian_order(demo):
    client = italian_client("admin@litware-solutions.example")
    page = client.get("/enroll/reseller/legal/").text
    select = page.split('name="country"', 1)[1].split("</select>", 1)[0]
    names = [
        html.unescape(n) for n in re.findall(r'<option value="[A-Z]{2}"[^>]*>([^<]*)<', select)
    ]
    assert len(names) >= 240
    assert {"Stati Uniti d'America", "Germania", "Regno Unito"} <= set(names)
    assert "Germany" not in names and "United States" not in names
    assert names.index("Albania") < names.index("Algeria") < names.index("Germania")


def test_dates_are_in_the_readers_format(demo):
    italian = visible_text(italian_client("admin@northwind-it.example").get("/dashboard/").text)
    months_it = "gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic"
    assert re.search(rf"\b\d{{1,2}} ({months_it}) 20\d\d\b", italian)
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{4}\b", italian)
    client = Client()
    client.post(
        "/accounts/login/", {"login": "admin@contoso-distribution.example", "password": PASSWORD}
    )
    english = visible_text(client.get("/indirect-resellers/").text)
    assert re.search(
        r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 20\d\d\b", english
    )
    assert not re.search(r"\b[A-Z][a-z]{2}\. \d{1,2}, 20\d\d\b", english)  # not "Nov. 29, 2026"
