"""WCAG 2.2 AA: axe-core finds no violation on any page of the demo (DOMAIN.md's URL map), signed
in as each demo user, signed out, in the enrolment wizard, with validation errors, on an
invitation and in Italian.

The pages are every page each demo user can open, from the run's one walk of the demo
(tests/gates/conftest.py, the pages reflow opens too), each in the user's own language, opened on
the live server serving that demo; then the states only a browser reaches (forms submitted with
errors, the wizard's later steps, the user menu open, a language switched).

axe is injected with Playwright's `page.evaluate`, which runs through the DevTools protocol and is
not subject to the pages' Content-Security-Policy (script-src 'self'), so the browser context needs
no `bypass_csp`. One browser context per user, reused for all of that user's pages."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal.models import Membership, OutboxMessage
from tests.browser import screenshot
from tests.demo_pages import DemoPage
from verification.models import VerificationCase

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}

OPERATOR = "reviewer@csp-operator.example"
CONTOSO = "admin@contoso-distribution.example"
FABRIKAM = "admin@fabrikam-supply.example"
NORTHWIND = "admin@northwind-it.example"
TAILSPIN = "admin@tailspin-cloud.example"
WINGTIP = "admin@wingtip-systems.example"
LITWARE = "admin@litware-solutions.example"
ADATUM = "admin@adatum-retail.example"
WINGTIP_CONTACT = "willa.dubois@wingtip-systems.example"

SETTINGS_PAGES = [
    "/settings/legal/",
    "/settings/identifiers/",
    "/settings/users/",
    "/settings/partner-profile/",
    "/audit-log/",
]
RESELLER_PAGES = [
    "/dashboard/",
    "/verification/",
    "/find-a-provider/",
    "/indirect-providers/",
    "/customers/",
    "/subscriptions/",
    "/billing/",
    *SETTINGS_PAGES,
]
PROVIDER_PAGES = [
    "/dashboard/",
    "/indirect-resellers/",
    "/customers/",
    "/subscriptions/",
    "/subscriptions/?status=active&q=adatum",
    "/billing/",
    *SETTINGS_PAGES,
]
ANONYMOUS_PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/enroll/reseller/welcome/",
    "/enroll/reseller/start/",
]


class Audit:
    """Runs axe on the page a browser shows and keeps every violation, by page."""

    def __init__(self) -> None:
        self.axe = Axe()
        self.pages: list[str] = []
        self.violations: dict[str, list[dict]] = {}
        self.opened: set[tuple[str | None, str]] = set()

    def check(self, page, name: str) -> None:
        page.wait_for_load_state("load")
        results = self.axe.run(page, options=AXE_OPTIONS).response
        assert results["testEngine"]["name"] == "axe-core", "axe did not run"
        self.pages.append(name)
        if results["violations"]:
            self.violations[name] = results["violations"]

    def visit(self, page, path: str, name: str | None = None) -> None:
        response = page.goto(path)
        assert response is not None and response.ok, (
            f"{path} answered {response and response.status}"
        )
        self.check(page, name or path)

    def open(self, page, user: str | None, path: str) -> None:
        """Go to `path` as `user` (whose page `page` is) and check it, unless it was checked."""
        if (user, path) in self.opened:
            page.goto(path)
            return
        self.opened.add((user, path))
        self.visit(page, path, DemoPage(user, path).name)

    def report(self) -> str:
        lines = [f"axe found WCAG 2.2 AA violations on {len(self.violations)} page(s):"]
        for name, violations in self.violations.items():
            lines.append(f"\n{name}")
            for violation in violations:
                lines.append(f"  - {violation['id']} ({violation['impact']}): {violation['help']}")
                for node in violation["nodes"]:
                    target = " ".join(map(str, node["target"]))
                    summary = " ".join((node.get("failureSummary") or "").split("\n")[1:2]).strip()
                    lines.append(f"      {target}" + (f"  ({summary})" if summary else ""))
        return "\n".join(lines)


@pytest.fixture
def user_page(new_page):
    """A factory: a page in a fresh browser context, signed in as `email` (None: anonymous)."""

    def make(email: str | None):
        # Reduced motion: Bootstrap drops its colour transitions, so axe never measures a button
        # half-way between two states.
        return new_page(signed_in=email, reduced_motion="reduce")

    return make


def _submit_with_errors(audit: Audit, page, path: str, button: str, name: str) -> None:
    """Submit a form of `path` empty and check the page with its error summary and field errors."""
    page.goto(path)
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("alert").first).to_be_visible()
    audit.check(page, f"{path} ({name}, with errors)")


def _audit_anonymous(audit: Audit, page) -> None:
    # axe runs under the pages' strict policy (no bypass_csp): see the module docstring.
    policy = page.goto("/accounts/login/").headers["content-security-policy"]
    assert "script-src 'self'" in policy
    for path in ANONYMOUS_PAGES:
        audit.open(page, None, path)
    # The primary contact's confirmation page, from Wingtip's emailed link.
    message = OutboxMessage.objects.get(
        to_email=WINGTIP_CONTACT, template="verification_contact_confirm"
    )
    link = re.search(r"/verify-contact/[\w-]+/", message.context["link"]).group(0)
    audit.open(page, None, link)
    # The sign-in form submitted empty: the error summary and the fields' errors.
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check(page, "/accounts/login/ (with errors)")


def _audit_operator(audit: Audit, page) -> None:
    for path in ["/dashboard/", "/review/", "/outbox/", "/operations/"]:
        audit.open(page, OPERATOR, path)
    case = VerificationCase.objects.order_by("pk").first()
    audit.open(page, OPERATOR, f"/review/{case.pk}/")
    message = OutboxMessage.objects.order_by("pk").first()
    audit.open(page, OPERATOR, f"/outbox/{message.pk}/")
    # The email is shown in its own language, whatever the interface language (3.1.2).
    expect(page.get_by_test_id("outbox-body")).to_have_attribute("lang", message.language)


def _audit_enrolment(audit: Audit, page) -> None:
    """Litware's draft resumes at the contact step; the test goes on to the review."""
    for step in ["account", "legal", "contact"]:
        audit.open(page, LITWARE, f"/enroll/reseller/{step}/")
    page.goto("/enroll/reseller/legal/")
    page.get_by_label("Legal name").fill("")
    page.get_by_label("City").fill("")
    page.get_by_label("Postal code").fill("1")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    audit.check(page, "/enroll/reseller/legal/ (with errors)")

    page.goto("/enroll/reseller/contact/")
    page.get_by_label("First name").fill("Lena")
    page.get_by_label("Last name").fill("Park")
    page.get_by_label("Email").fill("lena.park@litware-solutions.example")
    page.get_by_label("Phone").fill("+1 206-555-0100")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Step 4 of 5")).to_be_visible()
    audit.check(page, "/enroll/reseller/support/")
    page.get_by_label("Support email").fill("help@litware-solutions.example")
    page.get_by_label("Support phone").fill("+1 206-555-0199")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Step 5 of 5")).to_be_visible()
    audit.check(page, "/enroll/reseller/review/")


def test_demo_pages_have_no_wcag_22_aa_violations(demo_site, user_page):
    audit = Audit()
    # One browser context per user (None: signed out), in the user's own language.
    pages = {user: user_page(user) for user in demo_site.starts}

    # Every page of the walk, as its user opens it.
    for user, paths in demo_site.browser_pages().items():
        for path in paths:
            audit.open(pages[user], user, path)

    # The pages this audit has always named (`open` checks each page once: most are above), and
    # what only a browser reaches.
    _audit_anonymous(audit, pages[None])
    _audit_operator(audit, pages[OPERATOR])

    # The walk's pending provider → reseller invitation: Contoso lists it, Tailspin opens it.
    contoso_admin = Membership.objects.get(user__email=CONTOSO)
    contoso = pages[CONTOSO]
    for path in PROVIDER_PAGES:
        audit.open(contoso, CONTOSO, path)
    audit.open(contoso, CONTOSO, f"/settings/users/{contoso_admin.pk}/")
    _submit_with_errors(audit, contoso, "/dashboard/", "Accept the Partner Agreement", "Contoso")
    _submit_with_errors(audit, contoso, "/indirect-resellers/", "Send invitation", "Contoso")

    fabrikam = pages[FABRIKAM]
    for path in ["/dashboard/", "/indirect-resellers/", "/customers/"]:
        audit.open(fabrikam, FABRIKAM, path)

    northwind = pages[NORTHWIND]
    for path in RESELLER_PAGES:
        audit.open(northwind, NORTHWIND, path)
    audit.open(northwind, NORTHWIND, "/indirect-providers/invite-customer/")
    adatum_org = Membership.objects.get(user__email=ADATUM).organization
    audit.open(northwind, NORTHWIND, f"/customers/{adatum_org.pk}/")
    # Northwind is an Italian company (demo data): its pages are checked in Italian.
    _submit_with_errors(
        audit, northwind, "/settings/identifiers/", "Aggiungi PartnerID", "Northwind"
    )
    audit.visit(
        northwind,
        "/audit-log/?date_from=2026-05-02&date_to=2026-05-01",
        "/audit-log/ (Northwind, dates in the wrong order)",
    )

    tailspin = pages[TAILSPIN]
    for path in ["/dashboard/", "/verification/", "/settings/legal/"]:
        audit.open(tailspin, TAILSPIN, path)
    _submit_with_errors(audit, tailspin, "/verification/", "Upload", "Tailspin")
    audit.open(tailspin, TAILSPIN, f"/invitations/{demo_site.invitation_key}/")

    wingtip = pages[WINGTIP]
    for path in ["/dashboard/", "/verification/"]:
        audit.open(wingtip, WINGTIP, path)

    _audit_enrolment(audit, pages[LITWARE])

    adatum = pages[ADATUM]
    # The account pages of the user menu.
    for path in ["/accounts/password/change/", "/accounts/2fa/", "/accounts/logout/"]:
        audit.open(adatum, ADATUM, path)
    for path in ["/dashboard/", "/subscriptions/", "/billing/"]:
        audit.open(adatum, ADATUM, path)
    # The user menu open (axe checks only what is shown).
    adatum.goto("/dashboard/")
    adatum.get_by_role("button", name="Alessia Bianchi").click()
    expect(adatum.get_by_role("button", name="Esci")).to_be_visible()  # Adatum is Italian
    audit.check(adatum, "/dashboard/ (Adatum, user menu open)")

    # Italian: an English user's dashboard after switching the language.
    wingtip.goto("/dashboard/")
    wingtip.get_by_label("Language").select_option("it")
    wingtip.get_by_role("button", name="Change language").click()
    expect(wingtip.locator("html")).to_have_attribute("lang", "it")
    audit.check(wingtip, "/dashboard/ (Wingtip, Italian)")

    assert len(audit.pages) >= 50
    assert not audit.violations, audit.report()


def test_keyboard_focus_is_visible_and_the_skip_link_moves_to_the_content(user_page):
    page = user_page(CONTOSO)  # an English user (Northwind reads Italian)
    page.goto("/customers/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    box = skip.bounding_box()
    assert box["width"] > 40 and box["height"] > 20, f"the focused skip link is clipped: {box}"
    screenshot(page, "a11y-skip-link-focused")

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.get_by_role("main")).to_be_focused()
    # The next Tab lands inside the content, past the header and the side navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
    focused = page.locator(":focus")
    outline = focused.evaluate(
        "e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert outline == ["solid", "3px"], f"no visible focus indicator: {outline}"
    screenshot(page, "a11y-focus-in-content")


@pytest.mark.parametrize("email,path", [(None, "/accounts/login/"), (NORTHWIND, "/verification/")])
def test_pages_reflow_at_320_css_pixels(user_page, email, path):
    """1.4.10: at 320 CSS px wide nothing scrolls sideways; the header's controls are in its
    disclosure."""
    page = user_page(email)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    # The language switch is one button away in the header (Northwind's admin reads Italian).
    toggle = page.get_by_role(
        "button", name=re.compile(r"(: your account|: il tuo account|^Language)$")
    )
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    change = re.compile("^(Change language|Cambia lingua)$")
    expect(page.get_by_role("button", name=change)).to_be_in_viewport()
    screenshot(page, "a11y-reflow-320" + path.replace("/", "-").rstrip("-"))
