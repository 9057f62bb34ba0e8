"""The customer's legal name on each subscription (`Subscription.customer_name`), kept equal to
the customer's by the database, and a trigram index on it (PostgreSQL).

A partner's Subscriptions search (`?q=`) tests its own rows' copy of the name: a broad term is a
walk of the partner's newest subscriptions that stops at a page, with no join per row and no
look-up among every organization first (issue 21: the look-up's cost grew with every tenant's
data, 7,778 matching organizations at scale 1.0); a rare term is read through the trigram index.

Triggers keep the copy right whatever writes the rows (the ORM, the admin, a bulk load, a raw
UPDATE): a new or re-pointed subscription reads its customer's name; a write of the column
itself is overruled by the customer's; a rename of the organization rewrites its subscriptions'
copy. The trigram index is created here, like the organizations' (relationships 0003), on
PostgreSQL only; SQLite keeps `LIKE`."""

from django.db import migrations, models

PG_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION commerce_subscription_customer_name() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.customer_name := COALESCE(
            (SELECT legal_name FROM portal_organization WHERE id = NEW.customer_id), '');
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER commerce_subscription_customer_name
    BEFORE INSERT OR UPDATE OF customer_id, customer_name ON commerce_subscription
    FOR EACH ROW EXECUTE FUNCTION commerce_subscription_customer_name()
    """,
    """
    CREATE OR REPLACE FUNCTION commerce_customer_renamed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE commerce_subscription SET customer_name = NEW.legal_name
        WHERE customer_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER commerce_customer_renamed
    AFTER UPDATE OF legal_name ON portal_organization
    FOR EACH ROW WHEN (OLD.legal_name IS DISTINCT FROM NEW.legal_name)
    EXECUTE FUNCTION commerce_customer_renamed()
    """,
    """
    UPDATE commerce_subscription s SET customer_name = o.legal_name
    FROM portal_organization o WHERE o.id = s.customer_id
    """,
    """
    CREATE INDEX IF NOT EXISTS sub_customer_name_trgm ON commerce_subscription
    USING gin (UPPER(customer_name) gin_trgm_ops)
    """,
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS sub_customer_name_trgm",
    "DROP TRIGGER IF EXISTS commerce_customer_renamed ON portal_organization",
    "DROP FUNCTION IF EXISTS commerce_customer_renamed()",
    "DROP TRIGGER IF EXISTS commerce_subscription_customer_name ON commerce_subscription",
    "DROP FUNCTION IF EXISTS commerce_subscription_customer_name()",
]

# SQLite: no BEFORE trigger may change NEW, so an AFTER trigger rewrites the row (a trigger
# never fires itself again: recursive triggers are off).
_SQLITE_NAME = """
    UPDATE commerce_subscription SET customer_name = COALESCE(
        (SELECT legal_name FROM portal_organization WHERE id = NEW.customer_id), '')
    WHERE id = NEW.id;
"""
SQLITE_FORWARD = [
    "CREATE TRIGGER commerce_subscription_customer_name_insert AFTER INSERT "
    f"ON commerce_subscription BEGIN {_SQLITE_NAME} END",
    "CREATE TRIGGER commerce_subscription_customer_name_update "
    "AFTER UPDATE OF customer_id, customer_name "
    f"ON commerce_subscription BEGIN {_SQLITE_NAME} END",
    """
    CREATE TRIGGER commerce_customer_renamed
    AFTER UPDATE OF legal_name ON portal_organization
    WHEN OLD.legal_name IS NOT NEW.legal_name BEGIN
        UPDATE commerce_subscription SET customer_name = NEW.legal_name
        WHERE customer_id = NEW.id;
    END
    """,
    """
    UPDATE commerce_subscription SET customer_name = COALESCE(
        (SELECT legal_name FROM portal_organization WHERE id = customer_id), '')
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS commerce_customer_renamed",
    "DROP TRIGGER IF EXISTS commerce_subscription_customer_name_update",
    "DROP TRIGGER IF EXISTS commerce_subscription_customer_name_insert",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0007_fk_indexes_covered"),
        ("relationships", "0003_trigram_search"),  # CREATE EXTENSION pg_trgm
    ]

    operations = [
        migrations.AddField(
            model_name="subscription",
            name="customer_name",
            field=models.CharField(db_default="", default="", editable=False, max_length=200),
        ),
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
            elidable=False,
        ),
    ]
