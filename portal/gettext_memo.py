"""Each language's own catalogues read once per message (issue 21).

A translation object holds one catalogue per plural formula of the packages it merged (eight in
English: Django, allauth, django-countries... each spells `n != 1` its own way), then a fallback
(another language's object, or django-countries' `en` catalogue). A message the language does
not translate, which in English is almost every message, was looked up in each of the eight on
every call before the fallback: 7-17 us a `{% translate %}` or `gettext()` on this machine,
about 120 of them on a review case, 1-2 ms of every page. The catalogues never change while the
process runs (Django makes new translation objects when a catalogue file changes under
`runserver`, or when the languages' settings change in a test), so what the object's own
catalogues answer for a message, or that they hold none, is kept: `memoize()` puts a
dictionary in front of that part of `gettext` (`gettext.GNUTranslations.gettext`, step for
step). The fallback is asked live on every miss, as before: django-countries swaps it for one
that answers "" while it checks whether a name has a translation of its own
(`no_translation_fallback`), so what the fallback says is no fixed answer.

Only `gettext` (what `{% translate %}`, `gettext()` and `gettext_lazy` use): `ngettext` and
`pgettext` are rarer and keep Django's path. At most MAX_MESSAGES messages are kept per
language: a caller that translated arbitrary text would otherwise grow the dictionary for ever."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import trans_real

MAX_MESSAGES = 20_000


_NONE = object()  # the object's own catalogues hold no translation of the message


def memoized(translation: Any) -> Callable[[str], str]:
    """`translation.gettext`, its own catalogues' answer kept per message."""
    own: dict[str, Any] = {}
    catalog = translation._catalog

    def gettext(message: str) -> str:
        answer = own.get(message)
        if answer is None:
            answer = catalog.get(message, _NONE)
            if answer is _NONE:
                answer = catalog.get((message, translation.plural(1)), _NONE)
            if len(own) < MAX_MESSAGES:
                own[message] = answer
        if answer is not _NONE:
            return answer
        fallback = translation._fallback
        if fallback:
            return fallback.gettext(message)
        return message

    gettext.memoized = True  # type: ignore[attr-defined]
    return gettext


def memoize(translation: Any) -> None:
    """Put the memo in front of `translation.gettext` (once)."""
    if not getattr(translation.gettext, "memoized", False):
        translation.gettext = memoized(translation)


def memoize_languages() -> None:
    """Load every language of settings.LANGUAGES (as the first request in it would) and memoize
    its translation object; with USE_I18N off there is nothing to translate."""
    if not settings.USE_I18N:
        return
    for code, _name in settings.LANGUAGES:
        memoize(trans_real.translation(code))
