"""`{% page_sections "slot" obj %}`: the sections other apps registered for this page's slot
(`portal/sections.py`), each rendered with its own template and context."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from ..sections import page_sections as sections_for

register = template.Library()


@register.simple_tag(takes_context=True)
def page_sections(context: template.Context, slot: str, obj: object) -> SafeString:
    request = context.get("request")
    membership = getattr(request, "membership", None)
    if request is None or membership is None:
        return SafeString("")
    html = [
        render_to_string(name, section_context, request=request)
        for name, section_context in sections_for(slot, request, membership, obj)
    ]
    # Each part is a SafeString rendered (and escaped) by its own template: joined as is.
    return format_html_join("", "{}", ((part,) for part in html))
