"""`portal_styled`: a form that is not a `PortalFormMixin` (django-allauth's) rendered through
`portal/_field.html` with the same Bootstrap classes."""

from __future__ import annotations

from django import forms, template

from portal.forms import mark_invalid, style_widgets

register = template.Library()


@register.filter
def portal_styled(form: forms.BaseForm) -> forms.BaseForm:
    style_widgets(form)
    mark_invalid(form)
    return form
