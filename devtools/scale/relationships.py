"""Scale data for relationships (`manage.py seed_scale`, after verification's step).

The demo provider Contoso Distribution holds the big book: `contoso_relationships` resellers
(some ended), nearly every customer shared with it, pending invitations. Fabrikam
holds a smaller one; the directory providers (each with a profile and CSP regions) share the
other verified resellers along a long tail. Customers spread unevenly over resellers: one
reseller has `biggest_reseller_customers`, the demo reseller Northwind IT has
`northwind_customers`, the rest follow a Zipf tail."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from portal.models import Organization, Region
from relationships.models import (
    CustomerRelationship,
    ProviderProfile,
    ProviderRelationship,
    RelationshipEvent,
    ResellerInvitation,
    domain_path,
)

from .run import ScaleRun, Tenant, bulk_insert, next_ids, zipf_weights

Event = RelationshipEvent.Type
ACTIVE = ProviderRelationship.Status.ACTIVE
ENDED = ProviderRelationship.Status.ENDED


def seed_relationships(run: ScaleRun) -> None:
    contoso = run.demo.get("contoso-distribution.example")
    fabrikam = run.demo.get("fabrikam-supply.example")
    northwind = run.demo.get("northwind-it.example")
    if contoso is None or fabrikam is None or northwind is None:
        raise RuntimeError("seed_scale needs the demo data: run `manage.py seed_demo` first.")
    _profiles(run)
    verified_ids = set(
        Organization.objects.filter(
            pk__in=[t.id for t in run.resellers], status=Organization.Status.VERIFIED
        ).values_list("pk", flat=True)
    )
    verified = [t for t in run.resellers if t.id in verified_ids]
    run.rng.shuffle(verified)
    counts = run.counts
    existing = ProviderRelationship.objects.filter(provider_id=contoso.id).count()
    contoso_count = max(0, counts["contoso_relationships"] - existing)
    contoso_resellers = verified[:contoso_count]
    ended = set(t.id for t in contoso_resellers[: counts["contoso_ended"]])
    fabrikam_resellers = verified[-counts["fabrikam_relationships"] :]

    # (provider, reseller, status)
    pairs: list[tuple[Tenant, Tenant, str]] = []
    pairs += [(contoso, t, ENDED if t.id in ended else ACTIVE) for t in contoso_resellers]
    pairs += [(fabrikam, t, ACTIVE) for t in fabrikam_resellers]
    weights = zipf_weights(len(run.providers), 0.9)
    for tenant, provider in zip(
        verified, run.rng.choices(run.providers, weights, k=len(verified)), strict=True
    ):
        if run.rng.random() < 0.6:
            pairs.append((provider, tenant, ACTIVE))
    _provider_relationships(run, pairs)

    # Customers: who sells to each, and which provider it is shared with.
    active_contoso = [t for t in contoso_resellers if t.id not in ended]
    in_contoso = {t.id for t in contoso_resellers}
    others = [
        (p, r)
        for p, r, status in pairs
        if status == ACTIVE and p is not contoso and r.id not in in_contoso
    ]
    _customers(run, contoso, northwind, active_contoso, others)
    _invitations(run, contoso)


def _profiles(run: ScaleRun) -> None:
    regions = list(Region.objects.values_list("pk", flat=True))
    ids = next_ids(ProviderProfile, len(run.providers))
    bulk_insert(
        run,
        ProviderProfile,
        ["id", "organization_id", "description", "contact_email", "website"],
        (
            (
                pk,
                t.id,
                f"{t.name}: Microsoft 365, Azure and Dynamics 365 for resellers.",
                f"partners@{t.domain}",
                f"https://{t.domain}",
            )
            for pk, t in zip(ids, run.providers, strict=True)
        ),
    )
    through = ProviderProfile.regions.through
    rows = []
    for pk in ids:
        for region in run.rng.sample(regions, k=min(len(regions), run.rng.randint(1, 3))):
            rows.append((pk, region))
    bulk_insert(run, through, ["providerprofile_id", "region_id"], rows)


def _provider_relationships(run: ScaleRun, pairs: list[tuple[Tenant, Tenant, str]]) -> None:
    ids = next_ids(ProviderRelationship, len(pairs))
    rows: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    for pk, (provider, reseller, status) in zip(ids, pairs, strict=True):
        authorized = run.ago(700, 3)
        ended_at = None
        admin_access = run.rng.random() < 0.85
        rows.append(
            (
                pk,
                provider.id,
                reseller.id,
                status,
                admin_access,
                reseller.admin_id,
                authorized,
                None,
                None,
                None,
            )
        )
        events.append((pk, Event.AUTHORIZED, reseller.admin_id, reseller.id, {}, authorized))
        if not admin_access:
            at = authorized + (run.now - authorized) / 3
            events.append((pk, Event.ADMIN_ACCESS_REMOVED, reseller.admin_id, reseller.id, {}, at))
        if status == ENDED:
            ended_at = authorized + (run.now - authorized) / 2
            rows[-1] = (*rows[-1][:7], None, ended_at, provider.admin_id)
            events.append((pk, Event.ENDED, provider.admin_id, provider.id, {}, ended_at))
    bulk_insert(
        run,
        ProviderRelationship,
        [
            "id",
            "provider_id",
            "reseller_id",
            "status",
            "admin_access",
            "authorized_by_id",
            "authorized_at",
            "invitation_id",
            "ended_at",
            "ended_by_id",
        ],
        rows,
    )
    bulk_insert(
        run,
        RelationshipEvent,
        ["relationship_id", "type", "actor_id", "actor_organization_id", "details", "created_at"],
        events,
    )


def _customers(
    run: ScaleRun,
    contoso: Tenant,
    northwind: Tenant,
    contoso_resellers: list[Tenant],
    others: list[tuple[Tenant, Tenant]],
) -> None:
    counts = run.counts
    customers = list(run.customers)
    run.rng.shuffle(customers)
    biggest = contoso_resellers[0]
    # (reseller, provider) for each customer, in order.
    sellers: list[tuple[Tenant, Tenant]] = []
    sellers += [(biggest, contoso)] * counts["biggest_reseller_customers"]
    sellers += [(northwind, contoso)] * counts["northwind_customers"]
    rest = len(customers) - len(sellers)
    to_contoso = round(rest * 0.93)
    # The long tail over Contoso's other resellers, each below the biggest one.
    tail = contoso_resellers[1:] or [biggest]
    weights = zipf_weights(len(tail), 0.8)
    total_weight = sum(weights)
    top = counts["biggest_reseller_customers"] - 1
    quotas = [min(top, int(to_contoso * w / total_weight)) for w in weights]
    spare = to_contoso - sum(quotas)
    index = len(tail) - 1
    while spare > 0 and any(q < top for q in quotas):
        if quotas[index] < top:
            quotas[index] += 1
            spare -= 1
        index = (index - 1) % len(tail)
    for reseller, quota in zip(tail, quotas, strict=True):
        sellers += [(reseller, contoso)] * quota
    sellers += [(biggest, contoso)] * spare  # only when the tail is too short to take them
    if others:
        sellers += [run.rng.choice(others)[::-1] for _ in range(rest - to_contoso)]
    sellers = sellers[: len(customers)]
    rows: list[tuple[Any, ...]] = []
    for customer, (reseller, provider) in zip(customers, sellers, strict=False):
        created = run.ago(600, 1)
        # This draw once picked 3% of them to be "ended", a status the domain does not have;
        # still drawn, so that the data made after it stays as it was.
        run.rng.random()
        status = CustomerRelationship.Status.ACTIVE
        rows.append((customer.id, reseller.id, provider.id, status, None, None, created))
    bulk_insert(
        run,
        CustomerRelationship,
        [
            "customer_id",
            "reseller_id",
            "provider_id",
            "status",
            "invitation_id",
            "accepted_by_id",
            "created_at",
        ],
        rows,
    )
    run.made["customers of the biggest reseller"] = counts["biggest_reseller_customers"]
    run.made["customers of Northwind IT"] = counts["northwind_customers"]


def _invitations(run: ScaleRun, contoso: Tenant) -> None:
    count = max(5, len(run.resellers) // 50)
    rows = []
    for index in range(count):
        sent = run.ago(40)
        status = "pending" if index % 3 else run.rng.choice(["accepted", "declined", "revoked"])
        rows.append(
            (
                secrets.token_urlsafe(32),
                f"admin@prospect{index}.scale.example",
                status,
                sent + timedelta(days=14),
                sent,
                sent,
                None,
                None,
                contoso.id,
                contoso.admin_id,
                "",
                None,
                domain_path(f"prospect{index}.scale.example"),
            )
        )
    bulk_insert(
        run,
        ResellerInvitation,
        [
            "key",
            "email",
            "status",
            "expires_at",
            "created_at",
            "last_sent_at",
            "responded_at",
            "responded_by_id",
            "organization_id",
            "invited_by_id",
            "partner_id",
            "reseller_id",
            "invitee_domain_path",
        ],
        rows,
    )
