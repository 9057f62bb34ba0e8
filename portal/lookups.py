"""`field__any_of=ids`: the `in` lookup for a long list of ids, bound as one array parameter on
PostgreSQL (`field = ANY(%s::bigint[])`) instead of one `%s` per id.

A search narrows a tenant's list by the ids of the organizations whose name matches
(`relationships.selectors.organizations_matching`, up to 1,000 of them). Written as `IN (%s,
%s, …)`, every request compiled one placeholder per id in Django, and psycopg's client-side
binding split and quoted the statement again (too long for its statement cache): 375 ids (the
load suite's `?q=harbor`) cost ~8 ms of CPU, a quarter of the page (issue 21). One array
parameter is compiled and quoted once; PostgreSQL plans `= ANY(array)` as it plans `IN (list)`
(the same index scans). Any other database, and a subquery or expression on the right, get
Django's `in`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject
from django.db.models.lookups import In


class AnyOf(In):
    lookup_name = "any_of"

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        if not self.rhs_is_direct_value():
            return self.as_sql(compiler, connection)
        field = self.lhs.output_field
        values = [
            field.get_db_prep_value(value, connection, prepared=True)
            for value in dict.fromkeys(self.rhs)
            if value is not None
        ]
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::{field.cast_db_type(connection)}[])", (*lhs_params, values)


# A foreign key's lookups stop at ForeignObject in its MRO (`ForeignObject.get_class_lookups`):
# registered on both.
Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)
