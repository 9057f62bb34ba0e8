"""Account settings after enrolment: Legal info edits, PartnerIDs, legacy membership accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import check_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.audit import audit_record, notify
from portal.models import Market, Organization, User
from portal.notices import Notice
from portal.policy import Action, require_member
from portal.rows import save_new_or_raise

from ..events import AuditType
from ..fields import LEGAL_ADDRESS_FIELDS, LEGAL_CONTACT_FIELDS
from ..models import (
    LegacyMembershipAccount,
    LegalProfile,
    PartnerId,
)
from ..rules import legal_profile_validate, validate_partner_id_association
from ..signals import legal_profile_changed

LEGACY_ATTEMPTS = 5
LEGACY_WINDOW_SECONDS = 15 * 60


# What Legal info edits after enrolment (not the legal name, country or bookkeeping columns).
EDITABLE_FIELDS = frozenset((*LEGAL_ADDRESS_FIELDS, *LEGAL_CONTACT_FIELDS))


@transaction.atomic
def legal_profile_update(
    *, actor: User, profile: LegalProfile, changes: dict[str, Any]
) -> list[str]:
    """Address, phone, website and contacts, checked by the enrolment's rules
    (`rules.legal_profile_validate`: what the forms refuse, this refuses too). The legal name
    and country are not editable after enrolment (the country decides the CSP region and
    billing currency)."""
    require_member(actor=actor, organization=profile.organization, action=Action.EDIT_LEGAL_INFO)
    forbidden = {"legal_name", "country", "country_id", "organization", "organization_id"}
    if forbidden & changes.keys():
        raise ValidationError(_("The legal name and country can't be changed after enrolment."))
    profile = (
        LegalProfile.objects.select_for_update().select_related("organization").get(pk=profile.pk)
    )
    unknown = changes.keys() - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("These details can't be changed here: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    before = {name: getattr(profile, name) for name in changes}
    changed = [name for name, value in changes.items() if getattr(profile, name) != value]
    if not changed:
        return []
    contact_fields = {name for name in changed if name.startswith("primary_contact_")}
    if contact_fields and profile.organization.status == Organization.Status.SUBMITTED:
        raise ValidationError(
            {
                name: _(
                    "While verification is in progress, change the primary contact on the "
                    "Verification page: the new contact gets the confirmation email."
                )
                for name in sorted(contact_fields)
            }
        )
    for name in changed:
        setattr(profile, name, changes[name])
    legal_profile_validate(
        profile, organization_domain=profile.organization.primary_domain, fields=changed
    )
    changed = [name for name in changed if before[name] != getattr(profile, name)]
    if not changed:
        return []
    profile.updated_at = timezone.now()
    profile.full_clean()
    profile.save(update_fields=[*changed, "updated_at"])
    audit_record(
        type=AuditType.LEGAL_PROFILE_UPDATED,
        organization=profile.organization,
        actor=actor,
        fields=changed,
    )
    # What changed is verified again (DOMAIN.md: edits re-open verification): verification's
    # receiver updates its case inside this transaction.
    legal_profile_changed.send(
        sender=LegalProfile, organization=profile.organization, actor=actor, fields=changed
    )
    notify(
        organization=profile.organization,
        message=Notice(
            gettext_noop("%(name)s updated the legal info."), {"name": actor.get_full_name()}
        ),
        link="/settings/legal/",
    )
    return changed


@transaction.atomic
def partner_id_add(
    *,
    actor: User,
    organization: Organization,
    mpn_id: str,
    kind: str,
    location_name: str,
    country: Market,
) -> PartnerId:
    require_member(actor=actor, organization=organization, action=Action.MANAGE_IDENTIFIERS)
    registered = ValidationError({"mpn_id": _("This PartnerID is already registered.")})
    if PartnerId.objects.filter(mpn_id=mpn_id).exists():
        raise registered
    if kind == PartnerId.Kind.GLOBAL and (
        PartnerId.objects.filter(organization=organization, kind=PartnerId.Kind.GLOBAL).exists()
    ):
        raise ValidationError({"kind": _("Your organization already has a PartnerGlobal ID.")})
    partner_id = PartnerId(
        organization=organization,
        mpn_id=mpn_id,
        kind=kind,
        location_name=location_name,
        country=country,
    )
    save_new_or_raise(partner_id, registered)  # registered by someone else at the same moment
    audit_record(
        type=AuditType.PARTNER_ID_ADDED,
        organization=organization,
        actor=actor,
        mpn_id=mpn_id,
        country=country.code,
    )
    return partner_id


@transaction.atomic
def partner_id_associate(*, actor: User, partner_id: PartnerId) -> PartnerId:
    """Make a location PartnerID the CSP account's Associated PartnerID (1:1); it must be in
    the account's country (a UK PartnerID does not serve a French account)."""
    organization = partner_id.organization
    require_member(actor=actor, organization=organization, action=Action.MANAGE_IDENTIFIERS)
    # Lock the organization's PartnerIDs: two associations at once run one after the other
    # (the last one wins) instead of colliding on the one-associated constraint.
    list(PartnerId.objects.select_for_update().filter(organization=organization).values("pk"))
    partner_id = PartnerId.objects.select_related("country").get(pk=partner_id.pk)
    validate_partner_id_association(partner_id, account_country=organization.country)
    previous = list(
        PartnerId.objects.select_for_update()
        .filter(organization=organization, is_associated=True)
        .exclude(pk=partner_id.pk)
        .values_list("mpn_id", flat=True)
    )
    PartnerId.objects.filter(organization=organization, is_associated=True).update(
        is_associated=False
    )
    partner_id.is_associated = True
    partner_id.save(update_fields=["is_associated"])
    audit_record(
        type=AuditType.PARTNER_ID_ASSOCIATED,
        organization=organization,
        actor=actor,
        mpn_id=partner_id.mpn_id,
        previous=previous,
    )
    return partner_id


def _legacy_key(organization: Organization) -> str:
    return f"enrollment:legacy-link-failures:{organization.pk}"


@transaction.atomic
def legacy_account_link(
    *, actor: User, organization: Organization, sign_in_name: str, password: str
) -> LegacyMembershipAccount:
    """Link an imported membership account by its old credentials: its PartnerID moves into
    Identifiers. At most 5 failed attempts per organization in 15 minutes."""
    require_member(actor=actor, organization=organization, action=Action.MANAGE_IDENTIFIERS)
    key = _legacy_key(organization)
    failures = cache.get(key, 0)
    if failures >= LEGACY_ATTEMPTS:
        # A form error, not the 429 page (portal.ratelimit.RateLimited): the form says it.
        raise ValidationError(
            _("Too many attempts. Wait 15 minutes before you try again."), code="rate_limited"
        )
    account = (
        LegacyMembershipAccount.objects.select_for_update()
        .filter(sign_in_name__iexact=sign_in_name.strip())
        .first()
    )
    if account is None or not check_password(password, account.password_hash):
        cache.set(key, failures + 1, LEGACY_WINDOW_SECONDS)
        raise ValidationError(
            _("The sign-in name or password is not correct."), code="bad_credentials"
        )
    if account.linked_organization_id not in (None, organization.pk):
        raise ValidationError(
            _("This membership account is already linked to another organization."),
            code="linked_elsewhere",
        )
    if account.linked_organization_id == organization.pk:
        raise ValidationError(
            _("This membership account is already linked to your organization."),
            code="already_linked",
        )
    existing = PartnerId.objects.filter(mpn_id=account.mpn_id).first()
    if existing is not None and existing.organization_id != organization.pk:
        raise ValidationError(
            _("PartnerID %(mpn_id)s belongs to another organization.") % {"mpn_id": account.mpn_id},
            code="linked_elsewhere",
        )
    if existing is None:
        try:
            with transaction.atomic():
                PartnerId.objects.create(
                    organization=organization,
                    mpn_id=account.mpn_id,
                    kind=PartnerId.Kind.LOCATION,
                    location_name=account.location_name,
                    country=account.country,
                )
        except IntegrityError as exc:  # another organization registered it at the same moment
            raise ValidationError(
                _("PartnerID %(mpn_id)s belongs to another organization.")
                % {"mpn_id": account.mpn_id},
                code="linked_elsewhere",
            ) from exc
    account.linked_organization = organization
    account.linked_at = timezone.now()
    account.save(update_fields=["linked_organization", "linked_at"])
    cache.delete(key)
    audit_record(
        type=AuditType.LEGACY_ACCOUNT_LINKED,
        organization=organization,
        actor=actor,
        mpn_id=account.mpn_id,
        sign_in_name=account.sign_in_name,
    )
    return account
