"""Hostile input on every form and search, on PostgreSQL: Hypothesis fills every field of every
form the portal shows and every query parameter of every list, as the user who may use it, with
NUL bytes, lone surrogates, very long strings, any Unicode, SQL and HTML metacharacters.

The forms are found from the URL map, not from a list kept here: every pattern of Django's
resolver that answers GET (portal, enrolment, verification, relationships, commerce, delegation
and allauth's account pages) is requested as everyone who may open it, its URL built for the test
family's objects (tests/urlmap.py OBJECT_URLS, shared with the isolation suite), and every
`<form>` on the answer is read. Who may open a page:

- a page whose view states a policy (`TenantViewMixin`: organization kinds and an action) is
  built for every member of the family whose organization kind and role the policy lets in,
  and for every partner administering the customer on its behalf (the delegated roles);
- any other page (signing in, enrolment, links by key, the review desk) depends on who is signed
  in, not on a role: it is built for nobody, one Global admin of each organization, the
  reviewer and the users in a state of their own (a draft, a contact to confirm, an invitee, a
  second factor, no password yet, a second factor half done).

A form exists where the URL map says a pattern's view takes a POST (tests/urlmap.py `accepts`);
the test fails unless a fuzzed form posts to each of them.

An input is one fuzzed field or parameter. Each example runs in a savepoint rolled back after
it; a refused POST (anything but a redirect) must leave the database exactly as it was. Each
form gets every class of NASTY values (deterministic explicit examples: class k goes to field
(k + i) of the form's fields in its i-th example, so a form of n fields takes ceil(classes / n)
of them and a file field takes every class), then FUZZ_EXAMPLES examples drawn by Hypothesis."""

from __future__ import annotations

import copy
import math
import os
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urljoin, urlsplit

import pytest
from allauth.account import app_settings as account_settings
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import Resolver404, URLPattern, get_resolver, resolve
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from enrollment.models import EnrollmentDraft
from portal.delegation import delegated_membership
from portal.models import Membership, User
from portal.policy import RULES, can
from portal.tenancy import TenantViewMixin
from relationships.bulk_csv import COLUMNS
from tests.dbstate import db_digest
from tests.enrollment.factories import drafting_user
from tests.factories import PASSWORD, UserFactory, member
from tests.figures import report
from tests.relationships.factories import provider_org, reseller_org
from tests.tenants import PDF, Family, build_family
from tests.urlmap import OBJECT_URLS, STAFF_PREFIX, accepts, has_parameter, url, view_class, walk
from tests.verification.factories import submitted_reseller
from tests.verification.helpers import last_link_key
from verification.services.cases import case_open
from verification.services.contact import contact_link_issue

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the fuzz suite hunts what PostgreSQL refuses to store (NUL, surrogates); "
    "SQLite stores them. CI runs it on PostgreSQL",
)

# The deterministic hostile values, by class: every form gets every class at least once.
NASTY: dict[str, list[str]] = {
    "nul": ["\x00", "a\x00b", "anna@example.com\x00", "%00"],
    "surrogate": ["\ud800", "x\udfffy"],
    "sql": ["' OR '1'='1", "'; DROP TABLE portal_user; --"],
    "html": ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'],
    "wildcard": ["%", "_", "\\"],
    "path": ["../../etc/passwd"],
    "template": ["{{ 7*7 }}", "{% debug %}"],
    "long": ["ß" * 300, "a" * 5000],
    "astral": ["😀" * 70, "\U0001d54f" * 10],  # outside the Basic Multilingual Plane
    "bidi": ["\u202e\u0645\u0631\u062d\u0628\u0627"],
    "blank": [" ", "", "\r\n"],
    "number": ["0", "-1", "99999999999999999999999", "1e400", "NaN", "null"],
    "address": ["x@y"],
}
NASTY_VALUES = [value for values in NASTY.values() for value in values]
TEXT = st.one_of(
    st.sampled_from(NASTY_VALUES),
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
# Query parameters that only filter, sort or page a list: a link to the same page with other
# parameters (?edit=1) shows another state of the page, with forms of its own, and is followed.
LIST_ONLY = set(LIST_PARAMS) - {"edit"}
# Examples drawn by Hypothesis per form and per list, after the explicit NASTY ones. The NASTY
# classes catch what the fuzzer ever found; the drawn examples add variety at a price CI can pay
# (the suite's budget is ~150 s on 2 cores). FUZZ_EXAMPLES=200 for a long hunt.
EXAMPLES_PER_FORM = int(os.environ.get("FUZZ_EXAMPLES", "5"))
EXAMPLES_PER_LIST = EXAMPLES_PER_FORM
NOT_FUZZED = {"csrfmiddlewaretoken"}  # the test client does not check it


def exempt_forms() -> dict[str, str]:
    """POST patterns that cannot show a form in this configuration, with the reason."""
    exempt = {
        # OAuth2 clients POST to the token endpoint; no page shows it (tests/api/ covers it).
        "api/v1/oauth/token/": "a machine's endpoint, no page's form",
        # The REST API's POSTs take JSON from programs (schemathesis fuzzes them).
        "api/v1/reseller-invitations/": "the REST API's JSON, no page's form",
        "api/v1/customer-invitations/": "the REST API's JSON, no page's form",
        "api/v1/orders/": "the REST API's JSON, no page's form",
        "api/v1/subscriptions/<str:id>/cancel/": "the REST API's JSON, no page's form",
    }
    if not account_settings.LOGIN_BY_CODE_ENABLED:
        exempt["accounts/login/code/confirm/"] = "sign-in by code is off"
    return exempt


@dataclass
class Field:
    name: str
    kind: str  # text, choice, check, file, hidden
    values: list[str] = field(default_factory=list)
    accept: str = ""


@dataclass
class Form:
    page: str
    action: str
    method: str
    multipart: bool
    fields: dict[str, Field] = field(default_factory=dict)
    prelude: str | None = None  # a page to GET first (it puts a key in the session)

    def signature(self) -> tuple:
        """The same form of the same view (another object's copy of it is the same form)."""
        try:
            match = resolve(urlsplit(self.action).path)
        except Resolver404:
            return (self.action, self.method, tuple(sorted(self.fields)))
        named = tuple(sorted((k, v) for k, v in match.kwargs.items() if not isinstance(v, int)))
        return (match.route, named, self.method, tuple(sorted(self.fields)))

    def fuzzed(self) -> list[str]:
        return [name for name in self.fields if name not in NOT_FUZZED]


class PageReader(HTMLParser):
    """The forms of a page (action, method and each named control with its values) and its
    links."""

    def __init__(self, page: str):
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._select: Field | None = None

    def _add(self, name: str, kind: str, value: str | None, accept: str = "") -> None:
        if not self.forms or not name:
            return
        fields = self.forms[-1].fields
        found = fields.setdefault(name, Field(name, kind, accept=accept))
        if value is not None and value not in found.values:
            found.values.append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        elif tag == "form":
            action = urlsplit(urljoin(self.page, a.get("action") or ""))
            self.forms.append(
                Form(
                    page=self.page,
                    action=action.path
                    + (f"?{action.query}" if action.query and a.get("action") else ""),
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
                self._add(name, "file", None, accept=a.get("accept") or "")
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


def _own(f: Field) -> str:
    """The value a person would send: the control's own (the first option, the checkbox)."""
    return f.values[0] if f.values else ""


def _value(f: Field) -> st.SearchStrategy[str | None]:
    """A value a person could send (one of the page's own) or anything at all, or nothing."""
    own = st.sampled_from(f.values) if f.values else st.just("")
    return st.one_of(own, TEXT, st.none())


def nasty_examples(names: list[str], file_fields: set[str] = frozenset()) -> list[dict]:
    """Explicit examples that give every NASTY class to the fields `names`: example i puts
    class (i * n + k) on field k of n, so ceil(classes / n) examples give every class to the
    form; with a file field (a whole CSV of cells), example i puts class (i + k) on field k
    and every field, the file included, gets every class."""
    classes = list(NASTY)
    if not names:
        return []
    n = len(names)
    by_field = bool(file_fields & set(names))
    count = len(classes) if by_field else math.ceil(len(classes) / n)
    found = []
    for i in range(count):
        values: dict[str, str] = {}
        for k, name in enumerate(names):
            members = NASTY[classes[((i + k) if by_field else (i * n + k)) % len(classes)]]
            values[name] = members[(i + k) % len(members)]
        found.append(values)
    return found


def _encode(pairs: list[tuple[str, str]]) -> str:
    """URL-encode, lone surrogates included (as the bytes a client would send)."""
    return "&".join(
        f"{quote_plus(k)}={quote_plus(v.encode('utf-8', 'surrogatepass'))}" for k, v in pairs
    )


def _no_surrogates(value: str) -> str:
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _upload(f: Field, value: str) -> SimpleUploadedFile:
    """A file for `f` carrying `value`: a CSV with the value in every cell of every column the
    bulk invitations know (as the raw bytes, surrogates included), else a PDF named by it."""
    name = _no_surrogates(value) or "f"
    if "csv" in f.accept:
        columns = sorted(
            {c for required, optional in COLUMNS.values() for c in required + optional}
        )
        cell = value.replace('"', '""')
        row = ",".join(f'"{cell}@example.com"' if c == "email" else f'"{cell}"' for c in columns)
        text = ",".join(columns) + "\r\n" + row + "\r\n"
        return SimpleUploadedFile(
            f"{name[:50]}.csv", text.encode("utf-8", "surrogatepass"), "text/csv"
        )
    return SimpleUploadedFile(name, PDF, "application/pdf")


class Tally:
    def __init__(self) -> None:
        self.inputs = 0
        self.requests = 0
        self.forms = 0
        self.lists = 0
        self.pages = 0
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
            f"{len(TALLY.partial_writes)} partial writes ({TALLY.forms} forms and "
            f"{TALLY.lists} lists found on {TALLY.pages} pages, {TALLY.requests} requests, "
            f"{time.monotonic() - started:.0f} s)",
        )
        TALLY.requests = 0  # reported once, though xdist may set this fixture up again


# ---------------------------------------------------------------- who requests what


@dataclass
class Requester:
    """A client signed in as someone (or nobody), and the membership the policy sees for it
    (a delegated one while administering a customer)."""

    label: str
    client: Client
    user: User | None = None
    membership: Membership | None = None
    by_role: bool = False  # one of many roles of its organization: only for pages with a policy
    context: str = ""  # "delegated": its forms act in another tenant, fuzzed apart
    only: tuple[str, ...] | None = None  # the route prefixes it opens: the pages of its state


def _signed_in(user: User | None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def _half_signed_in(user: User) -> Client:
    """Password given, second factor asked (allauth's sign-in stage, in the session)."""
    client = Client(raise_request_exception=False)
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.get("Location", "").startswith("/accounts/2fa/authenticate/"), response
    return client


def _signed_in_with_second_factor(user: User, secret: str) -> Client:
    """Signed in through the sign-in pages, password then code, and the password confirmed
    again (allauth's second-factor pages show their forms only to who just did)."""
    client = _half_signed_in(user)
    for _attempt in range(3):  # a code typed at the end of its 30 s period may expire
        code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
        response = client.post("/accounts/2fa/authenticate/", {"code": code})
        if response.status_code == 302:
            break
    assert response.status_code == 302, f"the second factor was refused: {response}"
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302, response
    return client


def _with_totp(membership: Membership) -> str:
    secret = generate_totp_secret()
    TOTP.activate(membership.user, secret)
    return secret


@dataclass
class World:
    family: Family
    requesters: list[Requester]
    kwargs: dict[str, list[dict[str, Any]]]  # route -> kwargs of the fuzz's own users


def _world() -> World:
    family = build_family("alpha")
    draft = drafting_user(domain="fuzzdraft.example", through="support")
    pending = submitted_reseller()
    pending_case = case_open(organization=pending.organization, actor=pending.user)
    replaced_key = last_link_key(pending_case)  # a newer link replaces it: "ask for a new one"
    contact_key = contact_link_issue(
        case=pending_case,
        email=pending.organization.legal_profile.primary_contact_email,
        now=timezone.now(),
    )
    invitee = UserFactory(email="owner2@alphanewcust.example")
    second_factor = member(reseller_org())
    second_factor_secret = _with_totp(second_factor)
    half_signed_in = member(reseller_org())
    _with_totp(half_signed_in)
    no_password = member(reseller_org())
    no_password.user.set_unusable_password()
    no_password.user.save()
    before_agreement = member(provider_org())
    unconfirmed = UserFactory(email="unconfirmed@fuzzmail.example")
    address = EmailAddress.objects.get(user=unconfirmed)
    address.verified = False
    address.save()

    requesters = [Requester("anonymous", _signed_in(None))]
    for org_key, roles in family.members.items():
        for role, membership in roles.items():
            requesters.append(
                Requester(
                    f"{org_key} {role}",
                    _signed_in(membership.user),
                    membership.user,
                    membership,
                    by_role=role not in ("global_admin", "verification_admin"),
                )
            )
    requesters += [
        Requester("draft", _signed_in(draft.user), draft.user, only=("enroll/",)),
        Requester(
            "contact pending",
            _signed_in(pending.user),
            pending.user,
            pending,
            only=("verification/",),
        ),
        Requester("invitee", _signed_in(invitee), invitee, only=("invitations/", "enroll/")),
        Requester(
            "second factor",
            _signed_in_with_second_factor(second_factor.user, second_factor_secret),
            second_factor.user,
            second_factor,
            only=("accounts/",),
        ),
        Requester(
            "second factor half done",
            _half_signed_in(half_signed_in.user),
            only=("accounts/2fa/authenticate/",),
        ),
        Requester(
            "no password",
            _signed_in(no_password.user),
            no_password.user,
            no_password,
            only=("accounts/",),
        ),
        Requester(
            "provider before the agreement",
            _signed_in(before_agreement.user),
            before_agreement.user,
            before_agreement,
            only=("dashboard/",),
        ),
    ]
    requesters += _administering(family)
    # Made after every sign-in: a reset token is void once its user signs in again.
    forgetful = UserFactory(email="forgetful@fuzzmail.example")
    reset_key = {
        "uidb36": user_pk_to_url_str(forgetful),
        "key": default_token_generator.make_token(forgetful),
    }
    return World(
        family,
        requesters,
        kwargs={
            "enroll/reseller/<slug:step>/": [{"step": s} for s in ("contact", "support")],
            "verify-contact/<str:key>/": [
                {"key": contact_key},
                {"key": replaced_key},
                {"key": "n0t-a-real-key"},  # a bad link: "send me a new one" by address
            ],
            "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": [
                {"key": EmailConfirmationHMAC(address).key}
            ],
            "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": [reset_key],
            "accounts/welcome/<uidb36>/<key>/": [reset_key],
        },
    )


def _administering(family: Family) -> list[Requester]:
    """Every member of the family's partners who may administer the shared customer on its
    behalf, administering it (one per set of delegated roles: the same roles see the same
    pages)."""
    found: list[Requester] = []
    seen: set[frozenset[str]] = set()
    for org_key in ("provider", "reseller"):
        for role, membership in family.members[org_key].items():
            delegated = delegated_membership(membership.user, family.customer)
            if delegated is None or delegated.delegated_roles in seen:
                continue
            client = _signed_in(membership.user)
            response = client.post(f"/customers/{family.customer.pk}/administer/")
            if response.status_code != 302:
                continue
            seen.add(delegated.delegated_roles)
            found.append(
                Requester(
                    f"{org_key} {role} administering the customer",
                    client,
                    membership.user,
                    delegated,
                    by_role=True,
                    context="delegated",
                )
            )
    assert found, "no partner of the family may administer its customer on its behalf"
    return found


def _states_its_policy(cls: type | None) -> bool:
    """A view whose `TenantViewMixin` policy is all that decides who opens it (a view that
    overrides `dispatch` may decide otherwise: it is opened by every role)."""
    if cls is None or not issubclass(cls, TenantViewMixin):
        return False
    return all(
        "dispatch" not in vars(base) for base in cls.__mro__[: cls.__mro__.index(TenantViewMixin)]
    )


def _may_open(requester: Requester, route: str, pattern: URLPattern) -> bool:
    """Whether `requester` is one who may open the pattern's page (the module's docstring)."""
    if requester.only is not None:
        return route.startswith(requester.only)
    cls = view_class(pattern)
    if cls is None or not issubclass(cls, TenantViewMixin):
        return not requester.by_role
    if not _states_its_policy(cls):
        return requester.membership is not None
    membership = requester.membership
    if membership is None:
        return False
    kinds, _roles = RULES[cls.required_action]
    if cls.organization_kinds is not None:
        kinds = kinds & cls.organization_kinds
    return membership.organization.kind in kinds and can(membership, cls.required_action)


# ---------------------------------------------------------------- the URL map, crawled


def _pages(world: World) -> list[tuple[str, URLPattern, str]]:
    """(route, pattern, path) of every page the URL map can build that answers GET."""
    pages = []
    for route, pattern in walk(get_resolver()):
        if route.startswith(STAFF_PREFIX) or not accepts(pattern, "GET"):
            continue
        if not has_parameter(route, pattern):
            pages.append((route, pattern, "/" + route))
            continue
        target = OBJECT_URLS.get(route)
        # The fuzz's own objects replace the isolation suite's (made-up keys, for allauth).
        kwargs = world.kwargs.get(route) or (target.kwargs(world.family) if target else [])
        assert kwargs, f"no object to build {route} with: add it to tests/urlmap.py OBJECT_URLS"
        pages += [(route, pattern, url(route, kw)) for kw in kwargs]
    return pages


def _route(path: str) -> str | None:
    """The route of the pattern `path` resolves to, as `walk` spells it but without regex
    anchors (Django's resolver drops them: "accounts/^confirm-email/..." is
    "accounts/confirm-email/...")."""
    try:
        return resolve(urlsplit(path).path).route.replace("^", "")
    except Resolver404:
        return None


def _bare(route: str) -> str:
    return route.replace("^", "")


def _same_page_links(path: str, links: list[str]) -> list[str]:
    """Links to this page in another state (?edit=1), not to a filtered or sorted list."""
    found = []
    for link in links:
        parts = urlsplit(link)
        if parts.path not in ("", path) or not parts.query:
            continue
        keys = {k for k, _v in parse_qsl(parts.query, keep_blank_values=True)}
        if keys and not keys & LIST_ONLY:
            found.append(f"{path}?{parts.query}")
    return sorted(set(found))


@dataclass
class Found:
    forms: list[tuple[Requester, Form]] = field(default_factory=list)
    lists: list[tuple[Requester, str, list[str]]] = field(default_factory=list)
    pages: int = 0


def _visit(requester: Requester, page: str, route: str):
    """(response, page, prelude): GET `page` as `requester`, following a redirect to the same
    view (allauth moves a key out of the address bar into the session: `prelude` is then the
    page to GET first). Nothing a page does stays: a savepoint rolled back, the cookies put
    back (a page that signs out, such as a reset link opened while signed in, signs out nobody
    else's visit)."""
    cookies = copy.deepcopy(requester.client.cookies)
    prelude = None
    with transaction.atomic():
        response = requester.client.get(page)
        location = response.get("Location", "")
        if response.status_code == 302 and _route(location) == _bare(route):
            prelude, page = page, location
            response = requester.client.get(location)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)  # an export fails while it streams
        transaction.set_rollback(True)
    requester.client.cookies = cookies
    return response, page, prelude


def _crawl(world: World) -> Found:
    found = Found()
    seen_forms: set[tuple] = set()
    seen_lists: set[str] = set()
    for route, pattern, path in _pages(world):
        for requester in world.requesters:
            if not _may_open(requester, route, pattern):
                continue
            queue = [path]
            while queue:
                page = queue.pop(0)
                response, page, prelude = _visit(requester, page, route)
                if response.status_code >= 500:
                    TALLY.server_errors.append(
                        f"{response.status_code} GET {page} as {requester.label}"
                    )
                if response.status_code in (301, 302) or response.status_code >= 500:
                    continue  # a refused page (400, 404, 410) may still offer a way on
                if (
                    route.endswith(".csv")
                    and response.status_code == 200
                    and page not in seen_lists
                ):
                    seen_lists.add(page)
                    found.lists.append((requester, page, LIST_PARAMS))
                if "text/html" not in response.get("Content-Type", ""):
                    continue
                found.pages += 1
                reader = PageReader(urlsplit(page).path)
                reader.feed(response.content.decode())
                if page == path:
                    queue += _same_page_links(urlsplit(page).path, reader.links)
                for form in reader.forms:
                    if not form.fields:
                        continue
                    if form.method == "GET":
                        if form.action not in seen_lists:
                            seen_lists.add(form.action)
                            names = sorted(set(LIST_PARAMS) | set(form.fields))
                            found.lists.append((requester, form.action, names))
                        continue
                    key = (requester.context, *form.signature())
                    if key not in seen_forms:  # the language form is on every page
                        seen_forms.add(key)
                        form.prelude = prelude
                        found.forms.append((requester, form))
    return found


def forms_that_exist() -> set[str]:
    """Every pattern of the URL map whose view takes a POST (but the admin site's)."""
    exempt = exempt_forms()
    return {
        _bare(route)
        for route, pattern in walk(get_resolver())
        if not route.startswith(STAFF_PREFIX) and accepts(pattern, "POST") and route not in exempt
    }


# ---------------------------------------------------------------- fuzzing


def _draft_data(user: User | None) -> Any:
    if user is None:
        return None
    return EnrollmentDraft.objects.filter(user=user).values_list("data", flat=True).first()


def _send(client: Client, form: Form, values: dict[str, str | None]):
    pairs = [(k, v) for k, v in values.items() if v is not None and form.fields[k].kind != "file"]
    if form.multipart:
        data: dict[str, Any] = {k: _no_surrogates(v) for k, v in pairs}
        for name, f in form.fields.items():
            value = values.get(name)
            if f.kind == "file" and value is not None:
                data[name] = _upload(f, value)
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


def _examples(names: list[str], fields: dict[str, Field]) -> list[dict[str, str | None]]:
    files = {name for name in names if fields[name].kind == "file"}
    found = []
    for nasty in nasty_examples(names, files):
        found.append({name: nasty.get(name, _own(f)) for name, f in fields.items()})
    return found


def _fuzz_form(requester: Requester, form: Form) -> None:
    client = requester.client
    cookies = copy.deepcopy(client.cookies)
    strategy = st.fixed_dictionaries(
        {
            name: (st.just(_own(f)) if name in NOT_FUZZED else _value(f))
            for name, f in form.fields.items()
        }
    )
    # Every example is rolled back: the database before each one is this one.
    before = db_digest()

    def run(values: dict[str, str | None]) -> None:
        TALLY.inputs += sum(1 for k, v in values.items() if v is not None and k not in NOT_FUZZED)
        TALLY.requests += 1
        with transaction.atomic():
            draft_before = _draft_data(requester.user)
            if form.prelude:
                client.get(form.prelude)
            response = _send(client, form, values)
            after = db_digest()
            draft_after = _draft_data(requester.user)
            transaction.set_rollback(True)
        client.cookies = copy.deepcopy(cookies)  # a sign-out or a sign-in undone
        where = f"POST {form.action} as {requester.label} with {values!r}"[:600]
        if response.status_code >= 500:
            TALLY.server_errors.append(f"{response.status_code} {where}")
        elif before != after and _refused(response):
            TALLY.partial_writes.append(f"{response.status_code} {where}")
        if draft_after is not None and draft_after != draft_before:
            assert "\\u0000" not in str(draft_after) and "\x00" not in str(draft_after)

    _hypothesis(run, "values", strategy, _examples(form.fuzzed(), form.fields), EXAMPLES_PER_FORM)


def _fuzz_list(requester: Requester, page: str, names: list[str]) -> None:
    client = requester.client
    params = st.fixed_dictionaries({name: TEXT for name in names})

    def run(values: dict[str, str]) -> None:
        pairs = list(values.items())
        TALLY.inputs += len(pairs)
        TALLY.requests += 1
        separator = "&" if "?" in page else "?"
        with transaction.atomic():
            response = client.get(f"{page}{separator}{_encode(pairs)}")
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)  # a CSV export fails while it streams
            transaction.set_rollback(True)
        if response.status_code >= 500:
            TALLY.server_errors.append(
                f"{response.status_code} GET {page} as {requester.label}: {pairs!r}"[:600]
            )

    _hypothesis(run, "values", params, nasty_examples(names), EXAMPLES_PER_LIST)


def _hypothesis(run, argument: str, strategy, explicit: list[dict], drawn: int) -> None:
    """Run `run` on each explicit example, then on `drawn` examples Hypothesis draws."""
    test = given(**{argument: strategy})(run)
    for values in explicit:
        test = example(**{argument: values})(test)
    settings(
        max_examples=max(1, drawn),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )(test)()


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


def test_nasty_examples_give_every_class_to_every_form():
    for names in (["a"], ["a", "b", "c"], list("abcdefghijklmnopqrstuvwxyz")):
        examples = nasty_examples(names)
        assert len(examples) == math.ceil(len(NASTY) / len(names))
        given_classes = {
            cls
            for values in examples
            for v in values.values()
            for cls, m in NASTY.items()
            if v in m
        }
        assert given_classes == set(NASTY)
    files = nasty_examples(["provider", "file"], {"file"})
    assert {cls for v in files for cls, m in NASTY.items() if v["file"] in m} == set(NASTY)


@on_postgresql
@pytest.mark.django_db
@pytest.mark.usefixtures("_uploads_in_tmp")
def test_no_input_makes_a_server_error_or_a_partial_write(settings):
    # An empty export streams, any other shows the page offering a background export
    # (portal/exports.py): the crawl meets both, and the offer's form is fuzzed.
    settings.PORTAL_EXPORT_STREAM_MAX_ROWS = 0
    started = time.monotonic()
    world = _world()
    found = _crawl(world)
    TALLY.forms, TALLY.lists, TALLY.pages = len(found.forms), len(found.lists), found.pages
    crawled = time.monotonic()

    exist = forms_that_exist()
    covered = {_route(form.action) for _requester, form in found.forms} & exist
    missing = sorted(exist - covered)
    report(
        "fuzz",
        f"forms covered {len(covered)} / forms that exist {len(exist)} "
        f"({100 * len(covered) / len(exist):.0f}%), "
        f"{sum(1 for r, _f in found.forms if r.context == 'delegated')} of the forms fuzzed "
        f"while administering a customer; crawled in {crawled - started:.0f} s",
    )
    for requester, form in found.forms:
        _fuzz_form(requester, form)
    for requester, page, names in found.lists:
        _fuzz_list(requester, page, names)
    problems = TALLY.server_errors[:20] + TALLY.partial_writes[:20]
    assert not problems, "\n".join(problems)
    assert not missing, (
        "No page shows a form for these POST patterns to anyone the fuzzer signs in as: "
        f"give tests/fuzz/test_fuzz.py (_world) someone who sees it, or an object in "
        f"tests/urlmap.py OBJECT_URLS: {missing}"
    )
