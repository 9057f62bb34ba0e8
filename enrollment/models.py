"""Reseller enrolment: the wizard draft, the legal business profile with its contacts, PartnerIDs,
the versioned partner agreement and legacy membership accounts."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from portal.models import Market, Organization

from . import rules
from .fields import PartnerIdKind


class EnrollmentDraft(models.Model):
    """What a person typed in the wizard so far; survives sign-out and a new browser."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollment_draft"
    )
    organization = models.OneToOneField(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="enrollment_draft",
    )
    step = models.CharField(max_length=32, default="legal")
    data = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Draft of {self.user} at {self.step}"


class LegalProfile(models.Model):
    """The legal business profile, primary contact and customer support details of an
    organization, as registered (Partner Center: Legal info)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="legal_profile"
    )
    legal_name = models.CharField(_("legal name"), max_length=200)
    address_line1 = models.CharField(_("address line 1"), max_length=200)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    state = models.CharField(_("state or province"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.ForeignKey(
        Market, on_delete=models.PROTECT, related_name="+", verbose_name=_("country")
    )
    phone = models.CharField(_("company phone"), max_length=32)
    website = models.URLField(_("website"), blank=True)
    registration_id = models.CharField(_("registration ID"), max_length=64, blank=True)
    primary_contact_first_name = models.CharField(_("first name"), max_length=50)
    primary_contact_last_name = models.CharField(_("last name"), max_length=50)
    primary_contact_email = models.EmailField(_("email"))
    primary_contact_phone = models.CharField(_("phone"), max_length=32)
    support_email = models.EmailField(_("support email"))
    support_phone = models.CharField(_("support phone"), max_length=32)
    support_website = models.URLField(_("support website"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.legal_name

    def clean(self) -> None:
        """The enrolment's rules (`rules.legal_profile_validate`), so the operator's admin
        accepts nothing the forms and services refuse."""
        domain = self.organization.primary_domain if self.organization_id else ""
        rules.legal_profile_validate(self, organization_domain=domain)

    @property
    def primary_contact_name(self) -> str:
        return f"{self.primary_contact_first_name} {self.primary_contact_last_name}".strip()


class PartnerId(models.Model):
    """A PartnerID (MPN ID): the PartnerGlobal ID or a location ID, each with its country.
    One location ID is the CSP account's Associated PartnerID."""

    Kind = PartnerIdKind

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="partner_ids"
    )
    mpn_id = models.CharField(_("PartnerID"), max_length=12, unique=True)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices, default=Kind.LOCATION)
    location_name = models.CharField(_("location"), max_length=120, blank=True)
    country = models.ForeignKey(
        Market, on_delete=models.PROTECT, related_name="+", verbose_name=_("country")
    )
    is_associated = models.BooleanField(_("associated with the CSP account"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "mpn_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(is_associated=True),
                name="one_associated_partner_id",
            ),
        ]

    def __str__(self) -> str:
        return self.mpn_id

    def clean(self) -> None:
        """The PartnerID rules (`rules.validate_partner_id_format`, and for the Associated
        PartnerID `rules.validate_partner_id_association`), whichever door saves it."""
        errors: dict[str, list[ValidationError]] = {}
        try:
            rules.validate_partner_id_format(self.mpn_id)
        except ValidationError as exc:
            errors["mpn_id"] = [exc]
        if self.is_associated and self.organization_id and self.country_id:
            try:
                rules.validate_partner_id_association(
                    self, account_country=self.organization.country
                )
            except ValidationError as exc:
                errors["is_associated"] = [exc]
        if errors:
            raise ValidationError(errors)


class AgreementVersion(models.Model):
    """A version of the Partner Agreement; the newest published one is current."""

    version = models.CharField(_("version"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    class Meta:
        ordering = ["-published_at"]
        get_latest_by = "published_at"

    def __str__(self) -> str:
        return f"{self.title} {self.version}"

    def text_in(self, language: str | None = None) -> tuple[str, str]:
        """(title, text) in `language` (the active one by default); the version's own text,
        which is English, where no translation was published."""
        language = (language or get_language() or settings.LANGUAGE_CODE).split("-")[0]
        if language != settings.LANGUAGE_CODE:
            translated = self.translations.filter(language=language).first()
            if translated is not None:
                return translated.title, translated.body
        return self.title, self.body

    @property
    def local_title(self) -> str:
        return self.text_in()[0]

    @property
    def local_body(self) -> str:
        return self.text_in()[1]


class AgreementTranslation(models.Model):
    """The Partner Agreement's text in another language, published with its version: a partner
    reads and accepts the agreement in its own language."""

    version = models.ForeignKey(
        AgreementVersion, on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "language"], name="one_agreement_text_per_language"
            )
        ]
        verbose_name = _("agreement translation")
        verbose_name_plural = _("agreement translations")

    def __str__(self) -> str:
        return f"{self.version} ({self.language})"


class AgreementAcceptance(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="agreement_acceptances"
    )
    version = models.ForeignKey(
        AgreementVersion, on_delete=models.PROTECT, related_name="acceptances"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    first_name = models.CharField(_("first name"), max_length=50)
    last_name = models.CharField(_("last name"), max_length=50)
    title = models.CharField(_("title"), max_length=100)
    email = models.EmailField(_("email"))
    accepted_on = models.DateField(_("date"))
    accepted_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version"], name="one_acceptance_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} accepted {self.version}"


class LegacyMembershipAccount(models.Model):
    """An account imported from the old membership center; links to one organization only."""

    mpn_id = models.CharField(_("PartnerID"), max_length=12, unique=True)
    sign_in_name = models.CharField(_("sign-in name"), max_length=254, unique=True)
    password_hash = models.CharField(max_length=256)
    location_name = models.CharField(_("location"), max_length=120, blank=True)
    country = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="+")
    linked_organization = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="legacy_accounts",
    )
    linked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.sign_in_name

    def clean(self) -> None:
        try:
            rules.validate_partner_id_format(self.mpn_id)
        except ValidationError as exc:
            raise ValidationError({"mpn_id": [exc]}) from exc
