"""Escaping for the portal's Python writers (form fields, widgets, pagination), the text Django's
`escape` / `conditional_escape` / `{{ }}` write, without their cost.

Django's `escape` is wrapped in `keep_lazy`, which looks at every argument for a lazy string
before calling it: that wrapper was most of the ~0.2 ms of one form field (a six-field form
escapes ~90 values). These return plain `str`: the writer marks its whole text safe once."""

from __future__ import annotations

from html import escape as _html_escape
from typing import Any

from django.forms import BoundField
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.functional import Promise
from django.utils.safestring import SafeString


def escaped(text: Any) -> str:
    """`django.utils.html.escape(text)` for a value that is not lazy: always escaped."""
    return _html_escape(text if type(text) is str else str(text))


def conditional_escaped(value: Any) -> str:
    """`django.utils.html.conditional_escape(value)`: a SafeString (anything with `__html__`)
    as it is, anything else escaped."""
    if type(value) is str:
        return _html_escape(value)
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _html_escape(str(value))


def in_context(value: Any, context: Context) -> str:
    """`{{ value }}` (`render_value_in_context`): a string, a lazy string or a BoundField needs
    no localizing, so it is written here (escaped under autoescape, a SafeString as it is);
    anything else (numbers, dates) goes through Django's."""
    if isinstance(value, (Promise, BoundField)):
        value = str(value)
    kind = type(value)
    if kind is SafeString:
        return value
    if kind is str and context.autoescape:
        return _html_escape(value)
    return render_value_in_context(value, context)
