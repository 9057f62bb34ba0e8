"""Every page of the demo (DOMAIN.md's URL map), as each demo user can open it.

The quality gates (tests/gates/: Nu HTML checker, Italian walk, reflow, axe) share one list: for
each demo user (and signed out) the pages are found by following the links of the pages
themselves, from the user's start pages, with Django's test client. A page added to the navigation
is checked without touching the gates. Detail pages of one kind (`/outbox/<n>/`, `/review/<n>/`)
reached by links are taken at most `PER_PATTERN` times (a start page always is); links that act or
download (sign out, CSV exports, documents) are not followed.

tests/gates/conftest.py seeds and walks the demo once per run, for the four gates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.test import Client

from devtools.demo.portal import DEMO_ORGS
from portal.models import Membership, OutboxMessage, User
from tests.factories import acting

OPERATOR = "reviewer@csp-operator.example"
CONTOSO = "admin@contoso-distribution.example"
TAILSPIN = "admin@tailspin-cloud.example"
LITWARE = "admin@litware-solutions.example"
WINGTIP_CONTACT = "willa.dubois@wingtip-systems.example"

LANGUAGES = ("en", "it")
PER_PATTERN = 2
MAX_PAGES = 60

# Links that act, download, leave the portal's pages or would end the session. /api/ answers
# JSON, and its docs page is Redoc's (tests/api/ checks it is served from our static files).
SKIP = re.compile(
    r"^/(static/|operator-admin/|language/|api/)|/logout/|\.csv$|/documents/|/new-link/$|/resend/$"
)
HREF = re.compile(r"""href="(/[^"#?]*)[^"]*\"""")


@dataclass(frozen=True)
class DemoPage:
    user: str | None  # an email, or None signed out
    path: str

    @property
    def name(self) -> str:
        who = self.user.split("@")[1].split(".")[0] if self.user else "signed out"
        return f"{self.path} ({who})"


def start_pages() -> dict[str | None, list[str]]:
    """Where each walk starts: the dashboard, plus the pages only a link in an email reaches, and
    the review page of every verification case (the Italian walk reads each one).

    Creates one pending provider → reseller invitation (Contoso → Tailspin) so its page exists;
    its page is the last start of Tailspin's."""
    from relationships.services.reseller_invitations import reseller_invitation_create
    from verification.models import VerificationCase

    contact_link = OutboxMessage.objects.filter(
        to_email=WINGTIP_CONTACT, template="verification_contact_confirm"
    ).values_list("context__link", flat=True)[0]
    starts: dict[str | None, list[str]] = {
        None: [
            "/accounts/login/",
            "/accounts/signup/",
            "/accounts/password/reset/",
            "/enroll/reseller/welcome/",
            re.search(r"/verify-contact/[\w-]+/", contact_link).group(0),  # type: ignore[union-attr]
        ]
    }
    for spec in DEMO_ORGS:
        starts[spec.email] = ["/dashboard/", "/accounts/password/change/", "/accounts/2fa/"]
    cases = VerificationCase.objects.order_by("pk").values_list("pk", flat=True)
    starts[OPERATOR] += ["/operations/", *(f"/review/{pk}/" for pk in cases)]
    starts[LITWARE] += [f"/enroll/reseller/{step}/" for step in ("account", "legal", "contact")]
    contoso = Membership.objects.get(user__email=CONTOSO)
    invitation = reseller_invitation_create(**acting(contoso), email=TAILSPIN)
    starts[TAILSPIN].append(f"/invitations/{invitation.key}/")
    return starts


def client_for(user: str | None, language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user:
        account = User.objects.get(email=user)
        if account.language != language:
            account.language = language
            account.save(update_fields=["language"])
        client.force_login(account)
    return client


def walk(client: Client, starts: list[str]) -> Iterator[tuple[str, str]]:
    """(path, HTML) of every page reachable from `starts` that answers 200 with HTML."""
    queue = list(starts)
    always = set(starts)
    seen: set[str] = set()
    per_pattern: dict[str, int] = {}
    pages = 0
    while queue and pages < MAX_PAGES:
        path = queue.pop(0)
        pattern = re.sub(r"/[\w-]*\d[\w-]*/", "/<id>/", path)
        if path in seen or SKIP.search(path):
            continue
        if path not in always and per_pattern.get(pattern, 0) >= PER_PATTERN:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        per_pattern[pattern] = per_pattern.get(pattern, 0) + 1
        pages += 1
        html = response.content.decode()
        yield path, html
        queue.extend(link for link in HREF.findall(html) if link not in seen)


def collect(starts: dict[str | None, list[str]], language: str) -> list[tuple[DemoPage, str]]:
    """Every demo page with its HTML in `language` (call after `seed_demo` and `start_pages()`)."""
    found = []
    for user, paths in starts.items():
        client = client_for(user, language)
        found += [(DemoPage(user, path), html) for path, html in walk(client, paths)]
    return found
