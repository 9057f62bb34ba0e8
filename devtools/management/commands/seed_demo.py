from typing import Any

from django.core.management.base import BaseCommand

from devtools.demo import seed_demo
from devtools.demo.portal import DEMO_ORGS, PASSWORD


class Command(BaseCommand):
    help = "Load the demo organizations and users of DOMAIN.md (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        seed_demo()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in with:"))
        for spec in DEMO_ORGS:
            self.stdout.write(f"  {spec.email:<40} {PASSWORD}")
