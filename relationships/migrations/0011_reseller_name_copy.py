"""The reseller's legal name and primary domain on each provider relationship
(`ProviderRelationship.reseller_name`, `reseller_domain`), kept equal to the reseller's by the
database, and trigram indexes on them (PostgreSQL).

The Indirect resellers search (`?q=`) tests the provider's own rows' copy: no join per row and
no look-up among every organization first, whose cost grew with every tenant's data (issue 21:
7,778 organizations matched "harbor" at scale 1.0, 80 at 0.01). Triggers keep the copy right
whatever writes the rows, as commerce 0008 does for a subscription's customer name."""

from django.db import migrations, models

PG_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION relationships_reseller_name() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        SELECT legal_name, primary_domain INTO NEW.reseller_name, NEW.reseller_domain
        FROM portal_organization WHERE id = NEW.reseller_id;
        NEW.reseller_name := COALESCE(NEW.reseller_name, '');
        NEW.reseller_domain := COALESCE(NEW.reseller_domain, '');
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER relationships_reseller_name
    BEFORE INSERT OR UPDATE OF reseller_id, reseller_name, reseller_domain
    ON relationships_providerrelationship
    FOR EACH ROW EXECUTE FUNCTION relationships_reseller_name()
    """,
    """
    CREATE OR REPLACE FUNCTION relationships_reseller_renamed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE relationships_providerrelationship
        SET reseller_name = NEW.legal_name, reseller_domain = NEW.primary_domain
        WHERE reseller_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER relationships_reseller_renamed
    AFTER UPDATE OF legal_name, primary_domain ON portal_organization
    FOR EACH ROW WHEN (
        OLD.legal_name IS DISTINCT FROM NEW.legal_name
        OR OLD.primary_domain IS DISTINCT FROM NEW.primary_domain
    )
    EXECUTE FUNCTION relationships_reseller_renamed()
    """,
    """
    UPDATE relationships_providerrelationship r
    SET reseller_name = o.legal_name, reseller_domain = o.primary_domain
    FROM portal_organization o WHERE o.id = r.reseller_id
    """,
    """
    CREATE INDEX IF NOT EXISTS provrel_reseller_name_trgm ON relationships_providerrelationship
    USING gin (UPPER(reseller_name) gin_trgm_ops)
    """,
    """
    CREATE INDEX IF NOT EXISTS provrel_reseller_domain_trgm ON relationships_providerrelationship
    USING gin (UPPER(reseller_domain) gin_trgm_ops)
    """,
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS provrel_reseller_domain_trgm",
    "DROP INDEX IF EXISTS provrel_reseller_name_trgm",
    "DROP TRIGGER IF EXISTS relationships_reseller_renamed ON portal_organization",
    "DROP FUNCTION IF EXISTS relationships_reseller_renamed()",
    "DROP TRIGGER IF EXISTS relationships_reseller_name ON relationships_providerrelationship",
    "DROP FUNCTION IF EXISTS relationships_reseller_name()",
]

# SQLite: no BEFORE trigger may change NEW, so an AFTER trigger rewrites the row (a trigger
# never fires itself again: recursive triggers are off).
_SQLITE_NAME = """
    UPDATE relationships_providerrelationship SET
        reseller_name = COALESCE(
            (SELECT legal_name FROM portal_organization WHERE id = NEW.reseller_id), ''),
        reseller_domain = COALESCE(
            (SELECT primary_domain FROM portal_organization WHERE id = NEW.reseller_id), '')
    WHERE id = NEW.id;
"""
SQLITE_FORWARD = [
    "CREATE TRIGGER relationships_reseller_name_insert AFTER INSERT "
    f"ON relationships_providerrelationship BEGIN {_SQLITE_NAME} END",
    "CREATE TRIGGER relationships_reseller_name_update "
    "AFTER UPDATE OF reseller_id, reseller_name, reseller_domain "
    f"ON relationships_providerrelationship BEGIN {_SQLITE_NAME} END",
    """
    CREATE TRIGGER relationships_reseller_renamed
    AFTER UPDATE OF legal_name, primary_domain ON portal_organization
    WHEN OLD.legal_name IS NOT NEW.legal_name OR OLD.primary_domain IS NOT NEW.primary_domain
    BEGIN
        UPDATE relationships_providerrelationship
        SET reseller_name = NEW.legal_name, reseller_domain = NEW.primary_domain
        WHERE reseller_id = NEW.id;
    END
    """,
    """
    UPDATE relationships_providerrelationship SET
        reseller_name = COALESCE(
            (SELECT legal_name FROM portal_organization WHERE id = reseller_id), ''),
        reseller_domain = COALESCE(
            (SELECT primary_domain FROM portal_organization WHERE id = reseller_id), '')
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS relationships_reseller_renamed",
    "DROP TRIGGER IF EXISTS relationships_reseller_name_update",
    "DROP TRIGGER IF EXISTS relationships_reseller_name_insert",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("relationships", "0010_bulk_read_as_and_limit_wait"),
    ]

    operations = [
        migrations.AddField(
            model_name="providerrelationship",
            name="reseller_domain",
            field=models.CharField(db_default="", default="", editable=False, max_length=253),
        ),
        migrations.AddField(
            model_name="providerrelationship",
            name="reseller_name",
            field=models.CharField(db_default="", default="", editable=False, max_length=200),
        ),
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
            elidable=False,
        ),
    ]
