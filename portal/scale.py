"""Scale data for benchmarks and load tests (`manage.py seed_scale`).

A registry like the dashboard panels: portal never imports the feature apps; each app registers
its step in AppConfig.ready() and `seed_scale` runs the steps in order. A step receives the
`ScaleRun` (the plan, the ids made by earlier steps, a shared password hash) and writes its rows
with `bulk_insert`: PostgreSQL COPY, or bulk_create elsewhere (SQLite at small scales).

The portal step makes the tenants: 2 demo providers (from seed_demo) plus the directory providers,
the resellers (one Global admin each, sign-in ready), the customers, and the outbox history."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, models
from django.utils import timezone

from .demo import PASSWORD
from .models import Market, Membership, Organization, OutboxMessage, User

ScaleStep = Callable[["ScaleRun"], None]
_STEPS: list[tuple[int, str, ScaleStep]] = []

# Marks every organization seed_scale makes (its domain ends with it): how a re-run recognises
# existing scale data.
SCALE_DOMAIN = ".scale.example"

# Full-scale (1.0) sizes; `ScalePlan.for_scale` multiplies them.
FULL = {
    "directory_providers": 300,
    "resellers": 50_000,
    "resellers_with_cases": 30_000,
    "legacy_verified_resellers": 16_000,  # verified before verification existed: no case
    "contoso_relationships": 20_000,
    "contoso_ended": 1_500,
    "fabrikam_relationships": 2_000,
    "customers": 200_000,
    "biggest_reseller_customers": 2_000,
    "northwind_customers": 1_200,
    "outbox": 100_000,
}


def register_scale_step(name: str, step: ScaleStep, *, order: int = 50) -> ScaleStep:
    if all(existing is not step for _order, _name, existing in _STEPS):
        _STEPS.append((order, name, step))
        _STEPS.sort(key=lambda item: item[0])
    return step


def scale_steps() -> list[tuple[str, ScaleStep]]:
    return [(name, step) for _order, name, step in _STEPS]


@dataclass
class ScalePlan:
    scale: float
    counts: dict[str, int]

    @classmethod
    def for_scale(cls, scale: float) -> ScalePlan:
        counts = {key: max(1, round(value * scale)) for key, value in FULL.items()}
        counts["directory_providers"] = max(3, counts["directory_providers"])
        counts["resellers"] = max(40, counts["resellers"])
        counts["resellers_with_cases"] = max(16, counts["resellers_with_cases"])
        counts["legacy_verified_resellers"] = max(8, counts["legacy_verified_resellers"])
        counts["contoso_relationships"] = max(10, counts["contoso_relationships"])
        counts["contoso_ended"] = max(2, counts["contoso_ended"])
        counts["customers"] = max(60, counts["customers"])
        counts["biggest_reseller_customers"] = max(10, counts["biggest_reseller_customers"])
        counts["northwind_customers"] = max(5, counts["northwind_customers"])
        counts["outbox"] = max(20, counts["outbox"])
        return cls(scale=scale, counts=counts)


@dataclass
class Tenant:
    id: int
    name: str
    domain: str
    country: str
    admin_id: int | None = None


@dataclass
class ScaleRun:
    plan: ScalePlan
    rng: random.Random
    now: datetime
    password_hash: str
    out: Callable[[str], None]
    markets: list[str] = field(default_factory=list)
    providers: list[Tenant] = field(default_factory=list)  # directory providers
    resellers: list[Tenant] = field(default_factory=list)
    customers: list[Tenant] = field(default_factory=list)
    demo: dict[str, Tenant] = field(default_factory=dict)  # by domain
    made: dict[str, int] = field(default_factory=dict)  # model label -> rows

    @property
    def counts(self) -> dict[str, int]:
        return self.plan.counts

    def ago(self, max_days: float, min_days: float = 0.0) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(min_days, max_days))


def new_run(scale: float, out: Callable[[str], None], seed: int = 2026) -> ScaleRun:
    return ScaleRun(
        plan=ScalePlan.for_scale(scale),
        rng=random.Random(seed),
        now=timezone.now(),
        password_hash=make_password(PASSWORD),  # hashed once for every user made
        out=out,
    )


def next_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for `count` new rows of `model`, given explicitly so later rows can point
    at them before the insert returns; `bulk_insert` moves the PostgreSQL sequence past them."""
    start = (model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0) + 1
    return list(range(start, start + count))


# A neutral value per PostgreSQL type, for a NOT NULL column without a default that these models
# do not know (a branch's newer migration run on this database).
_NEUTRAL: dict[str, Any] = {
    "character varying": "",
    "text": "",
    "integer": 0,
    "bigint": 0,
    "smallint": 0,
    "numeric": 0,
    "double precision": 0,
    "boolean": False,
    "jsonb": "{}",
    "date": "1970-01-01",
}


def _unknown_required_columns(table: str, known: Sequence[str]) -> list[tuple[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s AND is_nullable = 'NO' "
            "AND column_default IS NULL AND is_identity = 'NO'",
            [table],
        )
        rows = cursor.fetchall()
    result: list[tuple[str, Any]] = []
    for column, data_type in rows:
        if column in known:
            continue
        if data_type.startswith("timestamp"):
            result.append((column, timezone.now()))
        elif data_type in _NEUTRAL:
            result.append((column, _NEUTRAL[data_type]))
    return result


def _copy_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def bulk_insert(
    run: ScaleRun | None,
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> int:
    """Insert `rows` (tuples in the order of `fields`, attnames such as `organization_id`) into
    `model`'s table: COPY on PostgreSQL, bulk_create in batches elsewhere. Returns the count."""
    meta = model._meta
    by_attname = {f.attname: str(f.column) for f in meta.concrete_fields}
    columns = [by_attname[name] for name in fields]
    # Columns a step does not name (one added by a later migration, say) get the field's
    # default, as bulk_create would give them.
    missing = [f for f in meta.concrete_fields if f.attname not in fields and not f.primary_key]
    columns += [str(f.column) for f in missing]
    extra = [_copy_value(f.get_default()) for f in missing]
    count = 0
    if connection.vendor == "postgresql":
        for column, value in _unknown_required_columns(meta.db_table, columns):
            columns.append(column)
            extra.append(value)
        quoted = ", ".join(connection.ops.quote_name(str(column)) for column in columns)
        table = connection.ops.quote_name(meta.db_table)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            with raw.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([*(_copy_value(value) for value in row), *extra])
                    count += 1
            if "id" in fields:
                # The table name comes from the model, quoted: not user input.
                sql = f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608, E501
                cursor.execute(sql, [meta.db_table])
    else:
        batch: list[models.Model] = []
        for row in rows:
            batch.append(model(**dict(zip(fields, row, strict=True))))
            count += 1
            if len(batch) >= 2000:
                model._default_manager.bulk_create(batch)
                batch = []
        if batch:
            model._default_manager.bulk_create(batch)
    if run is not None:
        run.made[meta.label] = run.made.get(meta.label, 0) + count
    return count


# Names: realistic enough for search and sorting, unique by a number.
_FIRST = [
    "Adventure",
    "Alpine",
    "Blue",
    "Bright",
    "Cedar",
    "Coastal",
    "Contour",
    "Delta",
    "Eagle",
    "Fourth",
    "Granite",
    "Harbor",
    "Humongous",
    "Lakeshore",
    "Liberty",
    "Lucerne",
    "Margie's",
    "Nod",
    "Northern",
    "Oak",
    "Olympic",
    "Pinnacle",
    "Proseware",
    "Quantum",
    "Relecloud",
    "Silver",
    "Southridge",
    "Summit",
    "Trey",
    "Vanarsdel",
    "Wide World",
    "Woodgrove",
]
_SECOND = [
    "Analytics",
    "Cloud",
    "Computers",
    "Consulting",
    "Data",
    "Digital",
    "Networks",
    "Office",
    "Partners",
    "Services",
    "Software",
    "Solutions",
    "Systems",
    "Technologies",
    "Telecom",
    "Works",
    "Bakery",
    "Logistics",
    "Pharma",
    "Retail",
    "Travel",
    "Motors",
    "Foods",
    "Legal",
]
_SUFFIX = {
    "IT": "S.r.l.",
    "DE": "GmbH",
    "FR": "SAS",
    "ES": "S.L.",
    "NL": "B.V.",
    "GB": "Ltd",
    "IE": "Ltd",
    "US": "Inc.",
    "CA": "Inc.",
    "BR": "Ltda.",
    "JP": "K.K.",
    "AU": "Pty Ltd",
}
_COMMON_MARKETS = ["IT", "DE", "FR", "ES", "NL", "GB", "IE", "US", "CA", "BR", "JP", "AU"]


def company_name(run: ScaleRun, number: int, country: str) -> str:
    first = run.rng.choice(_FIRST)
    second = run.rng.choice(_SECOND)
    return f"{first} {second} {number} {_SUFFIX.get(country, 'Ltd')}"


def pick_country(run: ScaleRun) -> str:
    if run.rng.random() < 0.8:
        return run.rng.choice(_COMMON_MARKETS)
    return run.rng.choice(run.markets)


def existing_scale_data() -> bool:
    return Organization.objects.filter(primary_domain__endswith=SCALE_DOMAIN).exists()


def _make_tenants(
    run: ScaleRun, kind: str, prefix: str, count: int, statuses: Sequence[str], with_admin: bool
) -> list[Tenant]:
    ids = next_ids(Organization, count)
    tenants: list[Tenant] = []
    org_rows = []
    for index, pk in enumerate(ids):
        country = pick_country(run)
        name = company_name(run, index + 1, country)
        domain = f"{prefix}{index + 1}{SCALE_DOMAIN}"
        tenants.append(Tenant(pk, name, domain, country))
        created = run.ago(900, 30)
        status = statuses[index]
        enrolled = created + timedelta(days=2) if status != Organization.Status.DRAFT else None
        org_rows.append((pk, kind, status, name, country, domain, created, enrolled))
    bulk_insert(
        run,
        Organization,
        [
            "id",
            "kind",
            "status",
            "legal_name",
            "country_id",
            "primary_domain",
            "created_at",
            "enrolled_at",
        ],
        org_rows,
    )
    if with_admin:
        _make_admins(run, tenants)
    return tenants


def _make_admins(run: ScaleRun, tenants: list[Tenant]) -> None:
    from allauth.account.models import EmailAddress

    user_ids = next_ids(User, len(tenants))
    for tenant, user_id in zip(tenants, user_ids, strict=True):
        tenant.admin_id = user_id
    bulk_insert(
        run,
        User,
        [
            "id",
            "password",
            "email",
            "first_name",
            "last_name",
            "language",
            "is_staff",
            "is_active",
            "is_superuser",
            "date_joined",
        ],
        (
            (
                t.admin_id,
                run.password_hash,
                f"admin@{t.domain}",
                "Admin",
                t.name[:50],
                "en",
                False,
                True,
                False,
                run.now,
            )
            for t in tenants
        ),
    )
    bulk_insert(
        run,
        EmailAddress,
        ["user_id", "email", "verified", "primary"],
        ((t.admin_id, f"admin@{t.domain}", True, True) for t in tenants),
    )
    bulk_insert(
        run,
        Membership,
        [
            "user_id",
            "organization_id",
            "global_admin",
            "admin_agent",
            "sales_agent",
            "helpdesk_agent",
            "billing_admin",
            "verification_admin",
            "created_at",
        ],
        ((t.admin_id, t.id, True, True, False, False, False, False, run.now) for t in tenants),
    )


def reseller_statuses(run: ScaleRun) -> list[str]:
    """The organization status of every reseller, in order: first those that will have a
    verification case (submitted: the verification step settles each to its case's outcome),
    then the verified resellers enrolled before verification existed, then drafts."""
    counts = run.counts
    with_cases = counts["resellers_with_cases"]
    legacy = counts["legacy_verified_resellers"]
    drafts = max(0, counts["resellers"] - with_cases - legacy)
    Status = Organization.Status
    return (
        [str(Status.SUBMITTED)] * with_cases
        + [str(Status.VERIFIED)] * legacy
        + [str(Status.DRAFT)] * drafts
    )


def seed_portal(run: ScaleRun) -> None:
    counts = run.counts
    run.markets = list(Market.objects.values_list("code", flat=True))
    for org in Organization.objects.filter(primary_domain__endswith=".example").exclude(
        primary_domain__endswith=SCALE_DOMAIN
    ):
        admin = (
            Membership.objects.filter(organization=org, global_admin=True)
            .values_list("user_id", flat=True)
            .first()
        )
        run.demo[org.primary_domain] = Tenant(
            org.pk, org.legal_name, org.primary_domain, org.country_id or "US", admin
        )
    verified = Organization.Status.VERIFIED
    run.providers = _make_tenants(
        run,
        Organization.Kind.PROVIDER,
        "provider",
        counts["directory_providers"],
        [verified] * counts["directory_providers"],
        with_admin=True,
    )
    statuses = reseller_statuses(run)
    run.resellers = _make_tenants(
        run, Organization.Kind.RESELLER, "reseller", len(statuses), statuses, with_admin=True
    )
    run.customers = _make_tenants(
        run,
        Organization.Kind.CUSTOMER,
        "customer",
        counts["customers"],
        [verified] * counts["customers"],
        with_admin=False,
    )
    _make_outbox(run)


_TEMPLATES = [
    "verification_contact_confirm",
    "verification_checking",
    "relationships_provider_authorized",
    "relationships_customer_invitation",
    "relationships_reseller_invitation",
]


def _make_outbox(run: ScaleRun) -> None:
    """The email history: mostly sent, a few waiting for a retry far ahead (so a worker started
    on this database does not suddenly send thousands of them)."""
    total = run.counts["outbox"]
    resellers = run.resellers
    prefix = f"scale-{int(time.time())}"

    def rows() -> Iterable[tuple[Any, ...]]:
        for index in range(total):
            tenant = resellers[index % len(resellers)]
            created = run.ago(365)
            template = _TEMPLATES[index % len(_TEMPLATES)]
            body = f"Hello,\n\nThis is message {index} about {tenant.name}.\n"
            if run.rng.random() < 0.97:
                status, sent, attempts, error = OutboxMessage.Status.SENT, created, 1, ""
                next_at = created
            else:
                status, sent, attempts = OutboxMessage.Status.PENDING, None, 3
                error, next_at = (
                    "SMTPServerDisconnected: 451 try later",
                    run.now + timedelta(days=30),
                )
            yield (
                f"{prefix}-{index}",
                tenant.id,
                f"admin@{tenant.domain}",
                template,
                "en",
                {"name": tenant.name},
                f"[CSP Partner Portal] {template.replace('_', ' ')}",
                body,
                "",
                status,
                attempts,
                error,
                next_at,
                None,
                sent,
                created,
            )

    bulk_insert(
        run,
        OutboxMessage,
        [
            "idempotency_key",
            "organization_id",
            "to_email",
            "template",
            "language",
            "context",
            "subject",
            "body_text",
            "body_html",
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "claimed_at",
            "sent_at",
            "created_at",
        ],
        rows(),
    )


def zipf_weights(count: int, exponent: float = 1.1) -> list[float]:
    """A long tail: the k-th item weighs 1/k^exponent."""
    return [1.0 / (rank**exponent) for rank in range(1, count + 1)]
