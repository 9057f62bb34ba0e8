from importlib import import_module

from django.core.management.base import BaseCommand

from portal.demo import DEMO_ORGS, PASSWORD

# Each app's demo module, in dependency order; each exposes seed() and is idempotent.
DEMO_MODULES = [
    "portal.demo",
    "enrollment.demo",
    "verification.demo",
    "relationships.demo",
    "commerce.demo",
    "delegation.demo",
]


class Command(BaseCommand):
    help = "Load the demo organizations and users of DOMAIN.md (idempotent)."

    def handle(self, *args, **options) -> None:
        for name in DEMO_MODULES:
            try:
                module = import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            module.seed()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in with:"))
        for spec in DEMO_ORGS:
            self.stdout.write(f"  {spec.email:<40} {PASSWORD}")
