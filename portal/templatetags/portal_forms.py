"""`portal_styled`: a form that is not a `PortalFormMixin` (django-allauth's) rendered through
`portal/_field.html` with the same Bootstrap classes.

`{% form_field field %}`: the body of `portal/_field.html` (one form field: label, help, error,
control), written in Python. In the template language a field cost ~0.3-0.5 ms of CPU (twenty
look-ups on the BoundField, each trying `field["name"]` first and failing, a new ErrorList for
each `field.errors`, the filters' wrappers): a list's filters or a review case's six fields,
1.5-3 ms of the page. The same text as the template it replaced, branch for branch: the values
go through what the template did (`{{ }}`: localized and escaped; `|join:" "|one_full_stop`;
`{% translate %}`: written as is) (tests/portal/test_field_writer.py compares the two)."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.template.base import Variable, VariableDoesNotExist, render_value_in_context
from django.template.defaultfilters import join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from portal.escaping import in_context
from portal.forms import mark_invalid, style_widgets

from .portal_formats import one_full_stop

register = template.Library()

# `filter` as the template read it: the include's `with filter=True`, else the page's context.
_FILTER = Variable("filter")


@register.filter
def portal_styled(form: forms.BaseForm) -> forms.BaseForm:
    style_widgets(form)
    mark_invalid(form)
    return form


@register.simple_tag(takes_context=True)
def form_field(context: template.Context, field: forms.BoundField) -> SafeString:
    def out(value: Any) -> str:
        return in_context(value, context)

    if field.is_hidden:
        return mark_safe(out(field))  # noqa: S308 - rendered as `{{ field }}` renders it
    is_filter = context.get("filter", "")
    if callable(is_filter):  # the template language calls it (or not): let it
        try:
            is_filter = _FILTER.resolve(context)
        except VariableDoesNotExist:
            is_filter = ""
    optional = ""
    if not field.field.required and not is_filter:
        optional = f' <span class="text-body-secondary">({gettext("optional")})</span>'
    help_text, errors, auto_id = field.help_text, field.errors, field.auto_id
    if field.widget_type == "checkbox":
        help_html = (
            f'<div class="form-text" id="{out(auto_id)}_helptext">{out(help_text)}</div>'
            if help_text
            else ""
        )
        error_html = _errors(errors, out(auto_id), "invalid-feedback d-block", context)
        html = (
            f'\n<div class="mb-3 form-check">\n  {out(field)}\n'
            f'  <label class="form-check-label" for="{out(field.id_for_label)}">'
            f"{out(field.label)}</label>\n  {help_html}\n  {error_html}\n</div>\n"
        )
        return SafeString(html)  # every value above went through out()
    help_html = (
        f'<div class="form-text mt-0 mb-1" id="{out(auto_id)}_helptext">{out(help_text)}</div>'
        if help_text
        else ""
    )
    error_html = _errors(errors, out(auto_id), "invalid-feedback d-block mb-1", context)
    if field.use_fieldset:
        described = field.aria_describedby
        described_html = f' aria-describedby="{out(described)}"' if described else ""
        choices = "".join(
            f'<div class="form-check">{out(choice.tag())}<label class="form-check-label" '
            f'for="{out(choice.id_for_label)}">{out(choice.choice_label)}</label></div>'
            for choice in field
        )
        html = (
            f'\n<fieldset class="mb-3"{described_html}>\n'
            f'  <legend class="form-label fs-6">{out(field.label)}{optional}</legend>\n'
            f"  {help_html}\n  {error_html}\n  {choices}\n</fieldset>\n"
        )
        return SafeString(html)  # every value above went through out()
    html = (
        f'\n<div class="mb-3">\n  <label class="form-label" for="{out(field.id_for_label)}">'
        f"{out(field.label)}{optional}</label>\n  {help_html}\n  {error_html}\n"
        f"  {out(field)}\n</div>\n"
    )
    return SafeString(html)  # every value above went through out()


def _errors(errors: Any, auto_id: str, css: str, context: template.Context) -> str:
    """The field's errors after "Error:" (`{{ field.errors|join:" "|one_full_stop }}`)."""
    if not errors:
        return ""
    text = render_value_in_context(
        one_full_stop(join(errors, " ", autoescape=context.autoescape)), context
    )
    return (
        f'<div class="{css}" id="{auto_id}_error"><span class="visually-hidden">'
        f"{gettext('Error:')} </span>{text}</div>"
    )
