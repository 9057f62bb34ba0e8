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
from portal.models import Market, Membership, Organization, User
from portal.notices import Notice
from portal.policy import Action, require
from verification.services import case_details_changed

from ..models import LegacyMembershipAccount, LegalProfile, PartnerId

LEGACY_ATTEMPTS = 5
LEGACY_WINDOW_SECONDS = 15 * 60


class RateLimited(ValidationError):
    pass


def _require(organization: Organization, actor: User, action: Action) -> None:
    require(
        Membership.objects.select_related("organization")
        .filter(organization=organization, user=actor)
        .first(),
        action,
    )


@transaction.atomic
def legal_profile_update(
    *, profile: LegalProfile, actor: User, changes: dict[str, Any]
) -> list[str]:
    """Address, phone, website and contacts. The legal name and country are not editable
    after enrolment (the country decides the CSP region and billing currency)."""
    _require(profile.organization, actor, Action.EDIT_LEGAL_INFO)
    forbidden = {"legal_name", "country", "country_id", "organization", "organization_id"}
    if forbidden & changes.keys():
        raise ValidationError(_("The legal name and country can't be changed after enrolment."))
    profile = (
        LegalProfile.objects.select_for_update().select_related("organization").get(pk=profile.pk)
    )
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
    profile.updated_at = timezone.now()
    profile.full_clean()
    profile.save(update_fields=[*changed, "updated_at"])
    audit_record(
        type="legal_profile.updated",
        organization=profile.organization,
        actor=actor,
        fields=changed,
    )
    # What changed is verified again (DOMAIN.md: edits re-open verification).
    case_details_changed(organization=profile.organization, actor=actor, fields=changed)
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
    organization: Organization,
    actor: User,
    mpn_id: str,
    kind: str,
    location_name: str,
    country: Market,
) -> PartnerId:
    _require(organization, actor, Action.MANAGE_IDENTIFIERS)
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
    partner_id.full_clean()
    try:
        with transaction.atomic():
            partner_id.save()
    except IntegrityError as exc:  # registered by someone else at the same moment
        raise registered from exc
    audit_record(
        type="partner_id.added",
        organization=organization,
        actor=actor,
        mpn_id=mpn_id,
        country=country.code,
    )
    return partner_id


@transaction.atomic
def partner_id_associate(*, partner_id: PartnerId, actor: User) -> PartnerId:
    """Make a location PartnerID the CSP account's Associated PartnerID (1:1); it must be in
    the account's country (a UK PartnerID does not serve a French account)."""
    organization = partner_id.organization
    _require(organization, actor, Action.MANAGE_IDENTIFIERS)
    # Lock the organization's PartnerIDs: two associations at once run one after the other
    # (the last one wins) instead of colliding on the one-associated constraint.
    list(PartnerId.objects.select_for_update().filter(organization=organization).values("pk"))
    partner_id = PartnerId.objects.select_related("country").get(pk=partner_id.pk)
    account_country = organization.country
    if partner_id.kind != PartnerId.Kind.LOCATION:
        raise ValidationError(
            _("Associate a location PartnerID; a PartnerGlobal ID can't be associated.")
        )
    if account_country is None or partner_id.country_id != account_country.code:
        account = account_country.display_name if account_country else _("no country yet")
        raise ValidationError(
            _(
                "PartnerID %(mpn_id)s is in %(id_country)s; your CSP account is in "
                "%(account_country)s. Associate a PartnerID from %(account_country)s."
            )
            % {
                "mpn_id": partner_id.mpn_id,
                "id_country": partner_id.country.display_name,
                "account_country": account,
            }
        )
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
        type="partner_id.associated",
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
    *, organization: Organization, actor: User, sign_in_name: str, password: str
) -> LegacyMembershipAccount:
    """Link an imported membership account by its old credentials: its PartnerID moves into
    Identifiers. At most 5 failed attempts per organization in 15 minutes."""
    _require(organization, actor, Action.MANAGE_IDENTIFIERS)
    key = _legacy_key(organization)
    failures = cache.get(key, 0)
    if failures >= LEGACY_ATTEMPTS:
        raise RateLimited(
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
        type="legacy_account.linked",
        organization=organization,
        actor=actor,
        mpn_id=account.mpn_id,
        sign_in_name=account.sign_in_name,
    )
    return account
