"""Scale data for the core (the first step of `manage.py seed_scale`): the tenants. The 2 demo
providers (from seed_demo) plus the directory providers, the resellers (one Global admin each,
sign-in ready), the customers, and the outbox history."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from portal.models import Market, Membership, Organization, OutboxMessage, User

from .run import SCALE_DOMAIN, ScaleRun, Tenant, bulk_insert, company_name, next_ids, pick_country


def _make_tenants(
    run: ScaleRun, kind: str, prefix: str, count: int, statuses: Sequence[str], with_admin: bool
) -> list[Tenant]:
    ids = next_ids(Organization, count)
    tenants: list[Tenant] = []
    org_rows = []
    for index, pk in enumerate(ids):
        country = pick_country(run)
        name = company_name(run, index + 1, country)
        domain = f"{prefix}{index + 1}{SCALE_DOMAIN}"
        tenants.append(Tenant(pk, name, domain, country))
        created = run.ago(900, 30)
        status = statuses[index]
        enrolled = created + timedelta(days=2) if status != Organization.Status.DRAFT else None
        org_rows.append((pk, kind, status, name, country, domain, created, enrolled))
    bulk_insert(
        run,
        Organization,
        [
            "id",
            "kind",
            "status",
            "legal_name",
            "country_id",
            "primary_domain",
            "created_at",
            "enrolled_at",
        ],
        org_rows,
    )
    if with_admin:
        _make_admins(run, tenants)
    return tenants


def _make_admins(run: ScaleRun, tenants: list[Tenant]) -> None:
    from allauth.account.models import EmailAddress

    user_ids = next_ids(User, len(tenants))
    for tenant, user_id in zip(tenants, user_ids, strict=True):
        tenant.admin_id = user_id
    bulk_insert(
        run,
        User,
        [
            "id",
            "password",
            "email",
            "first_name",
            "last_name",
            "language",
            "is_staff",
            "is_active",
            "is_superuser",
            "date_joined",
        ],
        (
            (
                t.admin_id,
                run.password_hash,
                f"admin@{t.domain}",
                "Admin",
                t.name[:50],
                "en",
                False,
                True,
                False,
                run.now,
            )
            for t in tenants
        ),
    )
    bulk_insert(
        run,
        EmailAddress,
        ["user_id", "email", "verified", "primary"],
        ((t.admin_id, f"admin@{t.domain}", True, True) for t in tenants),
    )
    bulk_insert(
        run,
        Membership,
        [
            "user_id",
            "organization_id",
            "global_admin",
            "admin_agent",
            "sales_agent",
            "helpdesk_agent",
            "billing_admin",
            "verification_admin",
            "created_at",
        ],
        ((t.admin_id, t.id, True, True, False, False, False, False, run.now) for t in tenants),
    )


def reseller_statuses(run: ScaleRun) -> list[str]:
    """The organization status of every reseller, in order: first those that will have a
    verification case (submitted: the verification step settles each to its case's outcome),
    then the verified resellers enrolled before verification existed, then drafts."""
    counts = run.counts
    with_cases = counts["resellers_with_cases"]
    legacy = counts["legacy_verified_resellers"]
    drafts = max(0, counts["resellers"] - with_cases - legacy)
    Status = Organization.Status
    return (
        [str(Status.SUBMITTED)] * with_cases
        + [str(Status.VERIFIED)] * legacy
        + [str(Status.DRAFT)] * drafts
    )


def seed_portal(run: ScaleRun) -> None:
    counts = run.counts
    run.markets = list(Market.objects.values_list("code", flat=True))
    for org in Organization.objects.filter(primary_domain__endswith=".example").exclude(
        primary_domain__endswith=SCALE_DOMAIN
    ):
        admin = (
            Membership.objects.filter(organization=org, global_admin=True)
            .values_list("user_id", flat=True)
            .first()
        )
        run.demo[org.primary_domain] = Tenant(
            org.pk, org.legal_name, org.primary_domain, org.country_id or "US", admin
        )
    verified = Organization.Status.VERIFIED
    run.providers = _make_tenants(
        run,
        Organization.Kind.PROVIDER,
        "provider",
        counts["directory_providers"],
        [verified] * counts["directory_providers"],
        with_admin=True,
    )
    statuses = reseller_statuses(run)
    run.resellers = _make_tenants(
        run, Organization.Kind.RESELLER, "reseller", len(statuses), statuses, with_admin=True
    )
    run.customers = _make_tenants(
        run,
        Organization.Kind.CUSTOMER,
        "customer",
        counts["customers"],
        [verified] * counts["customers"],
        with_admin=False,
    )
    _make_outbox(run)


_TEMPLATES = [
    "verification_contact_confirm",
    "verification_checking",
    "relationships_provider_authorized",
    "relationships_customer_invitation",
    "relationships_reseller_invitation",
]


def _make_outbox(run: ScaleRun) -> None:
    """The email history: mostly sent, a few waiting for a retry far ahead (so a worker started
    on this database does not suddenly send thousands of them)."""
    total = run.counts["outbox"]
    resellers = run.resellers
    prefix = f"scale-{int(time.time())}"

    def rows() -> Iterable[tuple[Any, ...]]:
        for index in range(total):
            tenant = resellers[index % len(resellers)]
            created = run.ago(365)
            template = _TEMPLATES[index % len(_TEMPLATES)]
            body = f"Hello,\n\nThis is message {index} about {tenant.name}.\n"
            if run.rng.random() < 0.97:
                status, sent, attempts, error = OutboxMessage.Status.SENT, created, 1, ""
                next_at = created
            else:
                status, sent, attempts = OutboxMessage.Status.PENDING, None, 3
                error, next_at = (
                    "SMTPServerDisconnected: 451 try later",
                    run.now + timedelta(days=30),
                )
            yield (
                f"{prefix}-{index}",
                tenant.id,
                f"admin@{tenant.domain}",
                template,
                "en",
                {"name": tenant.name},
                f"[CSP Partner Portal] {template.replace('_', ' ')}",
                body,
                "",
                status,
                attempts,
                error,
                next_at,
                None,
                sent,
                created,
            )

    bulk_insert(
        run,
        OutboxMessage,
        [
            "idempotency_key",
            "organization_id",
            "to_email",
            "template",
            "language",
            "context",
            "subject",
            "body_text",
            "body_html",
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "claimed_at",
            "sent_at",
            "created_at",
        ],
        rows(),
    )
