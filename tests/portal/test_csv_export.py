"""The CSV cell guard (portal/csv_export.py): the database's form of it makes every cell safe
exactly as the Python form does, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from portal.csv_export import FORMULA_STARTS, csv_safe, csv_safe_sql
from portal.models import Organization
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

NAMES = [
    *(f"{start}1+1 Srl" for start in FORMULA_STARTS),
    "Società Uno",
    "Ωmega",
    "'=already quoted",
    " =a space first",
    "Plain, with a comma",
]


def test_the_database_guards_each_cell_as_python_does():
    made = {OrganizationFactory(legal_name=name).pk: name for name in NAMES}
    guarded = dict(
        Organization.objects.filter(pk__in=made)
        .annotate(cell=csv_safe_sql("legal_name"))
        .values_list("pk", "cell")
    )
    assert guarded == {pk: csv_safe(name) for pk, name in made.items()}
    assert sum(cell.startswith("'") for cell in guarded.values()) == len(FORMULA_STARTS) + 1
