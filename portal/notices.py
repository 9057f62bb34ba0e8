"""In-app notifications stored as a message code (the English msgid) and its parameters, worded
when read, in the reader's language.

A notice is written as `Notice(gettext_noop("%(reseller)s declined ..."), {"reseller": name})`:
makemessages extracts the msgid, the row keeps it and the names, and the dashboard translates
it for whoever opens the page. Parameters listed in `translate` are themselves msgids (a status
label) and are translated too. Rows written before codes existed keep their rendered text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

TRANSLATE_KEY = "_translate"


@dataclass(frozen=True)
class Notice:
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    translate: tuple[str, ...] = ()

    def stored_params(self) -> dict[str, Any]:
        params = dict(self.params)
        if self.translate:
            params[TRANSLATE_KEY] = list(self.translate)
        return params


def notice_text(code: str, params: dict[str, Any], fallback: str = "") -> str:
    """The notice in the active language; `fallback` when the code can't be worded."""
    if not code:
        return fallback
    translate = set(params.get(TRANSLATE_KEY, ()))
    values = {
        key: gettext(value) if key in translate and isinstance(value, str) else value
        for key, value in params.items()
        if key != TRANSLATE_KEY
    }
    try:
        return gettext(code) % values
    except (KeyError, TypeError, ValueError):
        return fallback or code


def notice_english(notice: Notice) -> str:
    """The English wording, kept in the row for the admin and for search."""
    with translation.override("en"):
        return notice_text(notice.msgid, notice.stored_params(), notice.msgid)
