"""`manage.py purgecss` (`make css`): write the reduced Bootstrap the pages link
(devtools/purgecss.py). Run it after adding a Bootstrap class to a template, a form or a script;
tests/portal/test_purgecss.py fails until you do."""

from __future__ import annotations

import gzip

from django.core.management.base import BaseCommand

from devtools.purgecss import OUTPUT, ROOT, SOURCE, reduced_css


class Command(BaseCommand):
    help = "Write Bootstrap reduced to the rules the portal's sources use."

    def handle(self, *args, **options) -> None:
        css = reduced_css()
        OUTPUT.write_text(css, encoding="utf-8")
        source = SOURCE.read_bytes()
        self.stdout.write(
            f"{OUTPUT.relative_to(ROOT)}: {len(css.encode()):,} bytes "
            f"({len(gzip.compress(css.encode())):,} gzipped), from {len(source):,} "
            f"({len(gzip.compress(source)):,} gzipped)"
        )
