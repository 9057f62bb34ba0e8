from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.template.base import render_value_in_context
from django.template.defaultfilters import join
from django.utils.formats import localize, number_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from enrollment.models import LegalProfile
from portal.countries import country_name, region_name
from portal.paging import COUNT_CAP
from portal.templatetags.portal_formats import local_date, machine_time
from portal.templatetags.portal_urls import row_url
from verification.models import CheckResult, VerificationCase
from verification.selectors import QueueRow

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


@register.simple_tag
def queue_rows(cases: Iterable[QueueRow]) -> SafeString:
    """The rows of the review queue (templates/verification/_queue_cases.html), written in
    Python: the same text as the template loop it replaced, which cost ~0.5 ms of CPU a row
    (three `{% blocktranslate %}`/`{% translate %}`, a dozen look-ups through the context
    stack, the failing checks' inner loop), 25 rows ~12 ms of both /review/ pages of issue
    21's mix. Values are escaped as the template escaped them, translations written as
    `{% translate %}` writes them. The rows are values (`selectors.QueueRow`); a status's,
    a check's and an SLA's words are translated once a page, not once a row (~1 ms)."""
    esc = conditional_escape
    not_run, all_passed = gettext("Not run yet"), gettext("All passed")
    unassigned = gettext("Unassigned")
    check_labels = dict(CheckResult.Name.choices)
    words: dict[tuple[Callable[[Any], Any], Any], str] = {}

    def word(text: Callable[[Any], Any], value: Any) -> str:
        """`esc(text(value))`, a translation, once a page for each value (keyed by the value:
        a lazy translation hashes by translating itself)."""
        found = words.get((text, value))
        if found is None:
            found = words[text, value] = esc(text(value))
        return found

    def status_label(status: str) -> Any:
        return VerificationCase.reviewer_label(status)

    def waiting_on_nobody(status: str) -> Any:
        return VerificationCase.reviewer_waiting_on_for(status, None)

    def check_label(name: str) -> Any:
        return check_labels.get(name, name)

    def days_text(days: int) -> SafeString:
        # Written as `{% blocktranslate %}` writes it: the number escaped, the words not.
        text = ngettext("%(days)s day", "%(days)s days", days) % {"days": esc(localize(days))}
        return mark_safe(text)  # noqa: S308

    sla_labels: dict[str, Any] = {}

    def sla_label(sla: str) -> Any:
        return sla_labels[sla]

    out: list[str] = []
    for case in cases:
        has_profile = case.legal_name is not None
        url = esc(row_url("verification:review_case", case.pk))
        days = word(days_text, case.age_days)
        sla = esc(case.sla)
        sla_labels.setdefault(case.sla, case.sla_label)
        badge_text = word(sla_label, case.sla)
        badge = f'<span class="sla-badge sla-{sla}">{badge_text}</span>' if badge_text else ""
        if case.failed:
            count = len(case.failed)
            failing = ngettext("%(n)s failing", "%(n)s failing", count) % {
                "n": esc(localize(count))
            }
            names = ", ".join(word(check_label, name) for name in case.failed)
            checks = f'<span class="check-failed">{failing}</span>: {names}'
        elif case.status in ("checking", "email_pending"):
            checks = not_run
        else:
            checks = all_passed
        # The legal profile's country and its region, as `{{ profile.country }}` and
        # `{{ profile.country.region }}` wrote them (Market's and Region's names in the
        # active language); nothing without a profile.
        country: str
        region: str
        if has_profile:
            country = esc(country_name(case.country_code, case.country_name or ""))
            region = esc(region_name(case.region_name or ""))
        else:
            country = region = ""
        assignee = case.assignee_name
        status = case.status
        waiting_on = (
            esc(VerificationCase.reviewer_waiting_on_for(status, assignee))
            if assignee is not None
            else word(waiting_on_nobody, status)
        )
        out.append(
            f'\n      <tr class="sla-row-{sla}">'
            f'\n        <th scope="row"><a href="{url}">'
            f"{esc(case.legal_name) if case.legal_name is not None else ''}</a></th>"
            f'\n        <td>{country} <span class="small text-body-secondary">'
            f"({region})</span></td>"
            f"\n        <td>{word(status_label, status)}</td>"
            f"\n        <td>{waiting_on}</td>"
            f"\n        <td>{days}</td>"
            f"\n        <td>{badge}</td>"
            f"\n        <td>{checks}</td>"
            f"\n        <td>{esc(assignee) if assignee is not None else unassigned}</td>"
            "\n      </tr>\n    "
        )
    if not out:
        empty = gettext("No cases match these filters.")
        out.append(f'\n      <tr><td colspan="8">{empty}</td></tr>\n    ')
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


@register.simple_tag(takes_context=True)
def timeline_items(context: template.Context, events: Iterable[Any], partner: bool) -> SafeString:
    """The items of a case's timeline (templates/verification/_timeline.html), written in
    Python for the reviewer's case page: the same text as the template, which cost ~0.5 ms of
    CPU an event (a dozen look-ups through the context stack, three filters, four
    `{% translate %}`), a case's events 2-3 ms of /review/<case>/ in issue 21's mix. Values go
    through what the template did (`{{ }}`: localized and escaped; the same filters),
    translations are written as `{% translate %}` writes them
    (tests/verification/test_case_page_writers.py compares the two)."""

    def out(value: Any) -> str:
        return render_value_in_context(value, context)

    changed, note, failing = gettext("Changed:"), gettext("Note:"), gettext("Failing checks:")
    parts: list[str] = []
    for event in events:
        details = event.details if isinstance(event.details, dict) else {}
        to_status = f" — {out(status_for(event.to_status, partner))}" if event.to_status else ""
        fields = details.get("fields")
        fields_html = (
            f'<br><span class="small">{changed} {out(legal_field_labels(fields))}</span>'
            if fields
            else ""
        )
        reviewer_html = ""
        if not partner:
            actor = event.actor
            actor_html = (
                f'<span class="small"> · {out(actor.get_full_name())}</span>' if actor else ""
            )
            note_html = (
                f'<br><span class="small">{note} {out(details["note"])}</span>'
                if details.get("note")
                else ""
            )
            failed = details.get("failed")
            failed_html = (
                f'<br><span class="small">{failing} '
                f"{out(join(failed, ', ', autoescape=context.autoescape))}</span>"
                if failed
                else ""
            )
            reviewer_html = f"{actor_html}\n        {note_html}\n        {failed_html}\n      "
        parts.append(
            '\n    <li class="py-2 border-bottom">\n'
            f'      <time datetime="{out(machine_time(event.created_at))}" '
            'class="small text-body-secondary">'
            f"{out(local_date(event.created_at, 'DATETIME_FORMAT'))}</time><br>\n"
            f'      <span class="fw-semibold">{out(event.get_type_display())}</span>{to_status}\n'
            f"      {fields_html}\n"
            f"      {reviewer_html}\n"
            "    </li>\n  "
        )
    if not parts:
        parts.append(f"\n    <li>{gettext('Nothing yet.')}</li>\n  ")
    return mark_safe("".join(parts))  # noqa: S308 - every value above went through out()


@register.simple_tag(takes_context=True)
def check_rows(context: template.Context, checks: Iterable[Any]) -> SafeString:
    """The rows of a case's automated checks (templates/verification/review_case.html), written
    in Python: the same text as the template loop it replaced (~0.3 ms of CPU a check, five a
    case, of /review/<case>/ in issue 21's mix). Values go through what the template did
    (`{{ }}`: localized and escaped), translations are written as `{% translate %}` writes them
    (tests/verification/test_case_page_writers.py compares the two)."""

    def out(value: Any) -> str:
        return render_value_in_context(value, context)

    passed = (
        '<span class="check-passed"><span aria-hidden="true">&#10004;</span> '
        f"{gettext('Passed')}</span>"
    )
    failed = (
        '<span class="check-failed"><span aria-hidden="true">&#10006;</span> '
        f"{gettext('Failed')}</span>"
    )
    parts = [
        f'\n      <tr>\n        <th scope="row">{out(check.get_name_display())}</th>\n'
        f"        <td>{passed if check.passed else failed}</td>\n"
        f'        <td class="small">'
        f"{'<br>'.join(out(sentence) for sentence in check.evidence_sentences)}</td>\n"
        "      </tr>\n    "
        for check in checks
    ]
    return mark_safe("".join(parts))  # noqa: S308 - every value above went through out()
