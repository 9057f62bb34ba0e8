"""The automated checks run after the primary contact confirms. Each result keeps its evidence
so the reviewer sees why it passed or failed; the case then goes to the queue either way."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction

from enrollment.models import LegalProfile, PartnerId
from enrollment.rules import organization_duplicates, partner_id_in_account_country
from portal.dispatch import task_queue
from portal.domains import domain_belongs_to, email_domain, is_consumer_domain
from portal.models import Market, Organization

from ..models import CaseEvent, CheckResult, VerificationCase
from .core import lock_case, record

logger = logging.getLogger(__name__)
Status = VerificationCase.Status
Name = CheckResult.Name


def case_checks_queue(case_id: int) -> None:
    """Hand the checks to a worker (`verification.tasks.verification_run_checks`), after the
    commit. A broker failure is logged, not raised: the case's `next_action_at` lets the sweep
    run them."""
    try:
        task_queue("verification.tasks.verification_run_checks", case_id, retry=False)
    except Exception:
        logger.warning("verification: could not queue checks for case %s", case_id, exc_info=True)


def _website_domain(profile: LegalProfile) -> str:
    host = (urlsplit(profile.website).hostname or "").lower() if profile.website else ""
    return host.removeprefix("www.")


def checks_evaluate(*, organization: Organization) -> list[tuple[str, bool, dict[str, Any]]]:
    """(check name, passed, evidence) for each automated check, in the order shown."""
    profile = organization.legal_profile
    contact_domain = email_domain(profile.primary_contact_email)
    website = _website_domain(profile)
    org_domains = [d for d in {organization.primary_domain.lower(), website} if d]
    results: list[tuple[str, bool, dict[str, Any]]] = []

    results.append(
        (
            Name.EMAIL_DOMAIN,
            any(domain_belongs_to(contact_domain, d) for d in org_domains),
            {
                "contact_email_domain": contact_domain,
                "organization_domain": organization.primary_domain,
                "website_domain": website,
            },
        )
    )
    results.append(
        (Name.NOT_CONSUMER, not is_consumer_domain(contact_domain), {"domain": contact_domain})
    )

    duplicates = organization_duplicates(
        legal_name=profile.legal_name,
        country=profile.country_id,
        domains=org_domains,
        exclude=organization,
    ).values_list("pk", "legal_name", "primary_domain")[:10]
    matches = [{"id": pk, "legal_name": name, "domain": domain} for pk, name, domain in duplicates]
    results.append(
        (
            Name.NO_DUPLICATE,
            not matches,
            {
                "legal_name": profile.legal_name,
                "country": profile.country_id,
                "domains": org_domains,
                "matches": matches,
            },
        )
    )

    market = Market.objects.select_related("region").filter(code=profile.country_id).first()
    results.append(
        (
            Name.CSP_MARKET,
            market is not None,
            {"country": profile.country_id, "region": market.region.name if market else ""},
        )
    )

    associated = PartnerId.objects.filter(organization=organization, is_associated=True).first()
    if associated is None:
        results.append((Name.PARTNER_ID_COUNTRY, True, {"not_applicable": True}))
    else:
        results.append(
            (
                Name.PARTNER_ID_COUNTRY,
                partner_id_in_account_country(
                    partner_id_country=associated.country_id, account_country=profile.country_id
                ),
                {
                    "partner_id": associated.mpn_id,
                    "partner_id_country": associated.country_id,
                    "account_country": profile.country_id,
                },
            )
        )
    return results


def case_checks_complete(*, case_id: int) -> VerificationCase | None:
    """Run and store the checks of a case that is checking, then send it to review. Running it
    again (a redelivered task, the sweep's fallback) does nothing."""
    with transaction.atomic():
        case = lock_case(case_id)
        if case.status != Status.CHECKING:
            return None
        failed = []
        for name, passed, evidence in checks_evaluate(organization=case.organization):
            CheckResult.objects.update_or_create(
                case=case, name=name, defaults={"passed": passed, "evidence": evidence}
            )
            if not passed:
                failed.append(str(name))
        record(
            case=case,
            event_type=CaseEvent.Type.CHECKS_COMPLETED,
            actor=None,
            to_status=Status.IN_REVIEW,
            details={"failed": failed},
            email="verification_in_review",
        )
    return case
