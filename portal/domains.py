"""Email-domain rules shared by sign-up, enrolment and user management."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import ConsumerEmailDomain

CONSUMER_DOMAIN_MESSAGE = _(
    "Use your work email address. Consumer web mail such as Gmail, Yahoo! Mail, iCloud Mail, "
    "AOL Mail or Outlook.com can't be used for a partner account."
)


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower().rstrip(".")


def is_consumer_domain(domain: str) -> bool:
    """True for a listed web-mail domain, including `family.*` entries with any country
    ending (yahoo.* covers yahoo.it and yahoo.co.uk)."""
    domain = domain.lower()
    family = domain.split(".", 1)[0]
    return ConsumerEmailDomain.objects.filter(pattern__in=[domain, f"{family}.*"]).exists()


def validate_work_email(email: str) -> None:
    if is_consumer_domain(email_domain(email)):
        raise ValidationError(CONSUMER_DOMAIN_MESSAGE, code="consumer_domain")


def domain_belongs_to(domain: str, organization_domain: str) -> bool:
    """The organization's domain or one of its subdomains."""
    domain, organization_domain = domain.lower(), organization_domain.lower()
    return domain == organization_domain or domain.endswith(f".{organization_domain}")
