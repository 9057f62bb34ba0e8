"""Strings of Django and allauth that their own Italian catalogues lack (Django 6.1's blank choice
label, the validators' newer messages). The project's catalogue (locale/, first in LOCALE_PATHS)
translates them, and a translation there wins over the packages' own; they are written here so
that `makemessages` keeps them. tests/portal/test_translations.py checks each one is Italian."""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext

PACKAGE_STRINGS = [
    # django.db.models.fields.BLANK_CHOICE_LABEL: the empty option of a select (Django 6.1).
    gettext_noop("- Select an option -"),
    # django.core.validators
    gettext_noop("Enter a valid domain name."),
    gettext_noop("Enter a valid %(protocol)s address."),
    gettext_noop("IPv4 or IPv6"),
]

# (singular, plural): django.contrib.auth.password_validation.MinimumLengthValidator's Django 6.1
# wording.
PACKAGE_PLURALS = [
    (
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
    ),
]


def _plurals_for_makemessages() -> None:
    """Never called: makemessages reads plural msgids only from a literal ngettext call."""
    ngettext(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        1,
    )
