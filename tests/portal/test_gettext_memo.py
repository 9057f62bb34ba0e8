"""Each language's own catalogues read once per message (portal/gettext_memo.py): the same text
as Django's lookup, in English and Italian, for every message the project translates, and the
fallback still asked live (django-countries' "no fallback" check)."""

from __future__ import annotations

import gettext as gettext_module

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import trans_real
from django_countries import no_translation_fallback

from portal import gettext_memo

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def _messages() -> list[str]:
    """Every message the Italian catalogues hold (the project's, Django's, allauth's,
    django-countries'...) and one none holds."""
    catalog = trans_real.translation("it")._catalog
    # TranslationCatalog has keys(), not iteration.
    messages = [key for key in catalog.keys() if isinstance(key, str) and key]  # noqa: SIM118
    return [*messages, "A sentence no catalogue holds."]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_answers_from_its_memo(language):
    assert getattr(trans_real.translation(language).gettext, "memoized", False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_memo_answers_what_django_answers(language):
    obj = trans_real.translation(language)
    messages = _messages()
    assert len(messages) > 1000
    for message in messages + messages:  # the second time from the memo
        assert obj.gettext(message) == gettext_module.GNUTranslations.gettext(obj, message)
    with translation.override("it"):
        assert translation.gettext("Indirect resellers") == "Rivenditori indiretti"
        assert translation.gettext("A sentence no catalogue holds.") == (
            "A sentence no catalogue holds."
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_fallback_is_asked_every_time(language):
    """django-countries asks whether a name has a translation of the language's own with the
    fallback answering "": a name seen before (and kept) must not answer for the fallback."""
    with translation.override(language):
        english = ["Taiwan", "United Kingdom"]
        for name in english:
            translation.gettext(name)
        with no_translation_fallback():
            inside = {name: translation.gettext(name) for name in english}
        assert all(translation.gettext(name) for name in english)  # outside: names again
        if language == "en":  # no catalogue of its own translates them: the fallback's ""
            assert inside == {"Taiwan": "", "United Kingdom": ""}
        else:  # Italian names its own
            assert inside["United Kingdom"] == translation.gettext("United Kingdom") != ""


class _Catalogue:
    """A translation object as `memoized` reads it, counting its catalogue's look-ups."""

    def __init__(self, entries: dict[str, str]) -> None:
        self.entries, self.asked, self._fallback = entries, [], None

        outer = self

        class Catalog:
            def get(self, key, default=None):
                outer.asked.append(key)
                return outer.entries.get(key, default) if isinstance(key, str) else default

        self._catalog = Catalog()

    def plural(self, n: int) -> int:
        return 0


def test_a_message_is_looked_up_once_and_the_memo_stays_bounded(monkeypatch):
    monkeypatch.setattr(gettext_memo, "MAX_MESSAGES", 2)
    obj = _Catalogue({"a": "A", "b": "B"})
    gettext = gettext_memo.memoized(obj)
    assert [gettext("a"), gettext("a"), gettext("b"), gettext("b")] == ["A", "A", "B", "B"]
    assert obj.asked == ["a", "b"]
    # Past MAX_MESSAGES answers are still right, only not kept; a miss is the message itself.
    assert [gettext("c"), gettext("c")] == ["c", "c"]
    assert obj.asked == ["a", "b", "c", ("c", 0), "c", ("c", 0)]
