"""The Partner Agreement: a Global admin of a verified organization accepts the current
version; each new version asks again."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.audit import audit_record, notify
from portal.models import Organization, User
from portal.notices import Notice
from portal.policy import Action, require_member
from portal.rows import save_new_or_raise

from ..events import AuditType
from ..models import AgreementAcceptance, AgreementVersion


@transaction.atomic
def agreement_accept(
    *,
    actor: User,
    organization: Organization,
    version: AgreementVersion,
    first_name: str,
    last_name: str,
    title: str,
    email: str,
    accepted_on: datetime.date,
    ip_address: str | None,
) -> AgreementAcceptance:
    require_member(actor=actor, organization=organization, action=Action.ACCEPT_AGREEMENT)
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if organization.status != Organization.Status.VERIFIED:
        raise ValidationError(
            _("The Partner Agreement can be accepted once your organization is verified."),
            code="not_verified",
        )
    if AgreementAcceptance.objects.filter(organization=organization, version=version).exists():
        raise ValidationError(
            _("Your organization already accepted this version."), code="already_accepted"
        )
    acceptance = AgreementAcceptance(
        organization=organization,
        version=version,
        accepted_by=actor,
        first_name=first_name,
        last_name=last_name,
        title=title,
        email=email,
        accepted_on=accepted_on,
        ip_address=ip_address,
    )
    save_new_or_raise(
        acceptance,
        ValidationError(
            _("Your organization already accepted this version."), code="already_accepted"
        ),
    )
    audit_record(
        type=AuditType.AGREEMENT_ACCEPTED,
        organization=organization,
        actor=actor,
        version=version.version,
        ip_address=ip_address,
    )
    notify(
        organization=organization,
        message=Notice(
            gettext_noop("%(name)s accepted the Partner Agreement (version %(version)s)."),
            {"name": f"{first_name} {last_name}", "version": version.version},
        ),
        link="/dashboard/",
    )
    return acceptance
