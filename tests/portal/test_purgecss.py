"""The pages link Bootstrap reduced to the rules the portal uses (devtools/purgecss.py): the
committed file is what `manage.py purgecss` writes today, and every Bootstrap class a template
or a form puts on an element is in it."""

import re

from devtools.purgecss import (
    OUTPUT,
    SAFELIST,
    SOURCE,
    Vocabulary,
    parse,
    reduced_css,
    split_selectors,
    template_files,
)
from portal.forms import mark_invalid, style_widgets

CLASS_ATTRIBUTE = re.compile(r'\bclass="([^"]*)"')
TEMPLATE_SYNTAX = re.compile(r"\{%.*?%\}|\{\{.*?\}\}")
CLASS_NAME = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")


def _selectors(css: str) -> set[tuple[str, str]]:
    """(the @media it sits in, selector) for every selector of `css`."""
    found: set[tuple[str, str]] = set()

    def walk(rules, media=""):
        for rule in rules:
            if rule.children is not None:
                walk(rule.children, rule.prelude)
            elif rule.body is not None and not rule.prelude.startswith("@"):
                found.update((media, selector) for selector in split_selectors(rule.prelude))

    walk(parse(css)[0])
    return found


def _classes_of(selector: str) -> set[str]:
    """The classes a selector asks for (not those inside `:not(...)` and the like)."""
    while "(" in selector:
        selector = re.sub(r"\([^()]*\)", "", selector)
    return set(CLASS_NAME.findall(selector))


def test_the_committed_stylesheet_is_what_purgecss_writes_today():
    assert OUTPUT.read_text(encoding="utf-8") == reduced_css(), (
        "static/vendor/bootstrap/bootstrap.portal.min.css is stale: run `make css` "
        "(manage.py purgecss) and commit it"
    )


def test_every_bootstrap_class_on_a_template_or_form_element_is_kept():
    used: set[str] = set(SAFELIST)
    for path in template_files():
        for value in CLASS_ATTRIBUTE.findall(path.read_text(encoding="utf-8")):
            used.update(TEMPLATE_SYNTAX.sub(" ", value).split())
    # The classes forms give their widgets (portal/forms.py): a control, a select, a check,
    # and a field with an error.
    from django import forms

    class Every(forms.Form):
        text = forms.CharField()
        choice = forms.ChoiceField(choices=[("a", "A")])
        check = forms.BooleanField()

    form = Every(data={})
    style_widgets(form)
    mark_invalid(form)
    for field in form.fields.values():
        used.update(field.widget.attrs["class"].split())
    assert {"form-control", "form-select", "form-check-input", "is-invalid"} <= used

    bootstrap = _selectors(SOURCE.read_text(encoding="utf-8"))
    reduced = _selectors(OUTPUT.read_text(encoding="utf-8"))
    # Every Bootstrap selector made of classes the templates and forms use stays (the dark theme,
    # `[data-bs-theme=dark]`, is not used).
    wanted = {
        (media, s)
        for media, s in bootstrap
        if _classes_of(s) and _classes_of(s) <= used and "[data-bs-theme" not in s
    }
    assert len(wanted) > 200  # the check reads the templates
    missing = sorted(wanted - reduced)
    assert not missing, f"used but not in the reduced stylesheet: {missing[:20]}"
    assert len(reduced) < len(bootstrap) / 3  # and most of the rest is gone


def test_a_rule_is_kept_for_its_used_selectors_only():
    source = (
        '@charset "UTF-8";/*! licence */'
        ".a{color:red}.b{color:blue}.a,.b{margin:0}.a:hover:not(.zzz)>p{top:0}"
        "[data-bs-theme=dark]{x:1}a[href]{y:1}.pre-x .a{z:1}"
        "@media (min-width:1px){.b{color:green}.a{color:green}}"
        "@media print{.b{display:none}}"
        "@keyframes spin{to{rotate:1turn}}@keyframes fadeaway{to{opacity:0}}.a{animation:spin 1s}"
    )
    vocab = Vocabulary(words={"a"}, prefixes={"pre-"})

    css = reduced_css(source, vocab)

    rules = css.split("*/", 2)[-1].strip()  # after the licence and the banner
    assert css.startswith('@charset "UTF-8";')
    assert "/*! licence */" in css
    assert rules == (
        ".a{color:red}.a{margin:0}.a:hover:not(.zzz)>p{top:0}a[href]{y:1}.pre-x .a{z:1}"
        "@media (min-width:1px){.a{color:green}}"
        "@keyframes spin{to{rotate:1turn}}.a{animation:spin 1s}"
    )
