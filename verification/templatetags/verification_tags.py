from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.utils.formats import localize, number_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from enrollment.models import LegalProfile
from portal.paging import COUNT_CAP
from portal.templatetags.portal_urls import row_url
from verification.models import VerificationCase

register = template.Library()


@register.filter
def legal_field_labels(names: list[str]) -> str:
    """The legal-info fields a change touched, as the form labels them (in the reader's
    language)."""
    labels = []
    for name in names or []:
        try:
            field = LegalProfile._meta.get_field(name)
        except FieldDoesNotExist:
            labels.append(name)
            continue
        labels.append(str(getattr(field, "verbose_name", name)))
    return ", ".join(labels)


@register.filter
def capped(count: int) -> str:
    """A count from `paging.capped_counts`: "10,000+" once past the cap, else the number."""
    if count > COUNT_CAP:
        return f"{number_format(COUNT_CAP, force_grouping=True)}+"
    return number_format(count, force_grouping=True)


@register.filter
def status_for(status: str, partner: bool) -> str:
    """A case status as its reader sees it: the partner's words, or the reviewer's."""
    if not status:
        return ""
    if partner:
        return str(VerificationCase.Status(status).label)
    return str(VerificationCase.reviewer_label(status))


def _attr(obj: Any, *names: str) -> Any:
    """`{{ obj.a.b }}`: None where the template's look-up would fail silently (a missing
    related object, a None on the way)."""
    for name in names:
        if obj is None:
            return None
        try:
            obj = getattr(obj, name)
        except ObjectDoesNotExist:
            return None
    return obj


@register.simple_tag
def queue_rows(cases: Iterable[Any]) -> SafeString:
    """The rows of the review queue (templates/verification/_queue_cases.html), written in
    Python: the same text as the template loop it replaced, which cost ~0.5 ms of CPU a row
    (three `{% blocktranslate %}`/`{% translate %}`, a dozen look-ups through the context
    stack, the failing checks' inner loop), 25 rows ~12 ms of both /review/ pages of issue
    21's mix. Values are escaped as the template escaped them, translations written as
    `{% translate %}` writes them."""
    esc = conditional_escape
    not_run, all_passed = gettext("Not run yet"), gettext("All passed")
    unassigned = gettext("Unassigned")
    out: list[str] = []
    for case in cases:
        profile = _attr(case, "organization", "legal_profile")
        legal_name = _attr(profile, "legal_name")
        country = _attr(profile, "country")
        # `{{ x }}` writes None as "None"; a look-up that fails writes "".
        country_text = "" if profile is None else esc(country)
        region = _attr(country, "region")
        url = esc(row_url("verification:review_case", case.pk))
        days = ngettext("%(days)s day", "%(days)s days", case.age_days) % {
            "days": esc(localize(case.age_days))
        }
        sla = esc(case.sla)
        badge = (
            f'<span class="sla-badge sla-{sla}">{esc(case.sla_label)}</span>'
            if case.sla_label
            else ""
        )
        if case.failed:
            count = len(case.failed)
            failing = ngettext("%(n)s failing", "%(n)s failing", count) % {
                "n": esc(localize(count))
            }
            names = ", ".join(esc(check.get_name_display()) for check in case.failed)
            checks = f'<span class="check-failed">{failing}</span>: {names}'
        elif case.status in ("checking", "email_pending"):
            checks = not_run
        else:
            checks = all_passed
        assignee = esc(case.assignee.get_full_name()) if case.assignee else unassigned
        out.append(
            f'\n      <tr class="sla-row-{sla}">'
            f'\n        <th scope="row"><a href="{url}">'
            f"{'' if legal_name is None and profile is None else esc(legal_name)}</a></th>"
            f'\n        <td>{country_text} <span class="small text-body-secondary">'
            f"({'' if region is None and country is None else esc(region)})</span></td>"
            f"\n        <td>{esc(case.get_reviewer_status_display())}</td>"
            f"\n        <td>{esc(case.reviewer_waiting_on)}</td>"
            f"\n        <td>{days}</td>"
            f"\n        <td>{badge}</td>"
            f"\n        <td>{checks}</td>"
            f"\n        <td>{assignee}</td>"
            "\n      </tr>\n    "
        )
    if not out:
        empty = gettext("No cases match these filters.")
        out.append(f'\n      <tr><td colspan="8">{empty}</td></tr>\n    ')
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
