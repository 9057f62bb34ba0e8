"""`{% invoice_rows page.object_list organization %}`: the rows of the invoice list
(templates/invoicing/invoice_list.html), written in Python.

The same text as the template loop it replaced, cell for cell: in the template language a row
cost ~0.2 ms of CPU (ten look-ups through the context stack, a `{% url %}`, two
`{% translate %}`, three filters), 25 rows ~5 ms of the page (issue 21). The values go through
the functions the template called (`row_url` for `{% url %}`, `|date` as `local_date`,
`|machine_time`, `|money`, `localize`) and are escaped as the template escaped them (the
database's text is plain `str`: `html.escape` writes what `conditional_escape` did). The rows
are named tuples (`invoicing.selectors.INVOICE_ROW_COLUMNS`)."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from commerce.templatetags.commerce_rows import number_text, url_of
from portal.templatetags.portal_formats import local_date, machine_time, money

register = template.Library()


@register.simple_tag
def invoice_rows(rows: Iterable[Any], organization: Any) -> SafeString:
    organization_id = getattr(organization, "pk", organization)
    # `{% translate %}` writes a translation as it is (a literal is safe text).
    issued, received = gettext("Issued"), gettext("Received")
    detail_url = url_of("invoicing:invoice_detail")
    number = number_text()
    out: list[str] = []
    for row in rows:
        currency = escape(row.currency)
        out.append(
            '\n      <tr>\n        <th scope="row"><a href="'
            f'{escape(detail_url(row.pk))}">{escape(row.number)}</a></th>\n'
            f"        <td>{escape(local_date(row.period, 'YEAR_MONTH_FORMAT'))}</td>\n"
            f"        <td>{issued if row.seller_id == organization_id else received}</td>\n"
            f"        <td>{escape(row.seller__legal_name)}</td>\n"
            f"        <td>{escape(row.buyer__legal_name)}</td>\n"
            f'        <td><time datetime="{escape(machine_time(row.issued_at))}">'
            f"{escape(local_date(row.issued_at))}</time></td>\n"
            f'        <td class="text-end">{number(row.lines)}</td>\n'
            '        <td class="text-end text-nowrap">'
            f"{escape(money(row.total, row.currency))}"
            f' <span class="text-body-secondary">{currency}</span></td>\n'
            "      </tr>\n    "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
