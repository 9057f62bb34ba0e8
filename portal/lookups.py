"""`field__any_of=ids`: the `in` lookup for a long list of ids, bound as one array parameter on
PostgreSQL (`field = ANY(%s::bigint[])`) instead of one `%s` per id.

A search narrows a tenant's list by the ids of the organizations whose name matches
(`relationships.selectors.organizations_matching`, up to 1,000 of them). Written as `IN (%s,
%s, …)`, every request compiled one placeholder per id in Django, and psycopg's client-side
binding split and quoted the statement again (too long for its statement cache): 375 ids (the
load suite's `?q=harbor`) cost ~8 ms of CPU, a quarter of the page (issue 21). One array
parameter is compiled and quoted once; PostgreSQL plans `= ANY(array)` as it plans `IN (list)`
(the same index scans). A subquery on the right becomes `= ANY(ARRAY(subquery))` (see
`as_postgresql`). Any other database, and an expression on the right, get Django's `in`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject
from django.db.models.lookups import In
from django.db.models.sql.query import Query


class AnyOf(In):
    lookup_name = "any_of"

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        if isinstance(self.rhs, Query):
            # A subquery: `= ANY(ARRAY(SELECT ...))`, computed once before the outer rows are
            # read (an InitPlan), where `IN (SELECT ...)` is planned as a semi-join. For a few
            # rows of a large table (the open providers among all organizations), PostgreSQL
            # chose to merge the semi-join along the large table's primary key under a LIMIT
            # (the directory's capped count): it read every organization, 7-10 ms at 12,500
            # of them and growing with them; the array reads the few ids by their index.
            lhs, lhs_params = self.process_lhs(compiler, connection)
            rhs, rhs_params = self.process_rhs(compiler, connection)
            return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)
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
        if all(type(value) is int for value in values):
            # Ids as the array's text ('{1,2,3}'): psycopg adapts a list of ints item by item
            # to pick the array's type, ~0.8 ms of CPU for the 746 ids of ?q=harbor at scale
            # 0.1 against 0.1 ms for one string; the cast reads it as the same array.
            values = "{" + ",".join(map(str, values)) + "}"  # type: ignore[assignment]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::{field.cast_db_type(connection)}[])", (*lhs_params, values)


# A foreign key's lookups stop at ForeignObject in its MRO (`ForeignObject.get_class_lookups`):
# registered on both.
Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)
