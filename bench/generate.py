"""Data generator for benchmarks: `generate(n)` adds n rows to every list a page shows."""

from __future__ import annotations

import itertools

from portal.models import Market, Membership, Notification, Organization, OutboxMessage, User

_counter = itertools.count()

# page label -> (who signs in, path)
PAGES: dict[str, tuple[str, str]] = {
    "dashboard (reseller)": ("reseller", "/dashboard/"),
    "outbox (staff)": ("staff", "/outbox/"),
}


def _org(kind: str, country: str = "IT") -> Organization:
    n = next(_counter)
    return Organization.objects.create(
        kind=kind,
        legal_name=f"Bench {kind} {n}",
        primary_domain=f"bench{n}.example",
        status=Organization.Status.VERIFIED,
        country=Market.objects.get(code=country),
    )


def _user(org: Organization, **roles) -> User:
    n = next(_counter)
    user = User.objects.create_user(
        f"user{n}@{org.primary_domain}", "x", first_name="B", last_name=str(n)
    )
    Membership.objects.create(user=user, organization=org, **(roles or {"global_admin": True}))
    return user


def generate(n: int) -> dict[str, User]:
    reseller = _org(Organization.Kind.RESELLER)
    users = {"reseller": _user(reseller, global_admin=True, admin_agent=True)}
    staff = users["reseller"]
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    users["staff"] = staff
    for i in range(n):
        _user(reseller, sales_agent=True)
        Notification.objects.create(organization=reseller, message=f"Notice {i}")
        OutboxMessage.objects.create(
            idempotency_key=f"bench-{reseller.pk}-{i}",
            to_email="x@bench.example",
            template="bench",
            subject=f"Bench {i}",
            body_text="x",
        )
    return users
