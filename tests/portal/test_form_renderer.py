"""The portal's form renderer writes the simplest widget templates in Python: every widget must
come out exactly as Django's templates write it (escaping, attribute order, booleans, SafeStrings,
lazy strings), and a template an app overrides must still be the one used."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from portal.form_renderer import PortalFormRenderer
from portal.widgets import FastSelect, FastSelectMultiple

HOSTILE = "a \"quoted\" <b>tag</b> & 'apostrophe'"


class _Form(forms.Form):
    text = forms.CharField(
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Search"), "class": "x y"}),
    )
    optional = forms.CharField(required=False, widget=forms.TextInput(attrs={"disabled": False}))
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    number = forms.IntegerField(min_value=0, max_value=10_000)
    hidden = forms.CharField(widget=forms.HiddenInput)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    agree = forms.BooleanField(required=False)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    empty_note = forms.CharField(required=False, widget=forms.Textarea)
    kind = forms.ChoiceField(choices=[("a", "A & a"), ("b", "<B>")], widget=forms.RadioSelect)
    kinds = forms.MultipleChoiceField(
        choices=[(1, "One"), (2, "Two")], widget=forms.CheckboxSelectMultiple
    )
    pick = forms.ChoiceField(
        choices=[("", "---"), ("x", HOSTILE), ("Group <1>", [("y", "Y & y"), ("z", "Z")])],
        widget=FastSelect(attrs={"class": "form-select", "data-x": HOSTILE}),
    )
    picks = forms.MultipleChoiceField(
        required=False, choices=[(1, "One"), (2, "Two")], widget=FastSelectMultiple
    )
    odd = forms.CharField(widget=forms.TextInput(attrs={"data-n": 5, "required": True}))
    # Hostile attribute names (escaped once and remembered): a plain one and a safe one.
    names = forms.CharField(
        required=False,
        widget=forms.TextInput(
            attrs={HOSTILE: "x", mark_safe("data-<safe>"): True, "data-v": mark_safe("<v>")}
        ),
    )


def _pages(renderer):
    data = {
        "text": HOSTILE,
        "email": "a@example.com",
        "number": "12345",
        "hidden": mark_safe("<safe>"),
        "password": HOSTILE,
        "agree": "on",
        "day": "2026-12-06",
        "note": HOSTILE + "\nline two",
        "kind": "a",
        "kinds": ["2"],
        "odd": "v",
        "pick": "y",
        "picks": ["1", "2"],
    }
    pages = []
    for form in (
        _Form(renderer=renderer),
        _Form(data, renderer=renderer),
        _Form({"number": "x", "note": mark_safe("<i>safe</i>")}, renderer=renderer),
        _Form(initial={"text": 5, "agree": True, "number": 7}, renderer=renderer, auto_id=False),
    ):
        form.is_bound and form.is_valid()
        for field in form:
            pages.append(str(field))
            pages.extend(str(choice.tag()) for choice in field.subwidgets)
    return pages


@pytest.mark.parametrize("language", ["en", "it"])
def test_every_widget_is_written_as_djangos_templates_write_it(language):
    with override(language):
        assert _pages(PortalFormRenderer()) == _pages(DjangoTemplates())


def test_the_simple_widgets_need_no_template():
    renderer = PortalFormRenderer()
    _pages(renderer)  # the renderer checks once where the engine finds the templates
    with mock.patch.object(
        DjangoTemplates, "get_template", side_effect=AssertionError("a template was rendered")
    ):
        form = _Form({"text": HOSTILE, "note": "n"}, renderer=renderer)
        html = str(form["text"]) + str(form["note"]) + str(form["hidden"]) + str(form["agree"])
        html += str(form["pick"]) + str(form["picks"])
    assert (
        'value="a &quot;quoted&quot; &lt;b&gt;tag&lt;/b&gt; &amp; &#x27;apostrophe&#x27;"' in html
    )


def test_a_template_an_app_overrides_is_the_one_used(tmp_path: Path):
    override_dir = tmp_path / "django" / "forms" / "widgets"
    override_dir.mkdir(parents=True)
    (override_dir / "text.html").write_text('<input data-overridden name="{{ widget.name }}">\n')

    class Overridden(PortalFormRenderer):
        @cached_property
        def engine(self):
            engine = super().engine
            engine.engine.dirs = [str(tmp_path), *engine.engine.dirs]
            return engine

    form = _Form(renderer=Overridden())
    assert str(form["text"]) == '<input data-overridden name="text">'
    assert str(form["email"]).startswith('<input type="email" name="email"')
