"""Field-name lists of the legal business profile, shared by the services, the rules and the scale
data, and the PartnerID kinds (a leaf module: `models` imports `rules`, which needs these)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# LegalProfile's columns in groups, in the model's order: the address below the legal name, and the
# contacts after the country. One list for the services, the rules and the scale data.
LEGAL_ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "state", "postal_code")
LEGAL_CONTACT_FIELDS = (
    "phone",
    "website",
    "registration_id",
    "primary_contact_first_name",
    "primary_contact_last_name",
    "primary_contact_email",
    "primary_contact_phone",
    "support_email",
    "support_phone",
    "support_website",
)


class PartnerIdKind(models.TextChoices):
    """`PartnerId.Kind`: only a location PartnerID can be the Associated PartnerID (a rule)."""

    GLOBAL = "global", _("PartnerGlobal ID")
    LOCATION = "location", _("Location PartnerID")
