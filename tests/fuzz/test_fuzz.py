"""Hostile input on every form and search, on PostgreSQL: Hypothesis fills every field of every
form the portal shows (found by reading the pages, so a new form is fuzzed without a change
here) and every query parameter of every list, as the user who may use it, with NUL bytes,
lone surrogates, very long strings, any Unicode, SQL and HTML metacharacters.

An input is one fuzzed field or parameter. Each example runs in a savepoint rolled back after
it; a refused POST (anything but a redirect) must leave the database exactly as it was."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote_plus, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrollment.models import EnrollmentDraft
from portal.models import Membership, User
from tests.dbstate import db_digest
from tests.enrollment.factories import drafting_user
from tests.factories import UserFactory
from tests.figures import report
from tests.tenants import PDF, Family, build_family
from tests.verification.factories import submitted_reseller
from tests.verification.helpers import last_link_key
from verification.services.cases import case_open

pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the fuzz suite hunts what PostgreSQL refuses to store (NUL, surrogates); "
        "SQLite stores them. CI runs it on PostgreSQL",
    ),
]

NASTY = [
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "' OR '1'='1",
    "'; DROP TABLE portal_user; --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "%",
    "_",
    "\\",
    "%00",
    "../../etc/passwd",
    "{{ 7*7 }}",
    "{% debug %}",
    "ß" * 300,
    "😀" * 70,
    "\u202e\u0645\u0631\u062d\u0628\u0627",
    " ",
    "",
    "0",
    "-1",
    "99999999999999999999999",
    "1e400",
    "NaN",
    "null",
    "a" * 5000,
    "x@y",
    "anna@example.com\x00",
    "\r\n",
    "\U0001d54f" * 10,  # outside the Basic Multilingual Plane
]
TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=300),
)
LIST_PARAMS = [
    "q",
    "sort",
    "page",
    "pending_page",
    "format",
    "provider",
    "reseller",
    "customer",
    "status",
    "country",
    "region",
    "age",
    "assignee",
    "failing",
    "check",
    "edit",
    "next",
]
# Enough examples for 10,000 requests over the ~55 forms and lists (each request fills several
# fields). FUZZ_EXAMPLES scales both down for a quick look (the 10,000 floors then fail).
EXAMPLES_PER_FORM = int(os.environ.get("FUZZ_EXAMPLES", "190"))
EXAMPLES_PER_LIST = EXAMPLES_PER_FORM


@dataclass
class Field:
    name: str
    kind: str  # text, choice, check, file, hidden
    values: list[str] = field(default_factory=list)


@dataclass
class Form:
    page: str
    action: str
    method: str
    multipart: bool
    fields: dict[str, Field] = field(default_factory=dict)

    def signature(self) -> tuple:
        return (self.action, self.method, tuple(sorted(self.fields)))


class FormReader(HTMLParser):
    """The forms of a page: action, method and each named control with its values."""

    def __init__(self, page: str):
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self._select: Field | None = None

    def _add(self, name: str, kind: str, value: str | None) -> None:
        if not self.forms or not name:
            return
        fields = self.forms[-1].fields
        found = fields.setdefault(name, Field(name, kind))
        if value is not None and value not in found.values:
            found.values.append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            action = a.get("action") or self.page
            self.forms.append(
                Form(
                    page=self.page,
                    action=action if action.startswith("/") else self.page,
                    method=(a.get("method") or "get").upper(),
                    multipart=a.get("enctype") == "multipart/form-data",
                )
            )
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            name = a.get("name") or ""
            if kind in ("checkbox", "radio"):
                self._add(name, "check", a.get("value") or "on")
            elif kind == "file":
                self._add(name, "file", None)
            elif kind in ("submit", "button", "image", "reset"):
                if name:
                    self._add(name, "choice", a.get("value") or "")
            else:
                self._add(name, "hidden" if kind == "hidden" else "text", a.get("value") or "")
        elif tag == "textarea":
            self._add(a.get("name") or "", "text", "")
        elif tag == "select":
            name = a.get("name") or ""
            self._add(name, "choice", None)
            self._select = self.forms[-1].fields.get(name) if self.forms else None
        elif tag == "option" and self._select is not None:
            value = a.get("value")
            if value is not None and value not in self._select.values:
                self._select.values.append(value)
        elif tag == "button" and a.get("name"):
            self._add(a["name"] or "", "choice", a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _value(f: Field) -> st.SearchStrategy[str | None]:
    """A value a person could send (one of the page's own) or anything at all, or nothing."""
    own = st.sampled_from(f.values) if f.values else st.just("")
    return st.one_of(own, TEXT, st.none())


def _encode(pairs: list[tuple[str, str]]) -> str:
    """URL-encode, lone surrogates included (as the bytes a client would send)."""
    return "&".join(
        f"{quote_plus(k)}={quote_plus(v.encode('utf-8', 'surrogatepass'))}" for k, v in pairs
    )


def _no_surrogates(value: str) -> str:
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


class Tally:
    def __init__(self) -> None:
        self.inputs = 0
        self.requests = 0
        self.forms = 0
        self.server_errors: list[str] = []
        self.partial_writes: list[str] = []


TALLY = Tally()


@pytest.fixture(scope="module", autouse=True)
def _figures():
    started = time.monotonic()
    yield
    if TALLY.requests:
        report(
            "fuzz",
            f"{TALLY.inputs} inputs, {len(TALLY.server_errors)} server errors, "
            f"{len(TALLY.partial_writes)} partial writes ({TALLY.forms} forms, "
            f"{TALLY.requests} requests, "
            f"{time.monotonic() - started:.0f} s)",
        )


def _client(user: User | None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


@dataclass
class World:
    family: Family
    draft_user: User
    contact_pending: Membership
    contact_key: str
    invitee: User


def _world() -> World:
    family = build_family("alpha")
    draft = drafting_user(domain="fuzzdraft.example", through="support")
    pending = submitted_reseller()
    case = case_open(organization=pending.organization, actor=pending.user)
    invitee = UserFactory(email="owner2@alphanewcust.example")
    return World(family, draft.user, pending, last_link_key(case), invitee)


def _form_pages(world: World) -> list[tuple[str, User | None, str]]:
    """(who, user, page): every page with a form, as the user who may use it."""
    f = world.family
    ga = {key: roles.get("global_admin") for key, roles in f.members.items()}
    reseller, provider = ga["reseller"].user, ga["provider"].user
    reviewer = f.members["operator"]["verification_admin"].user
    other_member = f.members["reseller"]["sales_agent"].pk
    case = f.objects["case"]
    return [
        ("anonymous", None, "/accounts/login/"),
        ("anonymous", None, "/accounts/signup/"),
        ("anonymous", None, "/accounts/password/reset/"),
        ("anonymous", None, f"/verify-contact/{world.contact_key}/"),
        ("anonymous", None, f"/verify-contact/{f.objects['contact_key']}/"),  # used: new link
        ("draft", world.draft_user, "/enroll/reseller/legal/"),
        ("draft", world.draft_user, "/enroll/reseller/contact/"),
        ("draft", world.draft_user, "/enroll/reseller/support/"),
        ("draft", world.draft_user, "/enroll/reseller/review/"),
        ("reseller", reseller, "/dashboard/"),
        ("provider", provider, "/dashboard/agreement/"),
        ("reseller", reseller, "/settings/legal/?edit=1"),
        ("reseller", reseller, "/settings/identifiers/"),
        ("reseller", reseller, "/settings/users/add/"),
        ("reseller", reseller, f"/settings/users/{other_member}/"),
        ("reseller", reseller, "/indirect-providers/"),
        ("reseller", reseller, "/indirect-providers/invite-customer/"),
        ("reseller", reseller, f"/indirect-providers/{f.objects['relationship'].pk}/end/"),
        ("reseller", reseller, f"/customers/{f.customer.pk}/"),
        ("provider", provider, "/indirect-resellers/"),
        ("provider", provider, f"/customers/{f.customer.pk}/"),
        ("applicant", ga["applicant"].user, "/verification/"),
        ("contact pending", world.contact_pending.user, "/verification/"),
        ("reviewer", reviewer, "/review/"),
        ("reviewer", reviewer, f"/review/{case.pk}/"),
        ("invitee", world.invitee, f"/invitations/{f.objects['customer_invitation'].key}/"),
        ("customer", ga["customer"].user, f"/invitations/{f.objects['customer_invitation'].key}/"),
        ("reseller", reseller, f"/invitations/{f.objects['reseller_invitation'].key}/"),
    ]


def _list_pages(world: World) -> list[tuple[str, User | None, str]]:
    f = world.family
    reseller = f.members["reseller"]["global_admin"].user
    provider = f.members["provider"]["global_admin"].user
    reviewer = f.members["operator"]["verification_admin"].user
    return [
        ("reseller", reseller, "/indirect-providers/"),
        ("reseller", reseller, "/indirect-providers/export.csv"),
        ("reseller", reseller, "/customers/"),
        ("reseller", reseller, "/customers/export.csv"),
        ("reseller", reseller, "/find-a-provider/"),
        ("reseller", reseller, "/settings/users/"),
        ("reseller", reseller, "/settings/identifiers/"),
        ("reseller", reseller, "/settings/legal/"),
        ("reseller", reseller, "/dashboard/"),
        ("provider", provider, "/indirect-resellers/"),
        ("provider", provider, "/indirect-resellers/export.csv"),
        ("provider", provider, "/customers/"),
        ("provider", provider, f"/customers/{f.customer.pk}/"),
        ("reviewer", reviewer, "/review/"),
        ("applicant", f.members["applicant"]["global_admin"].user, "/verification/"),
        ("draft", world.draft_user, "/enroll/reseller/legal/"),
        ("draft", world.draft_user, "/enroll/reseller/review/"),
    ]


def _discover(pages: list[tuple[str, User | None, str]]) -> list[tuple[str, User | None, Form]]:
    found: list[tuple[str, User | None, Form]] = []
    seen: set[tuple] = set()
    for who, user, page in pages:
        response = _client(user).get(page)
        assert response.status_code in (200, 410), f"{page} as {who}: {response.status_code}"
        reader = FormReader(urlsplit(page).path)
        reader.feed(response.content.decode())
        for form in reader.forms:
            if form.fields and form.signature() not in seen:  # the language form is on every page
                seen.add(form.signature())
                found.append((who, user, form))
    return found


def _draft_data(user: User) -> Any:
    return EnrollmentDraft.objects.filter(user=user).values_list("data", flat=True).first()


def _send(client: Client, form: Form, values: dict[str, str | None]):
    pairs = [(k, v) for k, v in values.items() if v is not None and form.fields[k].kind != "file"]
    if form.method == "GET":
        return client.get(f"{form.action}?{_encode(pairs)}")
    if form.multipart:
        data: dict[str, Any] = {k: _no_surrogates(v) for k, v in pairs}
        for name, f in form.fields.items():
            if f.kind == "file" and values.get(name) is not None:
                data[name] = SimpleUploadedFile(
                    _no_surrogates(values[name] or "f") or "f", PDF, "application/pdf"
                )
        return client.post(form.action, data)
    return client.post(
        form.action, _encode(pairs), content_type="application/x-www-form-urlencoded"
    )


def _refused(response) -> bool:
    """A refusal: an error status, or the form shown again with errors beside fields."""
    if response.status_code >= 400:
        return True
    body = response.content.decode(errors="replace") if response.status_code == 200 else ""
    return "invalid-feedback" in body or "is-invalid" in body


def _fuzz_form(who: str, user: User | None, form: Form) -> None:
    client = _client(user)
    strategy = st.fixed_dictionaries({name: _value(f) for name, f in form.fields.items()})
    # Every example is rolled back: the database before each one is this one.
    before = db_digest() if form.method == "POST" else ""

    @settings(
        max_examples=EXAMPLES_PER_FORM,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(values=strategy)
    def run(values: dict[str, str | None]) -> None:
        TALLY.inputs += sum(
            1 for k, v in values.items() if v is not None and form.fields[k].kind != "hidden"
        )
        TALLY.requests += 1
        with transaction.atomic():
            draft_before = _draft_data(user) if user is not None else None
            response = _send(client, form, values)
            after = db_digest() if form.method == "POST" else ""
            draft_after = _draft_data(user) if user is not None else None
            transaction.set_rollback(True)
        where = f"{form.method} {form.action} as {who} with {values!r}"[:600]
        if response.status_code >= 500:
            TALLY.server_errors.append(f"{response.status_code} {where}")
        elif before != after and _refused(response):
            TALLY.partial_writes.append(f"{response.status_code} {where}")
        if draft_after is not None and draft_after != draft_before:
            assert "\\u0000" not in str(draft_after) and "\x00" not in str(draft_after)

    run()


def _fuzz_list(who: str, user: User | None, page: str) -> None:
    client = _client(user)
    params = st.fixed_dictionaries({name: TEXT for name in LIST_PARAMS}).map(
        lambda values: list(values.items())
    )

    @settings(
        max_examples=EXAMPLES_PER_LIST,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(pairs=params)
    def run(pairs: list[tuple[str, str]]) -> None:
        TALLY.inputs += len(pairs)
        TALLY.requests += 1
        separator = "&" if "?" in page else "?"
        with transaction.atomic():
            response = client.get(f"{page}{separator}{_encode(pairs)}")
            transaction.set_rollback(True)
        if response.status_code >= 500:
            TALLY.server_errors.append(f"{response.status_code} GET {page} as {who}: {pairs!r}")

    run()


@pytest.fixture
def _uploads_in_tmp(settings, tmp_path):
    """Uploaded documents go to a temporary folder (the rollback does not remove files)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }


@pytest.mark.django_db
@pytest.mark.usefixtures("_uploads_in_tmp")
def test_no_input_makes_a_server_error_or_a_partial_write():
    world = _world()
    forms = _discover(_form_pages(world))
    TALLY.forms = len(forms)
    for who, user, form in forms:
        _fuzz_form(who, user, form)
    for who, user, page in _list_pages(world):
        _fuzz_list(who, user, page)
    problems = TALLY.server_errors[:20] + TALLY.partial_writes[:20]
    assert not problems, "\n".join(problems)
    assert TALLY.inputs >= 10_000, f"only {TALLY.inputs} inputs over {len(forms)} forms"
    assert TALLY.requests >= 10_000, f"only {TALLY.requests} requests over {len(forms)} forms"
