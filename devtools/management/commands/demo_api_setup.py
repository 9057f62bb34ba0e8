"""Credentials for docs/examples/contoso_day.py, in one command: an API client and a webhook
endpoint of an organization (Contoso Distribution by default), created by its Global admin
through the pages' services (`api.services.api_client_create`,
`webhooks.services.webhook_endpoint_create`), so both are audited as if made at
/settings/api-clients/ and /settings/webhooks/.

Prints the client ID, the client secret and the webhook signing secret once, as shell
assignments (`eval "$(manage.py demo_api_setup ...)"` exports them). An endpoint of the
organization with the same URL is deleted first (through the service), so running it again
leaves one endpoint there; each run creates a new API client."""

from __future__ import annotations

import shlex
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from api.services import api_client_create
from portal.models import Membership, Role
from webhooks.models import WebhookEndpoint
from webhooks.services import webhook_endpoint_create, webhook_endpoint_delete

DEFAULT_ADMIN = "admin@contoso-distribution.example"
# What Contoso's day hears about: its orders and the changes of their subscriptions.
DEFAULT_EVENTS = (
    "commerce.order.placed",
    "commerce.subscription.quantity_changed",
    "commerce.subscription.auto_renew_changed",
    "commerce.subscription.cancelled",
)
# The day's calls need no more (list resellers and customers, invite, order, change quantity).
DEFAULT_ROLES = (Role.ADMIN_AGENT.value,)


class Command(BaseCommand):
    help = (
        "Create an API client and a webhook endpoint for an organization's Global admin "
        "(default: Contoso Distribution's) and print the client ID, secret and webhook secret."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--admin",
            default=DEFAULT_ADMIN,
            help=f"email of a Global admin of the organization (default {DEFAULT_ADMIN})",
        )
        parser.add_argument(
            "--webhook-url",
            required=True,
            help="where the webhooks go, e.g. http://127.0.0.1:8765/ (the example's receiver)",
        )
        parser.add_argument(
            "--event",
            action="append",
            dest="events",
            help="an event type to subscribe to (repeat it; default: orders and subscription "
            "changes)",
        )
        parser.add_argument(
            "--role",
            action="append",
            dest="roles",
            help="a role of the API client (repeat it; default: admin_agent)",
        )
        parser.add_argument("--name", default="Contoso's day (example)", help="the client's name")
        parser.add_argument(
            "--days", type=int, default=30, help="days until the client expires (default 30)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        membership = (
            Membership.objects.select_related("user", "organization")
            .filter(user__email__iexact=options["admin"], user__is_active=True)
            .order_by("pk")
            .first()
        )
        if membership is None:
            raise CommandError(
                f"No member {options['admin']}: load the demo first (manage.py seed_demo)."
            )
        actor, organization = membership.user, membership.organization
        url = options["webhook_url"]
        try:
            with transaction.atomic():
                for old in WebhookEndpoint.objects.filter(organization=organization, url=url):
                    webhook_endpoint_delete(actor=actor, endpoint=old)
                endpoint = webhook_endpoint_create(
                    actor=actor,
                    organization=organization,
                    url=url,
                    event_types=options["events"] or DEFAULT_EVENTS,
                )
                created = api_client_create(
                    actor=actor,
                    organization=organization,
                    name=options["name"],
                    roles=options["roles"] or list(DEFAULT_ROLES),
                    expires_at=timezone.now() + timedelta(days=options["days"]),
                )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        values = {
            "PORTAL_CLIENT_ID": created.client.client_id,
            "PORTAL_CLIENT_SECRET": created.secret,
            "PORTAL_WEBHOOK_SECRET": endpoint.secret,
        }
        self.stderr.write(
            f"{organization.legal_name}: API client {created.client.client_id} "
            f"({', '.join(created.client.roles)}), webhook endpoint {url} "
            f"({', '.join(endpoint.event_types)}). The secrets are shown only now:"
        )
        for name, value in values.items():
            self.stdout.write(f"export {name}={shlex.quote(value)}")
