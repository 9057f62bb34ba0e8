"""Django's makemessages, plus `--keyword=NAME` (repeatable): a gettext alias such as
`gettext_lazy as _l` that xgettext must extract too. `make messages` passes the project's
aliases, and tests/i18n checks that every alias in the code is among them."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--keyword",
            action="append",
            default=[],
            dest="keywords",
            help="An extra gettext function name to extract (xgettext --keyword).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        extra = [f"--keyword={name}" for name in options.pop("keywords", [])]
        self.xgettext_options = [*makemessages.Command.xgettext_options, *extra]
        super().handle(*args, **options)
