"""A `<select>` whose options are written in Python, not through one template per option.

Django's select template includes `select_option.html` once per option: 242
countries cost 242 template renders on every page that shows the list. `FastSelect` renders the
same HTML (attributes, `selected`, optgroups) with one template for the whole control."""

from __future__ import annotations

from html import escape
from typing import Any

from django import forms
from django.utils.safestring import SafeData, SafeString, mark_safe

# The options written, by everything they are written from: the choices as read (each value's
# and label's text, and whether the label was a SafeString), the chosen values, `multiple`.
_WRITTEN: dict[tuple[Any, ...], SafeString] = {}
_WRITTEN_MAX = 256


def _read(choices: Any) -> tuple[Any, ...]:
    """The choices as the options are written from them: (value, label text, label is safe),
    a group as (its label, its options)."""
    read: list[Any] = []
    for value, label in choices:
        if isinstance(label, (list, tuple)):
            read.append(
                (
                    str(value),
                    tuple(
                        ("" if v is None else str(v), str(lab), isinstance(lab, SafeData))
                        for v, lab in label
                    ),
                )
            )
        else:
            read.append(
                ("" if value is None else str(value), str(label), isinstance(label, SafeData))
            )
    return tuple(read)


def options_html(choices: Any, selected: set[str], multiple: bool) -> SafeString:
    """The options of `choices` (with optgroups), escaped, `selected` on the chosen values.

    Remembered by what they are written from (`_read`, the chosen values, `multiple`): a
    select of 243 countries was escaped and written anew on every request (~0.4 ms); reading
    the choices still happens on every call, so a renamed or added choice, or a label in
    another language, is a new key."""
    read = _read(choices)
    key = (read, frozenset(selected), multiple)
    written = _WRITTEN.get(key)
    if written is None:
        if len(_WRITTEN) >= _WRITTEN_MAX:  # many lists and chosen values: start again
            _WRITTEN.clear()
        written = _WRITTEN[key] = _write(read, selected, multiple)
    return written


def _write(read: tuple[Any, ...], selected: set[str], multiple: bool) -> SafeString:
    parts: list[str] = []
    found = False

    def option(value: str, label: str, safe: bool) -> str:
        nonlocal found
        chosen = value in selected and (multiple or not found)
        found = found or chosen
        return (
            f'\n  <option value="{escape(value)}"{" selected" if chosen else ""}>'
            f"{label if safe else escape(label)}</option>"
        )

    for entry in read:
        if len(entry) == 2:  # a group: (its label, its options)
            parts.append(f'\n  <optgroup label="{escape(entry[0])}">')
            parts.extend(option(*choice) for choice in entry[1])
            parts.append("\n  </optgroup>")
        else:
            parts.append(option(*entry))
    # Every value and label went through html.escape() above (what Django's escape() does),
    # but a label that was a SafeString.
    return mark_safe("".join(parts))  # noqa: S308


TEMPLATE = "portal/widgets/fast_select.html"


class FastSelectMixin:
    choices: Any

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        # forms.Widget's context (name, value, attrs...) without ChoiceWidget's optgroups: one
        # dict and one template per option is what this widget avoids.
        context = forms.Widget.get_context(self, name, value, attrs)  # type: ignore[arg-type]
        multiple = getattr(self, "allow_multiple_selected", False)
        if multiple:
            context["widget"]["attrs"]["multiple"] = True
        context["widget"]["options_html"] = options_html(
            self.choices, set(context["widget"]["value"]), multiple
        )
        return context


class FastSelect(FastSelectMixin, forms.Select):
    template_name = TEMPLATE


class FastSelectMultiple(FastSelectMixin, forms.SelectMultiple):
    template_name = TEMPLATE


def speed_up_select(field: forms.Field) -> None:
    """Swap a plain Select / SelectMultiple widget for its fast twin, keeping its state."""
    widget = field.widget
    fast: type[forms.Widget] | None = {
        forms.Select: FastSelect,
        forms.SelectMultiple: FastSelectMultiple,
    }.get(type(widget))
    if fast is not None:
        widget.__class__ = fast


class IsoDateInput(forms.DateInput):
    """`<input type="date">`: its value is always ISO (YYYY-MM-DD), whatever the page's language;
    the browser shows it in the reader's format. A localized value ("29/11/2026") leaves the
    field empty."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
