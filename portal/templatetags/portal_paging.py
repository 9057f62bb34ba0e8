"""`{% bounded_pagination %}`, `{% keyset_pagination %}`, `{% result_count %}`: the bodies of
`portal/_bounded_pagination.html`, `portal/_keyset_pagination.html` and
`portal/_result_count.html`, written in Python.

Each list page includes two or three of them; in the template language they cost ~1.5 ms of
/indirect-resellers/ (a dozen `{% if %}`/`{{ }}` look-ups on the page object, each
`{% blocktranslate %}` pushing a context). The same text as the markup templates they replaced
(kept as `portal/_*_markup.html`), branch for branch: `{{ }}` values localized and escaped,
`{% translate %}`/`{% blocktranslate %}` written as Django writes them, the same message ids in
both languages (tests/portal/test_paging_writer.py compares the two). A value these writers do
not expect (another kind of page, a callable, `string_if_invalid` set) renders the markup
template, as the include did."""

from __future__ import annotations

from typing import Any

from django import template
from django.template import Engine
from django.template.defaultfilters import floatformat, urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from portal.escaping import in_context
from portal.paging import BoundedPage, CappedCount, KeysetPage

register = template.Library()

_MISSING = object()


class _Fallback(Exception):
    """A value the writer does not reproduce: the markup template renders it."""


def _given(value: Any) -> bool:
    """`{% if value %}`: a missing value is false."""
    return value is not _MISSING and bool(value)


def _engine(context: template.Context) -> Engine:
    """The engine of the template that includes the writer's template."""
    if context.template is None:  # a Context rendered outside any template
        return Engine.get_default()
    return context.template.engine


def _markup(context: template.Context, name: str) -> SafeString:
    """The include's markup template, rendered in the include's context."""
    return _engine(context).get_template(name).render(context)


def _reader(context: template.Context):
    """The context's values as the template read them: a missing one is "" in `{{ }}`
    (string_if_invalid, checked to be empty) and false in `{% if %}`."""
    if not context.autoescape or _engine(context).string_if_invalid:
        raise _Fallback

    def var(name: str) -> Any:
        value = context.get(name, _MISSING)
        if callable(value):  # the template language would call it
            raise _Fallback
        return value

    def out(value: Any) -> str:
        return "" if value is _MISSING else in_context(value, context)

    return var, out


def _bounded(context: template.Context) -> str:
    var, out = _reader(context)
    page = var("page")
    if type(page) is not BoundedPage:
        raise _Fallback
    parts = ["\n"]
    if page.beyond_cap and not _given(var("cap_notice_above")):
        parts.append(_engine(context).get_template("portal/_beyond_cap.html").render(context))
    parts.append("\n")
    if page.has_other_pages():
        label = var("label")
        query_string = var("query_string")
        param = var("page_param")
        href = (
            f"?{out(query_string) + '&amp;' if _given(query_string) else ''}"
            f"{out(param if _given(param) else 'page')}="
        )
        number = out(page.number)
        if not page.counted:
            current = gettext("Page %(number)s") % {"number": number}
        elif page.more_pages:
            current = gettext("Page %(number)s of %(total)s browsable") % {
                "number": number,
                "total": out(page.num_pages),
            }
        else:
            current = gettext("Page %(number)s of %(total)s") % {
                "number": number,
                "total": out(page.num_pages),
            }
        first = (
            f'<li class="page-item"><a class="page-link" href="{href}1">{gettext("First")}</a></li>'
            if page.number > 2
            else ""
        )
        previous = (
            f'<li class="page-item"><a class="page-link" href="{href}'
            f'{out(page.previous_page_number())}">{gettext("Previous")}</a></li>'
            if page.has_previous()
            else ""
        )
        following = (
            f'<li class="page-item"><a class="page-link" href="{href}'
            f'{out(page.next_page_number())}">{gettext("Next")}</a></li>'
            if page.has_next()
            else ""
        )
        parts.append(
            f'\n<nav aria-label="{_nav_label(label, out)}">\n'
            f'  <ul class="pagination flex-wrap">\n    {first}\n    {previous}\n'
            f'    <li class="page-item active" aria-current="page"><span class="page-link">'
            f"{current}</span></li>\n    {following}\n  </ul>\n</nav>\n"
        )
    parts.append("\n")
    return "".join(parts)


def _nav_label(label: Any, out: Any) -> str:
    """`{% if label %}{{ label }}{% else %}{% translate 'Pages' %}{% endif %}`."""
    return out(label) if _given(label) else gettext("Pages")


def _keyset(context: template.Context) -> str:
    var, out = _reader(context)
    page = var("page")
    if type(page) is not KeysetPage:
        raise _Fallback
    if not page.has_other_pages:
        return "\n\n"
    query_string = var("query_string")
    keep = f"{out(query_string)}&amp;" if _given(query_string) else ""
    prefix = out(var("cursor_prefix"))
    first = (
        f'<li class="page-item"><a class="page-link" href="?{out(query_string)}">'
        f"{out(var('first_label'))}</a></li>"
        if not page.is_first
        else ""
    )
    previous = (
        f'<li class="page-item"><a class="page-link" href="?{keep}{prefix}before='
        f'{out(urlencode(page.previous_cursor))}">{out(var("previous_label"))}</a></li>'
        if page.has_previous
        else ""
    )
    following = (
        f'<li class="page-item"><a class="page-link" href="?{keep}{prefix}after='
        f'{out(urlencode(page.next_cursor))}">{out(var("next_label"))}</a></li>'
        if page.has_next
        else ""
    )
    return (
        f'\n\n  <nav aria-label="{_nav_label(var("label"), out)}">\n'
        f'    <ul class="pagination">\n      {first}\n      {previous}\n      {following}\n'
        f"    </ul>\n  </nav>\n\n"
    )


def _count(context: template.Context) -> str:
    var, out = _reader(context)
    count = var("count")
    if type(count) is not CappedCount:
        raise _Fallback
    if count.capped:
        number = out(floatformat(count.value, "0g"))
        if _given(var("narrow_hint")):
            text = gettext("More than %(number)s results: type more of the name to narrow them.")
        else:
            text = gettext("More than %(number)s results")
        return f"{text % {'number': number}}\n"
    text = ngettext("%(counter)s result", "%(counter)s results", count.value)
    return f"{text % {'counter': out(count.value)}}\n"


def _writer(write: Any, markup: str):
    def tag(context: template.Context) -> SafeString:
        try:
            html = write(context)
        except _Fallback:
            return _markup(context, markup)
        # Every value above went through in_context() (escaped) or is a translation, written
        # as {% translate %} writes it.
        return SafeString(html)

    return tag


register.simple_tag(takes_context=True, name="bounded_pagination")(
    _writer(_bounded, "portal/_bounded_pagination_markup.html")
)
register.simple_tag(takes_context=True, name="keyset_pagination")(
    _writer(_keyset, "portal/_keyset_pagination_markup.html")
)
register.simple_tag(takes_context=True, name="result_count")(
    _writer(_count, "portal/_result_count_markup.html")
)
