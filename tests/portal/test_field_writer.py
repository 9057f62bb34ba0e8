"""`portal/_field.html` is written in Python (`{% form_field %}`, portal/templatetags/
portal_forms.py): every kind of field must come out exactly as the template it replaced wrote
it (kept as tests/templates/portal_field_reference.html), with its label, help, errors,
"(optional)" and the fieldset of a group of choices, in every language."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.template import engines
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from portal.forms import PortalFormMixin

HOSTILE = "a \"quoted\" <b>tag</b> & 'apostrophe'"


class _Form(PortalFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=20, help_text=HOSTILE)
    note = forms.CharField(label=HOSTILE, required=False, widget=forms.Textarea)
    agree = forms.BooleanField(label=mark_safe("I <em>agree</em>"), help_text="Read it.")
    optional_agree = forms.BooleanField(label=HOSTILE, required=False)
    colour = forms.ChoiceField(
        choices=[("r", "Red & co"), ("g", "<Green>")], widget=forms.RadioSelect, help_text="One."
    )
    days = forms.MultipleChoiceField(
        required=False, choices=[(1, "Mon"), (2, "Tue")], widget=forms.CheckboxSelectMultiple
    )
    kind = forms.ChoiceField(choices=[("", "Any"), ("a", "A")], required=False)
    secret = forms.CharField(widget=forms.HiddenInput, required=False)
    count = forms.IntegerField(label="1000", required=False)

    def clean(self):
        self.add_error(None, "Whole form.")
        self.add_error("note", ValidationError("Too long.. really."))
        return self.cleaned_data


def _forms():
    data = {"name": "x" * 30, "colour": "blue", "days": ["9"], "count": "x", "kind": "z"}
    return [
        _Form(),
        _Form(data),
        _Form({"name": HOSTILE[:20], "agree": "on", "colour": "r", "days": ["1", "2"]}),
        _Form(auto_id=False),
        _Form(data, auto_id="f-%s"),
    ]


def _render(template_name: str, form, **context) -> list[str]:
    template = engines["django"].from_string(
        "{% for field in form %}[{% include '" + template_name + "' %}]{% endfor %}"
        "{% for field in form %}[{% include '" + template_name + "' with filter=True %}]"
        "{% endfor %}"
    )
    form.is_bound and form.is_valid()
    return template.render({"form": form, **context}).split("][")


@pytest.mark.parametrize("language", ["en", "it"])
@pytest.mark.parametrize(
    "page", [{}, {"filter": True}, {"filter": ""}, {"filter": lambda: ""}, {"filter": lambda: 1}]
)
def test_every_field_is_written_as_the_template_wrote_it(language, page):
    with override(language):
        for form in _forms():
            written = _render("portal/_field.html", form, **page)
            assert written == _render("portal_field_reference.html", form, **page)
