from __future__ import annotations

from portal.models import Organization

from .models import AgreementAcceptance, AgreementVersion


def agreement_current_version() -> AgreementVersion | None:
    return AgreementVersion.objects.order_by("-published_at").first()


def agreement_accepted(*, organization: Organization) -> bool:
    """True when the organization accepted the current Partner Agreement version."""
    current = agreement_current_version()
    return (
        current is not None
        and AgreementAcceptance.objects.filter(organization=organization, version=current).exists()
    )
