"""Trigram search on organization names and domains (PostgreSQL only; SQLite keeps `LIKE`),
and an index on organizations by kind (both engines).

The lists search with `icontains`, which PostgreSQL runs as `UPPER(col) LIKE UPPER('%term%')`;
GIN indexes with `gin_trgm_ops` on those same `UPPER(...)` expressions serve it. The indexes are
on `portal_organization` but are created here, by the app whose pages search them, so the core
app stays free of PostgreSQL-only operations."""

from django.db import migrations

INDEXES = {
    "portal_org_legal_name_trgm": "legal_name",
    "portal_org_domain_trgm": "primary_domain",
}


# Organizations by kind: the directory reads the ~300 providers among ~270,000 organizations.
KIND_INDEX = (
    'CREATE INDEX IF NOT EXISTS "portal_org_kind_status" ON "portal_organization" ("kind", "status")'
)


def forwards(apps, schema_editor):
    schema_editor.execute(KIND_INDEX)
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "portal_organization" '
            f'USING gin (UPPER("{column}") gin_trgm_ops)'
        )


def backwards(apps, schema_editor):
    schema_editor.execute('DROP INDEX IF EXISTS "portal_org_kind_status"')
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_reference_data"),
        ("relationships", "0002_list_indexes"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
