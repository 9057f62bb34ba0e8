"""Rules that decide what a person sees are written once, and every caller uses that one.

- The language an email goes out in: `portal.selectors.email_language`. Every `outbox_enqueue`
  call in the project passes `language=` from it (directly, or through a local variable it set).
- An organization's Global admins (the recipients of what concerns the whole organization):
  `portal.selectors.global_admins`. A module that writes emails queries no `global_admin` flag.
- The currency an order is priced in: `commerce.currency`. No other module reads a customer's
  country's currency.

The code is parsed with `ast` (like tests/test_architecture.py); each check names the file and
line of a caller that bypasses the rule. The behaviour of each function is tested here too."""

from __future__ import annotations

import ast
from functools import cache, lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"tests", "bench", ".venv", ".tools", "node_modules", "migrations"}


@lru_cache(maxsize=1)
def project_files() -> tuple[Path, ...]:
    """The Python files of every app (the folders holding an apps.py) and of the settings."""
    apps = sorted(p.parent for p in ROOT.glob("*/apps.py"))
    return tuple(
        path
        for app in apps
        for path in sorted(app.rglob("*.py"))
        if not SKIP.intersection(path.relative_to(ROOT).parts)
    )


@cache
def text_of(path: Path) -> str:
    return path.read_text()


@cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(text_of(path), str(path))


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _calls(node: ast.AST, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Call) and _name(n.func) == name]


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _from_email_language(value: ast.expr, function: ast.AST) -> bool:
    """`value` is `email_language(...)`, or a name the function set from it (and only from it)."""
    if isinstance(value, ast.Call):
        return _name(value.func) == "email_language"
    if not isinstance(value, ast.Name):
        return False
    sources = [
        node.value
        for node in ast.walk(function)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == value.id for t in node.targets)
    ]
    return bool(sources) and all(
        isinstance(s, ast.Call) and _name(s.func) == "email_language" for s in sources
    )


def email_language_bypasses(files: tuple[Path, ...] | list[Path]) -> list[str]:
    found = []
    for path in files:
        if "outbox_" not in text_of(path):
            continue
        tree = parsed(path)
        for function in _functions(tree):
            if function.name in {"outbox_enqueue", "outbox_write"}:
                continue
            for call in _calls(function, "outbox_enqueue") + _calls(function, "outbox_write"):
                language = next((k.value for k in call.keywords if k.arg == "language"), None)
                if language is None or not _from_email_language(language, function):
                    found.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    return found


def test_every_email_takes_its_language_from_email_language():
    bypasses = email_language_bypasses(project_files())
    assert bypasses == [], "outbox_enqueue without language=email_language(...): " + ", ".join(
        bypasses
    )


def test_the_language_check_sees_a_caller_that_bypasses_it(tmp_path):
    # The check above is not vacuous: the fallback orders it replaced are reported.
    sample = tmp_path / "emails.py"
    sample.write_text(
        "def send(user, org):\n"
        "    outbox_enqueue(key='k', to=user.email, template='t', context={},\n"
        "                   language=user.language or org.language or 'en')\n"
        "def send_default(user):\n"
        "    outbox_enqueue(key='k', to=user.email, template='t', context={})\n"
        "def send_right(user):\n"
        "    language = email_language(user=user)\n"
        "    outbox_enqueue(key='k', to=user.email, template='t', context={}, language=language)\n"
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert email_language_bypasses([sample]) == ["emails.py:2", "emails.py:5"]
    finally:
        ROOT = saved


def global_admin_copies(files: tuple[Path, ...] | list[Path]) -> list[str]:
    """Queries of the Global admin (or Billing admin) flag where emails are written: in an
    emails module, or in a function that queues an email."""
    copies = []
    for path in files:
        if "_admin" not in text_of(path):
            continue
        tree = parsed(path)
        scopes: list[ast.AST] = (
            [tree]
            if path.name.endswith("emails.py")
            else [f for f in _functions(tree) if _calls(f, "outbox_enqueue")]
        )
        for scope in scopes:
            for node in ast.walk(scope):
                if isinstance(node, ast.keyword) and node.arg in {"global_admin", "billing_admin"}:
                    copies.append(f"{path.relative_to(ROOT)}:{node.value.lineno}")
    return sorted(set(copies))


def test_no_email_decides_its_global_admins_itself():
    copies = global_admin_copies(project_files())
    assert copies == [], "use portal.selectors.global_admins: " + ", ".join(copies)


def test_the_global_admins_check_sees_a_copy(tmp_path):
    sample = tmp_path / "gdap_emails.py"
    sample.write_text(
        "def global_admins(organization):\n"
        "    return Membership.objects.filter(organization=organization, global_admin=True)\n"
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert global_admin_copies([sample]) == ["gdap_emails.py:2"]
    finally:
        ROOT = saved


def test_only_commerce_currency_derives_an_order_currency():
    copies = []
    for path in project_files():
        if path == ROOT / "commerce" / "currency.py" or "currency" not in text_of(path):
            continue
        for node in ast.walk(parsed(path)):
            # customer.country.currency, market.currency (a Market is a country)
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "currency"
                and _name(node.value) in {"country", "market"}
            ) or (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and "country__currency" in node.value
            ):
                copies.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert copies == [], "use commerce.currency.order_currency: " + ", ".join(copies)


@pytest.mark.django_db
def test_email_language_follows_one_order():
    from portal.models import Organization, User
    from portal.selectors import email_language

    org = Organization.objects.create(
        kind=Organization.Kind.RESELLER,
        legal_name="Contoso S.p.A.",
        primary_domain="contoso-rules.example",
        language="it",
    )
    english = User.objects.create_user("ann@contoso-rules.example", None, language="en")
    # 1. the person's own language wins over the organization's and the sender's choice
    assert email_language(user=english, organization=org, chosen="it") == "en"
    assert email_language(email="ANN@contoso-rules.example", chosen="it") == "en"
    # 2. no account: the organization's (given, or the one at the address's domain)
    assert email_language(email="new@contoso-rules.example", chosen="en") == "it"
    assert email_language(email="new@elsewhere.example", organization=org) == "it"
    # 3. nobody known: the sender's choice; 4. else the site's
    assert email_language(email="new@elsewhere.example", chosen="it") == "it"
    assert email_language(email="new@elsewhere.example") == "en"


@pytest.mark.django_db
def test_global_admins_are_the_active_global_admins_and_billing_on_request():
    from portal.models import Membership, Organization, User
    from portal.selectors import global_admins

    org = Organization.objects.create(
        kind=Organization.Kind.RESELLER, legal_name="Fabrikam", primary_domain="fab.example"
    )
    other = Organization.objects.create(
        kind=Organization.Kind.RESELLER, legal_name="Other", primary_domain="other.example"
    )
    people = {
        name: User.objects.create_user(f"{name}@fab.example", None)
        for name in ("admin", "billing", "agent", "gone", "elsewhere")
    }
    people["gone"].is_active = False
    people["gone"].save(update_fields=["is_active"])
    Membership.objects.create(user=people["admin"], organization=org, global_admin=True)
    Membership.objects.create(user=people["billing"], organization=org, billing_admin=True)
    Membership.objects.create(user=people["agent"], organization=org, admin_agent=True)
    Membership.objects.create(user=people["gone"], organization=org, global_admin=True)
    Membership.objects.create(user=people["elsewhere"], organization=other, global_admin=True)
    assert global_admins(organization=org) == [people["admin"]]
    assert global_admins(organization=org, billing_admins=True) == [
        people["admin"],
        people["billing"],
    ]


def test_order_currency_is_the_customers_market_currency():
    from commerce.currency import order_currency
    from portal.models import Market, Organization

    italy = Market(code="IT", name="Italy", currency="EUR")
    assert order_currency(Organization(legal_name="Contoso", country=italy)) == "EUR"
    assert order_currency(Organization(legal_name="Nowhere")) is None
