"""The form renderer (settings.FORM_RENDERER): Django's, with the simplest widget templates
written in Python.

Every `{{ field }}` of a text input renders three templates through the forms' own template
engine (`text.html` includes `input.html`, which includes `attrs.html`): about a tenth of a
millisecond a field, most of a form's cost on pages with several forms (a review case has six
fields and five hidden ones). `input.html` and `textarea.html` (and the templates that only
include `input.html`), and the portal's own `<select>` (portal/widgets.py, whose options are
already written in Python) are short enough to write here with the same output: the same attributes
in the same order, the same escaping (`{{ }}` under autoescape, `|stringformat:'s'` keeping a
SafeString as is), stripped as `BaseRenderer.render` strips. Anything else, a template an app
overrides (checked once, by where the engine finds each file) or a value these templates would
treat differently (a callable, an option that wraps its label) goes through the templates."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import django.forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import SafeData, SafeString

from .escaping import conditional_escaped, escaped
from .widgets import TEMPLATE as FAST_SELECT

WIDGETS = "django/forms/widgets/"
# The templates that are `{% include "django/forms/widgets/input.html" %}` and nothing else.
_INPUT_WRAPPERS = {
    f"{WIDGETS}{name}.html"
    for name in (
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
}
# Include `input_option.html`, which is `input.html` when the option does not wrap its label.
_OPTION_WRAPPERS = {f"{WIDGETS}checkbox_option.html", f"{WIDGETS}radio_option.html"}
_INPUT = f"{WIDGETS}input.html"
_INPUT_OPTION = f"{WIDGETS}input_option.html"
_TEXTAREA = f"{WIDGETS}textarea.html"
_ATTRS = f"{WIDGETS}attrs.html"
_DJANGO_TEMPLATES = Path(django.forms.__file__).parent / "templates"
_PORTAL_TEMPLATES = Path(__file__).resolve().parent / "templates"


class _Fallback(Exception):
    """A value the Python writer does not reproduce: the template renders it."""


def _variable(value: Any) -> str:
    """`{{ value }}` for a string under autoescape."""
    if not isinstance(value, str):
        raise _Fallback
    return conditional_escaped(value)


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` under autoescape (the filter is is_safe: a SafeString
    stays unescaped)."""
    if type(value) is str:
        return escaped(value)
    if callable(value):  # the template would call it
        raise _Fallback
    if isinstance(value, tuple):
        value = str(value)
    try:
        text = "%s" % value  # noqa: UP031 (the filter's own formatting)
    except (ValueError, TypeError):
        return ""
    return text if isinstance(value, SafeData) else escaped(text)


# Attribute names, escaped once: a few dozen constant names ("class", "maxlength", "id").
_NAMES: dict[str, str] = {}


def _name(name: Any) -> str:
    """`{{ name }}` of an attribute name."""
    written = _NAMES.get(name) if type(name) is str else None
    if written is None:
        written = _variable(name)
        if type(name) is str and len(_NAMES) < 512:
            _NAMES[name] = written
    return written


def _attrs(attrs: dict[str, Any]) -> str:
    """attrs.html."""
    if "items" in attrs:  # `widget.attrs.items` would read that key
        raise _Fallback
    parts = []
    for name, value in attrs.items():
        if callable(value):
            raise _Fallback
        if value is True:
            parts.append(f" {_name(name)}")
        elif value is not False:
            parts.append(f' {_name(name)}="{_formatted(value)}"')
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    """input.html, stripped."""
    value = widget["value"]
    if callable(value):
        raise _Fallback
    value_html = f' value="{_formatted(value)}"' if value is not None else ""
    return (
        f'<input type="{_variable(widget["type"])}" name="{_variable(widget["name"])}"'
        f"{value_html}{_attrs(widget['attrs'])}>"
    )


def _input_option(widget: dict[str, Any]) -> str:
    """input_option.html for an option that does not wrap its label (BoundWidget.tag)."""
    if widget.get("wrap_label"):
        raise _Fallback
    return _input(widget)


def _textarea(widget: dict[str, Any]) -> str:
    """textarea.html, stripped."""
    value = widget["value"]
    if callable(value):
        raise _Fallback
    text = _variable(value) if value else ""
    return (
        f'<textarea name="{_variable(widget["name"])}"{_attrs(widget["attrs"])}>\n{text}</textarea>'
    )


def _fast_select(widget: dict[str, Any]) -> str:
    """portal/widgets/fast_select.html (portal/widgets.py), stripped: its options are already
    written (a SafeString)."""
    options = widget["options_html"]
    if not isinstance(options, SafeData):
        raise _Fallback
    return (
        f'<select name="{_variable(widget["name"])}"{_attrs(widget["attrs"])}>{options}\n</select>'
    )


_WRITERS = {
    FAST_SELECT: _fast_select,
    _INPUT: _input,
    _TEXTAREA: _textarea,
    _INPUT_OPTION: _input_option,
    **dict.fromkeys(_INPUT_WRAPPERS, _input),
    **dict.fromkeys(_OPTION_WRAPPERS, _input_option),
}


class PortalFormRenderer(DjangoTemplates):
    """Django's DjangoTemplates renderer, the templates above written in Python."""

    @cached_property
    def _written(self) -> frozenset[str]:
        """The templates written here that the engine finds where they were written from
        (Django's, the portal's select), with the templates they include: one overridden by
        an app is rendered from its file."""

        def djangos(name: str) -> bool:
            origin = Path(self.get_template(name).origin.name)
            if name == FAST_SELECT:
                return origin.resolve() == _PORTAL_TEMPLATES / name
            return origin == _DJANGO_TEMPLATES / name

        if not all(djangos(name) for name in (_INPUT, _ATTRS, _INPUT_OPTION)):
            return frozenset()
        return frozenset(name for name in _WRITERS if djangos(name))

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        write = _WRITERS.get(template_name)
        if write is not None and request is None and template_name in self._written:
            try:
                html = write(context["widget"])
            except _Fallback:
                pass
            else:
                # Every value was escaped above, or was a SafeString already (SafeString
                # itself: mark_safe's keep_lazy wrapper costs more than the rest of an input).
                return SafeString(html)
        return super().render(template_name, context, request)
