"""Selects render without a template per option: the count of templates a form renders does
not grow with its choices, and the HTML is what Django's own select renders."""

from __future__ import annotations

import pytest
from django import forms
from django.test import Client
from django.test.signals import template_rendered

from portal.forms import PortalFormMixin
from portal.widgets import FastSelect, FastSelectMultiple
from tests.enrollment.factories import drafting_user
from tests.verification.factories import reviewer


class _Choices(PortalFormMixin, forms.Form):
    pick = forms.ChoiceField(label="Pick")

    def __init__(self, *args, n: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pick"].choices = [(str(i), f"Choice {i}") for i in range(n)]  # type: ignore[attr-defined]


def _templates_rendered(render) -> list[str]:
    names: list[str] = []

    def seen(sender, template, context, **kwargs):
        names.append(template.name)

    template_rendered.connect(seen)
    try:
        render()
    finally:
        template_rendered.disconnect(seen)
    return names


def test_a_select_renders_the_same_number_of_templates_for_3_or_300_choices():
    few = _templates_rendered(lambda: str(_Choices(n=3)["pick"]))
    many = _templates_rendered(lambda: str(_Choices(n=300)["pick"]))
    assert len(few) == len(many)
    assert "django/forms/widgets/select_option.html" not in many
    assert str(_Choices(n=300)["pick"]).count("<option") == 300


@pytest.mark.parametrize("value", ["IT", "", None, "b"])
def test_fast_select_writes_what_django_select_writes(value):
    choices = [("", "All <countries>"), ("IT", "Italy & co"), ("Group", [("a", "A"), ("b", "B")])]
    attrs = {"class": "form-select", "aria-describedby": "id_c_error", "aria-invalid": "true"}
    django_html = forms.Select(choices=choices, attrs=attrs).render("c", value, {"id": "id_c"})
    fast_html = FastSelect(choices=choices, attrs=attrs).render("c", value, {"id": "id_c"})
    assert fast_html == django_html.replace("\n\n", "\n")


def test_fast_select_multiple_marks_every_chosen_value():
    choices = [("a", "A"), ("b", "B"), ("c", "C")]
    html = FastSelectMultiple(choices=choices).render("m", ["a", "c"])
    assert "multiple" in html
    assert '<option value="a" selected>' in html and '<option value="c" selected>' in html
    assert '<option value="b">' in html


@pytest.mark.django_db
def test_the_wizard_country_list_and_the_queue_filters_render_no_template_per_option(settings):
    settings.PORTAL_REQUIRE_MFA = False
    draft = drafting_user(through="account")
    client = Client()
    client.force_login(draft.user)
    response = client.get("/enroll/reseller/legal/")
    names = [t.name for t in response.templates]
    assert response.content.decode().count("<option") > 200  # every market is offered
    assert not [n for n in names if n and n.endswith("select_option.html")]

    client.force_login(reviewer().user)
    response = client.get("/review/")
    names = [t.name for t in response.templates]
    assert response.content.decode().count("<option") > 200
    assert not [n for n in names if n and n.endswith("select_option.html")]
    # A fixed set of templates: the page, its shell, one include per filter field and select.
    assert len(names) < 40


HOSTILE = "a \"quoted\" <b>tag</b> & 'apostrophe'"


def _django_options(choices, value, multiple=False) -> str:
    widget = (forms.SelectMultiple if multiple else forms.Select)(choices=choices)
    return widget.render("c", value).replace("\n\n", "\n")


def _fast_options(choices, value, multiple=False) -> str:
    return (FastSelectMultiple if multiple else FastSelect)(choices=choices).render("c", value)


@pytest.mark.parametrize("language", ["en", "it"])
def test_remembered_options_are_keyed_by_what_they_are_written_from(language):
    """options_html remembers its text by the choices as read (values, labels' text and
    safety), the chosen values and `multiple`: whatever changes, the next render shows it."""
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy, override

    base = [("", gettext_lazy("Any")), ("IT", "Italy & co"), (HOSTILE, HOSTILE), (None, "None")]
    variants = [
        base,
        [*base[:1], ("IT", "Italia & co"), *base[2:]],  # a renamed label
        [*base[:1], ("IT", mark_safe("Italy & co")), *base[2:]],  # the same text, now safe
        [*base, ("G <1>", [("a", "A"), ("b", mark_safe("<b>B</b>"))])],  # a group added
        [*base, ("FR", "France")],  # a choice added
        [("IT", "Italy & co"), ("IT", "Italy again")],  # one value twice: selected once
    ]
    with override(language):
        for _ in range(2):  # written, then remembered
            for choices in variants:
                for value in ("IT", "", None, HOSTILE, "b", "zz"):
                    assert _fast_options(choices, value) == _django_options(choices, value)
                for values in (["IT", "b"], [], ["IT"]):
                    assert _fast_options(choices, values, True) == _django_options(
                        choices, values, True
                    )


def test_a_lazy_label_is_written_in_the_reader_language():
    from django.utils.translation import gettext_lazy, override

    choices = [("", gettext_lazy("Pages")), ("x", "X")]
    with override("en"):
        english = _fast_options(choices, "")
    with override("it"):
        italian = _fast_options(choices, "")
    with override("en"):
        assert _fast_options(choices, "") == english
    assert english != italian
    assert ">Pages</option>" in english and ">Pagine</option>" in italian
