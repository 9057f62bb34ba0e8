"""`{% reseller_rows rows %}` and `{% pending_invitation_rows pending %}`: the rows of the
provider's Indirect resellers table and of its pending invitations
(templates/relationships/indirect_resellers.html), written in Python; and
`{% recent_change_items events %}`, the lines of Recent changes (relationships/_events.html);
`{% customer_rows rows %}`, the rows of the Customers table (relationships/customers.html).

The same text as the template loop it replaced: a row in the template language cost ~0.4 ms of
CPU (a dozen look-ups through the context stack, two `{% blocktranslate %}`, three
`{% translate %}`, the date filters), 25 rows ~10 ms of both /indirect-resellers/ pages of
issue 21's mix. The values go through the functions the template called (`|date`, `row_url`,
`localize`, the same message ids) and are escaped as the template escaped them; translations
are written as `{% translate %}` writes them (not escaped)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import template
from django.conf import settings
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from portal.templatetags.portal_formats import local_date, machine_time
from portal.templatetags.portal_urls import row_url
from relationships.models import InvitationEvent, ProviderRelationship, RelationshipEvent

register = template.Library()

_MARK = 918_273_645  # a row id no address holds otherwise


def _row_urls(name: str, *rest: Any) -> Callable[[Any], str]:
    """`row_url(name, pk, *rest)` for every row of a page: the address is resolved once per
    page and each row's id written into it (`row_url` looked up the language, the URLconf and
    the script prefix again per row: a quarter of these tags' time, issue 21)."""
    head, found, tail = row_url(name, _MARK, *rest).partition(str(_MARK))
    if not found:
        return lambda pk: row_url(name, pk, *rest)
    return lambda pk: (
        f"{head}{pk}{tail}" if type(pk) is int and pk >= 0 else row_url(name, pk, *rest)
    )


def _number_writer() -> Callable[[Any], str]:
    """`localize` as `{{ }}` applies it to an integer: without thousand separators (the
    setting) that is `str` (Django's `numberformat.format` returns the integer as it is)."""
    return localize if settings.USE_THOUSAND_SEPARATOR else str


@register.simple_tag(takes_context=True)
def reseller_rows(context: template.Context, rows: Iterable[Any]) -> SafeString:
    esc = conditional_escape
    can_invite = bool(context.get("can_invite"))
    customers_url = esc(reverse("relationships:customers"))
    yes, removed = gettext("Yes"), gettext("Removed")
    remove_partnership = gettext("Remove partnership")
    of_name = gettext("of %(name)s")
    # Translated once per page, not once per row (`get_status_display`, `{% translate %}`).
    statuses = {value: str(label) for value, label in ProviderRelationship.Status.choices}
    end_url = _row_urls("relationships:provider_relationship_action", "end")
    number = _number_writer()
    shared_texts: dict[int, str] = {}
    out: list[str] = []
    for rel in rows:
        reseller = rel.reseller
        name = esc(reseller.legal_name)
        ended = f" ({esc(local_date(rel.ended_at))})" if rel.ended_at else ""
        active = rel.status == "active"
        if active:
            count = rel.customer_count
            customers = shared_texts.get(count)
            if customers is None:
                customers = shared_texts[count] = ngettext(
                    "%(counter)s customer", "%(counter)s customers", count
                ) % {"counter": esc(number(count))}
            shared = (
                f'<a href="{customers_url}?reseller={esc(number(rel.reseller_id))}">'
                f'{customers}<span class="visually-hidden"> {of_name % {"name": name}}</span></a>'
            )
        else:
            shared = "—"
        action = ""
        if can_invite and active:
            url = esc(end_url(rel.pk))
            action = (
                f'\n          <a class="btn btn-sm btn-outline-danger" href="{url}">'
                f'{remove_partnership}<span class="visually-hidden"> {name}</span></a>\n          '
            )
        out.append(
            f'\n      <tr>\n        <th scope="row">{name}</th>\n'
            f"        <td>{esc(reseller.country or '—')}</td>\n"
            f"        <td>{esc(statuses.get(rel.status, rel.status))}{ended}</td>\n"
            f"        <td>{yes if rel.admin_access else removed}</td>\n"
            f"        <td>{shared}</td>\n"
            f"        <td>{esc(local_date(rel.authorized_at))}</td>\n"
            f"        <td>{action}</td>\n      </tr>\n    "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


@register.simple_tag(takes_context=True)
def pending_invitation_rows(context: template.Context, invitations: Iterable[Any]) -> SafeString:
    esc = conditional_escape
    csrf_token = CsrfTokenNode().render(context)
    expired, resend, revoke = gettext("Expired"), gettext("Resend"), gettext("Revoke")
    action = "relationships:reseller_invitation_action"
    resend_url, revoke_url = _row_urls(action, "resend"), _row_urls(action, "revoke")
    out: list[str] = []
    for invitation in invitations:
        email = esc(invitation.email)
        resend_href = esc(resend_url(invitation.pk))
        expires: str = esc(local_date(invitation.expires_at))
        if invitation.is_expired:
            expires = f"<strong>{expired}</strong> ({expires})"
        out.append(
            f'\n      <tr>\n        <th scope="row">{email}</th>\n'
            f"        <td>{esc(invitation.partner_id or '—')}</td>\n"
            f"        <td>{esc(local_date(invitation.last_sent_at))}</td>\n"
            f"        <td>{expires}</td>\n"
            '        <td class="d-flex gap-2">\n'
            f'          <form method="post" action="{resend_href}">'
            f"{csrf_token}\n"
            '            <button class="btn btn-sm btn-outline-primary" type="submit">'
            f'{resend}<span class="visually-hidden"> {email}</span></button></form>\n'
            '          <a class="btn btn-sm btn-outline-danger" '
            f'href="{esc(revoke_url(invitation.pk))}">'
            f'{revoke}<span class="visually-hidden"> {email}</span></a>\n'
            "        </td>\n      </tr>\n    "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


@register.simple_tag(takes_context=True)
def provider_entries(context: template.Context, entries: Iterable[dict[str, Any]]) -> SafeString:
    """The providers of a Find a provider page (templates/relationships/find_provider.html):
    ~0.4 ms of CPU per entry in the template language (five translations, three
    `{% blocktranslate %}`, a loop over its regions)."""
    esc = conditional_escape
    own_region = context.get("own_region")
    available = gettext("Available in your region")
    none_yet = gettext("None yet")
    if own_region:
        region = esc(own_region.display_name)
        unavailable = gettext("Not available in your region (%(region)s)") % {"region": region}
        why = gettext(
            "This provider is not authorized in %(region)s, your CSP region; resellers can "
            "work only with providers authorized in their own region."
        ) % {"region": region}
    else:
        unavailable, why = gettext("Not available: your company has no CSP region"), ""
    headings = [gettext("CSP regions"), gettext("Countries served"), gettext("Contact")]
    website_text = gettext("Website")
    email_text = gettext("Email %(email)s")
    out: list[str] = []
    for entry in entries:
        profile = entry["profile"]
        if entry["available"]:
            badge = (
                f'\n      <p class="mb-2"><span class="badge text-bg-success">{available}</span>'
                "</p>\n    "
            )
        else:
            badge = (
                f'\n      <p class="mb-2"><span class="badge text-bg-secondary">{unavailable}'
                f'</span>\n      <span class="d-block small mt-1">{why}</span></p>\n    '
            )
        description = f"<p>{esc(profile.description)}</p>" if profile.description else ""
        regions = ", ".join(esc(region) for region in entry["regions"]) or none_yet
        markets = entry["markets"]
        if markets:
            count = len(markets)
            countries = ngettext("%(counter)s country", "%(counter)s countries", count) % {
                "counter": esc(localize(count))
            }
            served = (
                f"<details><summary>{countries}</summary>{esc(entry['markets_text'])}</details>"
            )
        else:
            served = none_yet
        email = esc(profile.contact_email)
        website = (
            f' · <a href="{esc(profile.website)}" rel="noopener">{website_text}</a>'
            if profile.website
            else ""
        )
        out.append(
            f'\n  <li class="card-panel{"" if entry["available"] else " provider-unavailable"}">'
            f'\n    <h2 class="h5">{esc(profile.organization.legal_name)}</h2>\n    {badge}'
            f'\n    {description}\n    <dl class="row mb-0">'
            f'\n      <dt class="col-sm-3">{headings[0]}</dt>'
            f'\n      <dd class="col-sm-9">{regions}</dd>'
            f'\n      <dt class="col-sm-3">{headings[1]}</dt>'
            f'\n      <dd class="col-sm-9">{served}</dd>'
            f'\n      <dt class="col-sm-3">{headings[2]}</dt>'
            f'\n      <dd class="col-sm-9"><a href="mailto:{email}">'
            f"{email_text % {'email': email}}</a>{website}</dd>"
            "\n    </dl>\n  </li>\n  "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


_EVENT_LABELS = {
    False: dict(RelationshipEvent.Type.choices),
    True: dict(InvitationEvent.Type.choices),
}


@register.simple_tag
def recent_change_items(events: Iterable[Any]) -> SafeString:
    """The `<li>` of each line of Recent changes (`selectors.Change` rows), as the template
    loop wrote them: its `{% blocktranslate %}` and look-ups through model instances were
    ~4 ms of /indirect-resellers/ (issue 21). The same message ids; the values escaped as
    `{% blocktranslate with %}` escapes them, the translation written as is."""
    esc = conditional_escape
    sent_by = gettext("%(what)s: from %(sender)s to %(email)s (by %(by)s)")
    sent = gettext("%(what)s: from %(sender)s to %(email)s")
    changed = gettext("%(what)s: %(provider)s and %(reseller)s (by %(by)s)")
    out: list[str] = []
    for event in events:
        labels = _EVENT_LABELS[event.invitation]
        what = esc(str(labels.get(event.type, event.type)))
        if event.invitation:
            values = {"what": what, "sender": esc(event.first), "email": esc(event.second)}
            by = event.by
            text = sent % values if by is None else sent_by % {**values, "by": esc(by)}
        else:
            text = "\n      " + changed % {
                "what": what,
                "provider": esc(event.first),
                "reseller": esc(event.second),
                "by": esc(event.by or ""),
            }
        out.append(
            f'\n    <li class="py-1 border-bottom"><time datetime="'
            f'{esc(machine_time(event.created_at))}" class="text-body-secondary small">'
            f"{esc(local_date(event.created_at, 'DATETIME_FORMAT'))}</time> —\n"
            f"      {text}</li>\n    "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


@register.simple_tag(takes_context=True)
def customer_rows(context: template.Context, rows: Iterable[Any]) -> SafeString:
    """The Customers table's rows (templates/relationships/customers.html): ~3.5 ms of the
    25-row page's ~20 ms in the template language (issue 21). A provider's list sorted by
    reseller opens a `<tbody>` per reseller, under a "Shared by" row group heading."""
    esc = conditional_escape
    is_provider = bool(context.get("is_provider"))
    grouped = is_provider and context.get("sort") == "partner"
    shared_by = gettext("Shared by %(name)s")
    detail_url = _row_urls("relationships:customer_detail")
    out: list[str] = []
    previous: Any = object()
    for n, row in enumerate(rows):
        group = ""
        if grouped and row.reseller_id != previous:
            previous = row.reseller_id
            group = (
                f"{'' if n == 0 else '</tbody><tbody>'}"
                '<tr class="table-group"><th scope="rowgroup" colspan="4">'
                f"{shared_by % {'name': esc(row.reseller.legal_name)}}</th></tr>"
            )
        customer = row.customer
        partner = row.reseller if is_provider else row.provider
        url = esc(detail_url(row.customer_id))
        out.append(
            f'\n    {group}\n    <tr>\n      <th scope="row"><a href="{url}">'
            f"{esc(customer.legal_name)}</a></th>\n"
            f"      <td>{esc(customer.country or '—')}</td>\n"
            f"      <td>{esc(partner.legal_name)}</td>\n"
            f"      <td>{esc(local_date(row.created_at))}</td>\n    </tr>\n  "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
