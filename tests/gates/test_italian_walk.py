"""Issue 14's acceptance walk: every demo page, opened by each demo user in Italian, shows none of
the UI's own English strings, and its dates are Italian (`29 nov 2026`, not `Nov. 29, 2026`).

The pages are the Italian HTML of the run's one walk of the demo (tests/gates/conftest.py): every
page each demo user reaches, which must include the pages of DOMAIN.md's URL map; the signed-out
pages (sign-in, sign-up, password reset: allauth's) too. Issue 23: Django's and allauth's own
strings count as the UI's (the blank choice label, allauth's labels, links and form errors), and
the forms' error pages, which a walk of GETs never sees, are posted wrong and read too."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from devtools.demo.portal import PASSWORD
from relationships.models import ProviderProfile
from tests.demo_pages import client_for
from tests.test_demo_contract import PAGES
from verification.models import VerificationCase

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
    # The catalogue's units (issue 23: "x user").
    "user",
    "mailbox",
    "device",
    # Django's and allauth's own strings (issue 23): the blank choice label of Django 6.1, the
    # account pages' labels and links, the form errors.
    "Select an option",
    "Remember Me",
    "Forgot your password",
    "Forgot Password",
    "Sign In",
    "Sign Up",
    "Sign in",
    "Password (again)",
    "Already have an account",
    "Reset My Password",
    "Password Reset",
    "Change Password",
    "Current Password",
    "New Password",
    "This field is required",
    "Enter a valid",
    "Ensure this value",
    "You must type the same password",
    "are not correct",
    "This password is too",
    "Please type your current password",
]
WORDS = re.compile(
    "|".join(
        rf"(?<![\w-]){re.escape(w.strip())}(?![\w-])" if w.strip() == w else re.escape(w)
        for w in ENGLISH
    )
)
# An element (not <html>) marked as in a language other than Italian: /outbox/<n>/ shows each email
# in its own language.
OTHER_LANGUAGE = re.compile(r'<(?!html\b)(\w+)\b[^>]*\blang="(?!it")[^"]*"[^>]*>.*?</\1>', re.S)
SHOWN_ATTRIBUTES = re.compile(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"')


def visible_text(page: str) -> str:
    """What a reader sees or hears: text outside tags, scripts and styles, plus the attributes
    read aloud or shown (aria-label, title, placeholder, alt)."""
    body = re.sub(r"<(script|style|template)\b.*?</\1>", " ", page, flags=re.S | re.I)
    # Text marked as in another language is not the UI's (an email in its own language).
    body = OTHER_LANGUAGE.sub(" ", body)
    # The language switcher names each language in itself ("English") on purpose.
    body = re.sub(r'<option value="en"[^>]*>[^<]*</option>', " ", body)
    shown = " ".join(SHOWN_ATTRIBUTES.findall(body))
    text = re.sub(r"<[^>]+>", " ", body)
    return " ".join(html.unescape(f"{text} {shown}").split())


def pages_of(email: str) -> list[str]:
    pages = list(PAGES[email])
    if email == "reviewer@csp-operator.example":
        pages += [f"/review/{pk}/" for pk in VerificationCase.objects.values_list("pk", flat=True)]
    if email == "admin@litware-solutions.example":
        pages += [f"/enroll/reseller/{step}/" for step in ("legal", "contact")]
    return pages


def italian_page(demo_site, email: str | None, path: str) -> str:
    """The page as `email` saw it in Italian. The walk keeps only the pages that answered 200."""
    page = demo_site.html(email, path, "it")
    assert page is not None, f"the walk did not reach {path} ({email}): tests/demo_pages.py"
    return page


@pytest.mark.parametrize("email", list(PAGES))
def test_italian_demo_pages_show_no_english_ui_strings(demo_site, email):
    # The demo user signs in with the documented password (the walk itself signs in directly).
    response = Client().post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302, email
    # Every page of the URL map is among the pages the walk reached, in Italian.
    walked = demo_site.paths(email, "it")
    missing = [path for path in pages_of(email) if path not in walked]
    assert not missing, f"the walk did not reach these pages of {email}: {missing}"
    # What partners wrote themselves (a provider's description) is in their own language.
    partner_content = [
        d for d in ProviderProfile.objects.values_list("description", flat=True) if d
    ]
    found = {}
    for path in walked:
        page = italian_page(demo_site, email, path)
        assert page.count('<html lang="it"') == 1, path
        text = visible_text(page)
        for content in partner_content:
            text = text.replace(content, " ")
        hits = sorted({m.group(0).strip() for m in WORDS.finditer(text)})
        if hits:
            found[path] = hits
    assert not found, f"English on Italian pages of {email}: {found}"


def english_in(page: str) -> list[str]:
    assert page.count('<html lang="it"') == 1
    return sorted({m.group(0).strip() for m in WORDS.finditer(visible_text(page))})


def test_signed_out_italian_pages_show_no_english_ui_strings(demo_site):
    walked = demo_site.paths(None, "it")
    assert {"/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"} <= set(walked)
    found = {path: english_in(italian_page(demo_site, None, path)) for path in walked}
    assert not {path: hits for path, hits in found.items() if hits}


# Forms posted wrong, so that Django's and allauth's error messages show: (user, path, data).
WRONG_FORMS = [
    (None, "/accounts/login/", {}),
    (None, "/accounts/login/", {"login": "nobody@fabrikam.example", "password": "wrong-1234"}),
    (None, "/accounts/signup/", {"email": "not-an-address", "password1": "a", "password2": "b"}),
    (None, "/accounts/signup/", {"email": "x@gmail.com", "password1": "1234", "password2": "1234"}),
    (None, "/accounts/password/reset/", {"email": "not-an-address"}),
    (
        "admin@northwind-it.example",
        "/accounts/password/change/",
        {"oldpassword": "wrong-1234", "password1": "short", "password2": "other"},
    ),
]


@pytest.mark.parametrize(("user", "path", "data"), WRONG_FORMS)
def test_italian_form_errors_of_django_and_allauth_are_italian(demo_site, user, path, data):
    response = client_for(user, "it").post(path, data)
    assert response.status_code == 200, path  # the form again, with its errors
    page = response.content.decode()
    assert 'class="invalid-feedback' in page or "alert-danger" in page or "errorlist" in page
    assert english_in(page) == [], path


def test_djangos_blank_choice_label_is_italian_where_the_walk_meets_it(demo_site):
    # Django 6.1's "- Select an option -" (the reviewer's "Assign to" select), which Django's
    # Italian catalogue lacks: the project's translates it.
    reviewer = "reviewer@csp-operator.example"
    pages = [
        italian_page(demo_site, reviewer, path)
        for path in demo_site.paths(reviewer, "it")
        if path.startswith("/review/") and path != "/review/"
    ]
    assert any('name="assignee"' in page for page in pages)
    for page in pages:
        if 'name="assignee"' in page:
            assert "- Seleziona un&#x27;opzione -" in page


def test_the_wizard_lists_every_country_in_italian_in_italian_order(demo_site):
    page = italian_page(demo_site, "admin@litware-solutions.example", "/enroll/reseller/legal/")
    select = page.split('name="country"', 1)[1].split("</select>", 1)[0]
    names = [
        html.unescape(n) for n in re.findall(r'<option value="[A-Z]{2}"[^>]*>([^<]*)<', select)
    ]
    assert len(names) >= 240
    assert {"Stati Uniti d'America", "Germania", "Regno Unito"} <= set(names)
    assert "Germany" not in names and "United States" not in names
    assert names.index("Albania") < names.index("Algeria") < names.index("Germania")


def test_dates_are_in_the_readers_format(demo_site):
    italian = visible_text(italian_page(demo_site, "admin@northwind-it.example", "/dashboard/"))
    months_it = "gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic"
    assert re.search(rf"\b\d{{1,2}} ({months_it}) 20\d\d\b", italian)
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{4}\b", italian)
    contoso = demo_site.html("admin@contoso-distribution.example", "/indirect-resellers/", "en")
    assert contoso is not None, "the walk did not reach /indirect-resellers/ (contoso)"
    english = visible_text(contoso)
    assert re.search(
        r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 20\d\d\b", english
    )
    assert not re.search(r"\b[A-Z][a-z]{2}\. \d{1,2}, 20\d\d\b", english)  # not "Nov. 29, 2026"
