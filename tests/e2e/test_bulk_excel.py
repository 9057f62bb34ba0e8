"""A reseller in Italy invites customers from the file its Excel saved, whichever way it saved
it: "CSV" (Windows-1252), "CSV UTF-8" (BOM), each with commas or with the semicolons of an
Italian locale, and "Testo Unicode" (UTF-16 with BOM, tabs). Each reaches the review page with
its rows, accents intact, and says how it was read; sending keeps the hourly limit and says so."""

import codecs
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD, member
from tests.relationships.factories import ProviderRelationshipFactory, provider_org, reseller_org

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROWS = [
    ["email", "company_name"],
    ["it@societanuova-e2e.example", "Società Nuova S.r.l."],
    ["amministrazione@caffesport-e2e.example", "Caffè Sport di Rossi & C. S.n.c."],
    ["acquisti@percheno-e2e.example", "Perché No S.r.l."],
]
# (file name as Excel names it, encoding, delimiter, what the review page says)
FILES = [
    ("clienti-ansi.csv", "cp1252", ",", "Windows-1252, comma-separated"),
    ("clienti-ansi-it.csv", "cp1252", ";", "Windows-1252, semicolon-separated"),
    ("clienti-utf8.csv", "utf-8-sig", ",", "UTF-8 with BOM, comma-separated"),
    ("clienti-utf8-it.csv", "utf-8-sig", ";", "UTF-8 with BOM, semicolon-separated"),
    ("clienti-unicode.txt", "utf-16", "\t", "UTF-16 (Unicode text), tab-separated"),
]


def excel_bytes(encoding: str, delimiter: str) -> bytes:
    text = "".join(delimiter.join(row) + "\r\n" for row in ROWS)
    if encoding == "utf-16":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    if encoding == "utf-8-sig":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    return text.encode(encoding)


def test_italian_excel_files_in_every_encoding_reach_the_review_with_their_rows(new_page, settings):
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "customer_invitation": "2/h"}
    relationship = ProviderRelationshipFactory(
        provider=provider_org(legal_name="Contoso Distribution"),
        reseller=reseller_org(legal_name="Northwind IT S.r.l."),
    )
    admin = member(relationship.reseller)
    page = new_page()
    sign_in(page, admin.user.email, PASSWORD)

    # The single invitation form asks for the address, then the language of its email.
    page.goto("/indirect-providers/invite-customer/")
    form = page.locator("main form", has=page.locator('[name="email"]'))
    names = form.locator("input:not([type=hidden]), select")
    expect(names.nth(1)).to_have_attribute("name", "email")
    expect(names.nth(2)).to_have_attribute("name", "language")
    screenshot(page, "relationships-invite-customer-address-first")
    provider_page = new_page()
    sign_in(provider_page, member(relationship.provider).user.email, PASSWORD)
    provider_page.goto("/indirect-resellers/")
    form = provider_page.locator("main form", has=provider_page.locator('[name="email"]'))
    names = form.locator("input:not([type=hidden]), select")
    expect(names.nth(0)).to_have_attribute("name", "email")
    expect(names.nth(1)).to_have_attribute("name", "language")
    screenshot(provider_page, "relationships-invite-reseller-address-first")

    for name, encoding, delimiter, read_as in FILES:
        page.goto("/bulk-invitations/")
        expect(
            page.get_by_text("Your organization sends at most 2 invitations an hour")
        ).to_be_visible()
        if name == FILES[0][0]:
            screenshot(page, "bulk-upload")
        page.get_by_label("Indirect provider").select_option(label="Contoso Distribution")
        page.get_by_label("CSV file", exact=True).set_input_files(
            {"name": name, "mimeType": "text/csv", "buffer": excel_bytes(encoding, delimiter)}
        )
        page.get_by_role("button", name="Check the file").click()
        expect(page.get_by_role("heading", name=f"Check your file: {name}")).to_be_visible()
        expect(page.get_by_text(f"Read as: {read_as}.")).to_be_visible()
        rows = page.get_by_role("table", name="The first 3 rows of the file")
        for email, company in ROWS[1:]:
            expect(rows.get_by_role("row", name=re.compile(re.escape(company)))).to_contain_text(
                email
            )
        expect(page.get_by_text("3 invitations will be sent (of 3 rows).")).to_be_visible()
        expect(page.get_by_text("This file goes out in at least 2 batches")).to_be_visible()
        screenshot(page, f"bulk-review-{name.replace('.', '-')}")

    # The last one (Unicode text) is sent: two now, the third waits for the next hour.
    page.get_by_role("button", name="Send 3 invitations").click()
    expect(
        page.get_by_role("heading", name="Sending invitations: clienti-unicode.txt")
    ).to_be_visible()
    expect(
        page.get_by_text(
            re.compile(
                r"Sending at most 2 invitations an hour: 2 sent, 1 waiting, "
                r"next batch at \d\d:00 UTC\."
            )
        )
    ).to_be_visible()
    screenshot(page, "bulk-progress-waiting-for-the-limit")

    # The same page in Italian, as the reseller reads it.
    page.get_by_label("Language").select_option("it")
    page.get_by_role("button", name="Change language").click()
    expect(
        page.get_by_text(
            re.compile(r"Invio \(al massimo 2 inviti all'ora\): 2 inviati, 1 in attesa")
        )
    ).to_be_visible()
    screenshot(page, "bulk-progress-waiting-for-the-limit-it")
    page.goto("/bulk-invitations/")
    page.get_by_role("link", name="clienti-ansi-it.csv").click()
    expect(
        page.get_by_text("Letto come: Windows-1252, separato da punto e virgola.")
    ).to_be_visible()
    screenshot(page, "bulk-review-it")
