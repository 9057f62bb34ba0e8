"""Each language's gettext answered once per message (portal/gettext_memo.py): the same text as
the catalogues' own lookup, in English and Italian, for every message the project translates."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import trans_real

from portal import gettext_memo


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_every_language_answers_from_its_memo(language):
    assert getattr(trans_real.translation(language).gettext, "memoized", False)


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_the_memo_answers_what_the_catalogues_answer(language):
    memoized = trans_real.translation(language).gettext
    italian = trans_real.translation("it")
    # Every message the Italian catalogues hold (the project's, Django's, allauth's...), a
    # message none holds, and each twice: the second answer comes from the memo.
    # (TranslationCatalog has keys(), not iteration)
    messages = [k for k in italian._catalog.keys() if isinstance(k, str) and k]  # noqa: SIM118
    messages.append("A sentence no catalogue holds.")
    assert len(messages) > 1000
    for message in messages + messages:
        assert memoized(message) == memoized.lookup(message)
    with translation.override("it"):
        assert translation.gettext("Indirect resellers") == "Rivenditori indiretti"
        assert translation.gettext("A sentence no catalogue holds.") == (
            "A sentence no catalogue holds."
        )


def test_a_message_is_looked_up_once_and_the_memo_stays_bounded(monkeypatch):
    asked: list[str] = []

    def lookup(message: str) -> str:
        asked.append(message)
        return message.upper()

    monkeypatch.setattr(gettext_memo, "MAX_MESSAGES", 2)
    gettext = gettext_memo.memoized(lookup)
    assert [gettext("a"), gettext("a"), gettext("b"), gettext("b")] == ["A", "A", "B", "B"]
    assert asked == ["a", "b"]
    # Past MAX_MESSAGES answers are still right, only not kept.
    assert [gettext("c"), gettext("c")] == ["C", "C"]
    assert asked == ["a", "b", "c", "c"]
