"""The database's content as one digest, to prove a refused request wrote nothing."""

from __future__ import annotations

from functools import cache

from django.apps import apps
from django.db import connection

APPS = {
    "portal",
    "enrollment",
    "verification",
    "relationships",
    "commerce",
    "delegation",
    "account",
    "mfa",
}


@cache
def _sql() -> str:
    tables = sorted(
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in APPS and not model._meta.proxy
    )
    rows = " UNION ALL ".join(f"SELECT '{t}:' || md5(x::text) AS h FROM \"{t}\" x" for t in tables)
    return f"SELECT md5(coalesce(string_agg(h, ',' ORDER BY h), '')) FROM ({rows}) s"


def db_digest() -> str:
    """A digest of every row of the portal's tables (PostgreSQL only)."""
    with connection.cursor() as cursor:
        cursor.execute(_sql())
        return cursor.fetchone()[0]
