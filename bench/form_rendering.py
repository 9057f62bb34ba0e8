"""One form rendered by the portal's field partial and by django-crispy-forms' bootstrap5 pack
(README, Architecture: "Forms without django-crispy-forms"). crispy is not a dependency: install
it into a throwaway folder and pass that folder.

    .tools/bin/uv pip install --target /tmp/crispy --no-deps django-crispy-forms crispy-bootstrap5
    .venv/bin/python bench/form_rendering.py /tmp/crispy

The form is the wizard's legal profile (9 fields, a 250-country select), unbound and with two
errors; the figure is the best of 7 runs of 200 renders, in microseconds per render."""

from __future__ import annotations

import os
import sys
import timeit
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(crispy_path: str) -> None:
    sys.path[:0] = [crispy_path, str(ROOT)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    import django
    from django.conf import settings

    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "crispy_forms", "crispy_bootstrap5"]
    settings.CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
    settings.CRISPY_TEMPLATE_PACK = "bootstrap5"
    django.setup()
    from django.template import engines
    from django.utils import translation

    import enrollment.forms as wizard_forms
    from portal.forms import PairedChoices

    # No database: 250 made-up countries in place of the Market table's.
    countries = [(f"X{i:03d}", f"Country {i}") for i in range(250)]
    wizard_forms.market_choices = lambda: PairedChoices([("", "Select a country"), *countries])
    engine = engines["django"]
    renderers = {
        "portal partial": engine.from_string(
            '{% for field in form %}{% include "portal/_field.html" %}{% endfor %}'
        ),
        "crispy bootstrap5": engine.from_string("{% load crispy_forms_tags %}{{ form|crispy }}"),
    }
    translation.activate("en")
    typed = {"address_line1": "Via Roma 1", "city": "Milano", "phone": "x"}
    for kind, form in (
        ("unbound", wizard_forms.LegalForm()),
        ("with errors", wizard_forms.LegalForm(data=typed)),
    ):
        if form.is_bound:
            form.is_valid()
        for name, template in renderers.items():
            html = template.render({"form": form})
            context = {"form": form}
            best = min(timeit.repeat(partial(template.render, context), number=200, repeat=7))
            print(
                f"{kind:12} {name:18} {best / 200 * 1e6:8.0f} us/render {len(html):7} bytes"
                f"  '(optional)' {html.count('(optional)')}  'Error:' {html.count('Error:')}"
            )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/crispy")
