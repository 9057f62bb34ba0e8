"""Each language's `gettext` answered once per message (issue 21).

A translation object holds one catalogue per plural formula of the packages it merged (eight in
English: Django, allauth, django-countries... each spells `n != 1` its own way) and a fallback
catalogue (django-countries' `en`). A message the language does not translate, which in English
is almost every message, was looked up in each of them and then in the fallback: 7-17 us a
`{% translate %}` or `gettext()` on this machine, about 120 of them on a review case, 1-2 ms of
every page. The catalogues never change while the process runs (Django makes new translation
objects when a catalogue file changes under `runserver`, or when the languages' settings
change in a test), so each object's answers can be kept: `memoize()` puts a dictionary in front
of its `gettext`. The answer is the object's own, the first time it is asked: the same text.

Only `gettext` (what `{% translate %}`, `gettext()` and `gettext_lazy` use): `ngettext` and
`pgettext` are rarer and keep Django's path. At most MAX_MESSAGES answers are kept per language:
a caller that translated arbitrary text would otherwise grow the dictionary for ever."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import trans_real

MAX_MESSAGES = 20_000


def memoized(lookup: Callable[[str], str]) -> Callable[[str], str]:
    answers: dict[str, str] = {}

    def gettext(message: str) -> str:
        answer = answers.get(message)
        if answer is None:
            answer = lookup(message)
            if len(answers) < MAX_MESSAGES:
                answers[message] = answer
        return answer

    gettext.memoized = True  # type: ignore[attr-defined]
    gettext.lookup = lookup  # type: ignore[attr-defined]  # the object's own (tests compare)
    return gettext


def memoize(translation: Any) -> None:
    """Put the memo in front of `translation.gettext` (once)."""
    if not getattr(translation.gettext, "memoized", False):
        translation.gettext = memoized(translation.gettext)


def memoize_languages() -> None:
    """Load every language of settings.LANGUAGES (as the first request in it would) and memoize
    its translation object; with USE_I18N off there is nothing to translate."""
    if not settings.USE_I18N:
        return
    for code, _name in settings.LANGUAGES:
        memoize(trans_real.translation(code))
