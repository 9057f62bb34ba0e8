"""What every step of `manage.py seed_scale` writes with: the plan (how many rows of each kind
at a scale), the `ScaleRun` a step receives (the plan, the ids made by earlier steps, a shared
password hash) and `bulk_insert`: PostgreSQL COPY, or bulk_create elsewhere (SQLite at small
scales). The steps, one module per app, are listed in order in `devtools/scale/__init__.py`."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models
from django.utils import timezone

from devtools.demo.portal import password_hash
from portal.models import Organization

ScaleStep = Callable[["ScaleRun"], None]

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
class Suspended:
    """What the load took off one table (PostgreSQL), to put back with the same names and
    definitions, as the catalogue gave them."""

    indexes: list[str] = field(default_factory=list)  # CREATE [UNIQUE] INDEX statements
    # ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX: a unique constraint over the index
    # built by its statement in `indexes`.
    unique: list[str] = field(default_factory=list)
    foreign_keys: list[tuple[str, str]] = field(default_factory=list)  # (name, definition)


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
    # PostgreSQL: table -> what `suspend_checks` and `suspend_unique` took off it.
    suspended: dict[str, Suspended] = field(default_factory=dict)

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
        password_hash=password_hash(),  # hashed once for every user made (and the demo's)
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


def suspend_checks(run: ScaleRun | None, model: type[models.Model]) -> None:
    """Before the first bulk load of `model`'s table (PostgreSQL): take off its foreign keys and
    its plain secondary indexes, so the load neither queues one deferred foreign-key check per
    row and key (checked one by one at COMMIT: most of the time of a 1.0 seed) nor updates every
    index row by row. `restore_checks` puts them back after the load, with the same names and
    definitions: a foreign key is then validated by one query over the table, an index built in
    one pass. Unique indexes and constraints stay (ON CONFLICT and the data's own invariants
    need them). Inside `seed_scale`'s transaction: a failure rolls all of it back."""
    if run is None or connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    if table in run.suspended:
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [quote(table)],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisunique AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ORDER BY 1",
            [quote(table)],
        )
        indexes = cursor.fetchall()
        # Names and definitions come from the catalogue, quoted: not user input.
        for name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    run.suspended[table] = Suspended(
        indexes=[definition for _name, definition in indexes], foreign_keys=foreign_keys
    )


def suspend_unique(run: ScaleRun, model: type[models.Model], name: str) -> None:
    """Take off `model`'s unique constraint `name` too (PostgreSQL) for a load that never needs
    it (no ON CONFLICT) and whose rows are unique by construction: `restore_checks` adds it
    back, one sorted index build instead of a row-by-row insert into the index, and the
    ADD fails (rolling the seed back) if the load broke it."""
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(conindid), condeferrable, condeferred FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND conname = %s AND contype = 'u'",
            [quote(table), name],
        )
        row = cursor.fetchone()
        if row is None:
            return
        # Names come from the model and the catalogue, quoted: not user input.
        cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    index, deferrable, deferred = row
    timing = " DEFERRABLE" if deferrable else ""
    timing += " INITIALLY DEFERRED" if deferred else ""
    suspended = run.suspended.setdefault(table, Suspended())
    # The constraint's own index, built like the others, then made the constraint (a moment):
    # the build can run beside the table's other index builds (ADD CONSTRAINT UNIQUE builds it
    # under a lock that waits for them).
    suspended.indexes.append(index)
    suspended.unique.append(
        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} UNIQUE USING INDEX "
        f"{quote(name)}{timing}"
    )


def restore_checks(run: ScaleRun, *, validate: bool = True) -> None:
    """Put back every index and constraint `suspend_checks` and `suspend_unique` took off
    (seed_scale's last step in its transaction). `validate=False` (a seed in its own
    transaction) puts back only the foreign keys, NOT VALID: enforced on every write from the
    commit on, and then checked over the existing rows, with the index builds, by
    `devtools.scale.restore.restore_in_sessions` after the commit, several at a time."""
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if not validate:
            for table, suspended in run.suspended.items():
                for name, definition in suspended.foreign_keys:
                    cursor.execute(
                        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                        " NOT VALID"
                    )
            return
        # Index builds sort in memory up to this (the default, 64 MB, spills to disk).
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        # A foreign key's check queries use the indexes: build them first.
        for suspended in run.suspended.values():
            for statement in suspended.indexes:
                cursor.execute(statement)
            for statement in suspended.unique:
                cursor.execute(statement)
        for table, suspended in run.suspended.items():
            for name, definition in suspended.foreign_keys:
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                )
    run.suspended.clear()


# An index build's sort memory (each session's, split between its parallel workers): the charge
# table's 7 million lines sort in memory at 1.0 instead of spilling runs to disk and merging.
MAINTENANCE_WORK_MEM = "2GB"


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
        suspend_checks(run, model)
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


def zipf_weights(count: int, exponent: float = 1.1) -> list[float]:
    """A long tail: the k-th item weighs 1/k^exponent."""
    return [1.0 / (rank**exponent) for rank in range(1, count + 1)]
