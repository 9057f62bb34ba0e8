"""Scale data for enrolment (`manage.py seed_scale`, after the core's step).

Every enrolled reseller the portal step made gets its legal profile and an associated location
PartnerID; every reseller still in draft gets a wizard draft with its legal step filled in."""

from __future__ import annotations

from typing import Any

from enrollment.fields import LEGAL_ADDRESS_FIELDS, LEGAL_CONTACT_FIELDS
from enrollment.models import (
    EnrollmentDraft,
    LegalProfile,
    PartnerId,
)

from .run import ScaleRun, bulk_insert

_CITIES = {
    "IT": "Milano",
    "DE": "Berlin",
    "FR": "Paris",
    "ES": "Madrid",
    "NL": "Amsterdam",
    "GB": "London",
    "IE": "Dublin",
    "US": "Seattle",
    "CA": "Toronto",
    "BR": "São Paulo",
    "JP": "Tokyo",
    "AU": "Sydney",
}


def _legal(tenant: Any, index: int) -> dict[str, Any]:
    return {
        "legal_name": tenant.name,
        "address_line1": f"{index % 400 + 1} Main Street",
        "city": _CITIES.get(tenant.country, "Capital City"),
        "postal_code": f"{10000 + index % 89999}",
        "country": tenant.country,
        "phone": f"+1 206-555-{index % 10000:04d}",
        "website": f"https://{tenant.domain}",
    }


def seed_enrollment(run: ScaleRun) -> None:
    # The plan says who is enrolled: the portal step made them in this order.
    enrolled = run.counts["resellers_with_cases"] + run.counts["legacy_verified_resellers"]
    profiles = []
    partner_ids = []
    base = 70_000_000
    for index, tenant in enumerate(run.resellers[:enrolled]):
        legal = _legal(tenant, index)
        submitted = run.ago(120, 1)
        profiles.append(
            (
                tenant.id,
                legal["legal_name"],
                legal["address_line1"],
                "",
                legal["city"],
                "",
                legal["postal_code"],
                tenant.country,
                legal["phone"],
                legal["website"],
                f"REG{tenant.id}",
                "Pat",
                f"Contact {index}",
                f"contact@{tenant.domain}",
                legal["phone"],
                f"support@{tenant.domain}",
                legal["phone"],
                "",
                submitted,
                submitted,
            )
        )
        partner_ids.append(
            (
                tenant.id,
                str(base + index),
                PartnerId.Kind.LOCATION,
                legal["city"],
                tenant.country,
                True,
                submitted,
            )
        )
    bulk_insert(
        run,
        LegalProfile,
        [
            "organization_id",
            "legal_name",
            *LEGAL_ADDRESS_FIELDS,
            "country_id",
            *LEGAL_CONTACT_FIELDS,
            "submitted_at",
            "updated_at",
        ],
        profiles,
    )
    bulk_insert(
        run,
        PartnerId,
        [
            "organization_id",
            "mpn_id",
            "kind",
            "location_name",
            "country_id",
            "is_associated",
            "created_at",
        ],
        partner_ids,
    )
    drafts = run.resellers[enrolled:]
    bulk_insert(
        run,
        EnrollmentDraft,
        ["user_id", "organization_id", "step", "data", "updated_at"],
        (
            (t.admin_id, t.id, "contact", {"legal": _legal(t, i)}, run.ago(60))
            for i, t in enumerate(drafts)
        ),
    )
