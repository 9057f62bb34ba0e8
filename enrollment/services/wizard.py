"""Enrolment: starting a draft with the work account, saving steps, Register now."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.domains import email_domain, validate_work_email
from portal.models import Market, Membership, Organization, User

from ..events import AuditType
from ..models import EnrollmentDraft, LegalProfile
from ..rules import DUPLICATE_MESSAGE, organization_duplicates, validate_not_duplicate
from ..signals import enrollment_submitted
from ..wizard import STEPS, draft_validate


class StepInvalid(ValidationError):
    """Register now found a step whose saved data no longer passes its rules."""

    def __init__(self, step: str):
        super().__init__(_("Some details need your attention."), code="step_invalid")
        self.step = step


@transaction.atomic
def enrollment_start(*, actor: User) -> EnrollmentDraft:
    """The work account step: the user becomes Global admin of a new reseller organization
    (status draft, domain from the work email) and gets a draft to fill in."""
    user = actor
    existing = EnrollmentDraft.objects.filter(user=user).first()
    if existing is not None:
        return existing
    membership = Membership.objects.filter(user=user).select_related("organization").first()
    if membership is not None:
        raise ValidationError(
            _("Your account already belongs to %(organization)s.")
            % {"organization": membership.organization.legal_name},
            code="has_organization",
        )
    validate_work_email(user.email)
    domain = email_domain(user.email)
    validate_not_duplicate(domains=[domain])
    try:
        with transaction.atomic():
            organization = Organization.objects.create(
                kind=Organization.Kind.RESELLER,
                status=Organization.Status.DRAFT,
                legal_name=domain,
                primary_domain=domain,
                language=user.language or settings.LANGUAGE_CODE,
            )
    except IntegrityError as exc:  # another enrolment of the same domain won the race
        raise ValidationError(DUPLICATE_MESSAGE, code="duplicate") from exc
    Membership.objects.create(user=user, organization=organization, global_admin=True)
    draft = EnrollmentDraft.objects.create(user=user, organization=organization, step="legal")
    audit_record(
        type=AuditType.ENROLLMENT_STARTED, organization=organization, actor=user, domain=domain
    )
    return draft


def enrollment_draft_save(
    *, draft: EnrollmentDraft, step: str, data: dict[str, Any], resume_at: str
) -> EnrollmentDraft:
    """Keep what the person entered on `step`; resume at the furthest step reached. The same
    answers sent again (Next pressed twice, a page sent again) change nothing and write
    nothing, without even opening a transaction: `updated_at` is when the draft last changed."""
    furthest = resume_at if STEPS.index(resume_at) > STEPS.index(draft.step) else draft.step
    if draft.data.get(step) == data and furthest == draft.step:
        return draft
    with transaction.atomic():
        draft.data = {**draft.data, step: data}
        draft.step = furthest
        draft.updated_at = timezone.now()
        draft.save(update_fields=["data", "step", "updated_at"])
    return draft


@transaction.atomic
def enrollment_submit(*, actor: User, draft: EnrollmentDraft) -> Organization:
    """Register now: the legal profile is written, the organization is submitted and
    `enrollment_submitted` sent (verification opens its case), all or nothing."""
    assert draft.organization_id is not None  # enrollment_start() creates both together
    organization = Organization.objects.select_for_update().get(pk=draft.organization_id)
    if organization.status != Organization.Status.DRAFT:
        raise ValidationError(_("This enrolment was already submitted."), code="submitted")
    fields, invalid_step = draft_validate(draft)
    if invalid_step is not None:
        raise StepInvalid(invalid_step)
    country = Market.objects.get(code=fields.pop("country"))
    if organization_duplicates(
        legal_name=fields["legal_name"],
        country=country,
        domains=[organization.primary_domain],
        exclude=organization,
    ).exists():
        raise StepInvalid("legal")
    now = timezone.now()
    profile = LegalProfile(
        organization=organization, country=country, submitted_at=now, updated_at=now, **fields
    )
    profile.full_clean()
    profile.save()
    organization.legal_name = profile.legal_name
    organization.country = country
    organization.status = Organization.Status.SUBMITTED
    organization.enrolled_at = now
    organization.full_clean()
    organization.save(update_fields=["legal_name", "country", "status", "enrolled_at"])
    audit_record(
        type=AuditType.ORGANIZATION_SUBMITTED,
        organization=organization,
        actor=actor,
        legal_name=profile.legal_name,
        country=country.code,
        previous_status=Organization.Status.DRAFT,
    )
    # Verification opens the case (and writes the contact's email) inside this transaction.
    enrollment_submitted.send(sender=Organization, organization=organization, actor=actor)
    draft.delete()
    return organization
