"""Form pieces every app's forms share."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django import forms
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext_lazy as _

from .widgets import speed_up_select

if TYPE_CHECKING:
    # Mixed into forms only; the type checker sees it as one.
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class PairedChoices(BaseChoiceIterator):
    """Choices that are already flat (value, label) pairs, handed to a field as they are. A list
    given to `ChoiceField.choices` is normalised pair by pair, two calls each: ~0.4 ms of CPU for
    the 242 countries of every form built with them (the wizard's legal step, the review
    queue's filters)."""

    def __init__(self, pairs: list[tuple[Any, Any]]) -> None:
        self.pairs = pairs

    def __iter__(self) -> Any:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)


def _add_class(widget: forms.Widget, css: str) -> None:
    classes = widget.attrs.get("class", "").split()
    if css not in classes:
        widget.attrs["class"] = " ".join([*classes, css])


def style_widgets(form: forms.BaseForm) -> None:
    """Bootstrap's class on every widget of `form` (a check, a select or a text control)."""
    for field in form.fields.values():
        widget = field.widget
        if widget.is_hidden:
            continue
        if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect)):
            _add_class(widget, "form-check-input")
        elif isinstance(widget, forms.Select):
            _add_class(widget, "form-select")
        else:
            _add_class(widget, "form-control")


def mark_invalid(form: forms.BaseForm) -> None:
    """`is-invalid` on the widgets of the fields with errors (Django itself adds aria-invalid
    and aria-describedby pointing at `<id>_error`)."""
    for name in form.errors:
        if name in form.fields:
            _add_class(form.fields[name].widget, "is-invalid")


class PortalFormMixin(_FormBase):
    """Bootstrap classes on every widget (`style_widgets`), `is-invalid` on fields with errors
    (`mark_invalid`), selects rendered without a template per option
    (`portal.widgets.FastSelect`), and the `autocomplete` token (WCAG 1.3.5 Identify Input
    Purpose) of each field in `autocomplete` (field name -> token)."""

    autocomplete: ClassVar[dict[str, str]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            speed_up_select(field)  # no template per option
            if name in self.autocomplete:
                field.widget.attrs.setdefault("autocomplete", self.autocomplete[name])
        style_widgets(self)

    def full_clean(self) -> None:
        super().full_clean()
        mark_invalid(self)

    def add_error(self, field: str | None, error: Any) -> None:
        # Also after cleaning: a service's refusal added by the view marks its field.
        super().add_error(field, error)
        if hasattr(self, "cleaned_data"):
            mark_invalid(self)


# What PostgreSQL cannot store in text: the NUL character and lone UTF-16 surrogates (which
# have no UTF-8 encoding). Django's CharField already refuses NUL with a message beside the
# field; text read without a form (a `?q=` search, a draft kept as typed) goes through here.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(value: str) -> str:
    """`value` without the characters PostgreSQL cannot store."""
    return _UNSTORABLE.sub("", value)


def clean_query_text(value: str, *, max_length: int = 100) -> str:
    """A search term from the query string, ready for a lookup: storable, trimmed, bounded."""
    return storable_text(value).strip()[:max_length]


class AuditLogFilterForm(PortalFormMixin, forms.Form):
    """The audit log's filters: an event type of the catalogue, a member, a range of days."""

    type = forms.ChoiceField(label=_("Event"), required=False)
    person = forms.TypedChoiceField(label=_("Person"), required=False, coerce=int, empty_value=None)
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(
        self,
        *args: Any,
        event_types: list[tuple[str, str]],
        people: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["type"]).choices = [
            ("", _("All events")),
            *event_types,
        ]
        cast(forms.ChoiceField, self.fields["person"]).choices = [
            ("", _("Everyone")),
            *[(str(pk), name) for pk, name in people],
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("date_from"), cleaned.get("date_to")
        if since and until and until < since:
            self.add_error("date_to", _("Enter a date on or after the “From” date."))
        return cleaned
