"""Price lists: a seller (a provider to its resellers, a reseller to its customers) adds a rule
for an offer and currency, as a default or for one buyer, from a date. Rules are never edited
or deleted: a later rule replaces one from its date, so what was in force at any time stays
known. Subscriptions keep their prices until renewal (`commerce.pricing`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import Organization, User
from portal.policy import Action, require_member

from .events import AuditType
from .models import OfferPrice, PriceRule
from .selectors import price_list_buyers

MARKUP_MIN, MARKUP_MAX = Decimal("-99.99"), Decimal("1000")


def price_rule_create(
    *,
    actor: User,
    organization: Organization,
    offer_id: int,
    currency: str,
    buyer_id: int | None,
    kind: str,
    markup_percent: Decimal | None,
    fixed_price: Decimal | None,
    effective_from: date,
) -> PriceRule:
    """Add a rule to `organization`'s price list. `buyer_id` None: the default for all its
    buyers; else one of its own resellers or customers (anyone else's: refused like a missing
    one). The rule applies from `effective_from` (today or later: what was sold stays as sold)."""
    membership = require_member(
        actor=actor, organization=organization, action=Action.MANAGE_PRICE_LISTS
    )
    seller = membership.organization
    errors: dict[str, str] = {}
    if kind == PriceRule.Kind.MARKUP:
        fixed_price = None
        if markup_percent is None:
            errors["markup_percent"] = _("Enter the markup in percent.")
        elif not MARKUP_MIN <= markup_percent <= MARKUP_MAX:
            errors["markup_percent"] = _("Enter a markup from -99.99% to 1000%.")
    elif kind == PriceRule.Kind.FIXED:
        markup_percent = None
        if fixed_price is None:
            errors["fixed_price"] = _("Enter the fixed price per unit per month.")
        elif fixed_price < 0:
            errors["fixed_price"] = _("Enter a price of 0 or more.")
    else:
        errors["kind"] = _("Choose a markup or a fixed price.")
    if effective_from < timezone.localdate():
        errors["effective_from"] = _("Enter today or a later date: a price change applies ahead.")
    if not OfferPrice.objects.filter(
        offer_id=offer_id, currency=currency, offer__is_active=True
    ).exists():
        errors["offer"] = _("This offer is not sold in %(currency)s.") % {"currency": currency}
    buyer = None
    if buyer_id is not None:
        buyer = price_list_buyers(organization=seller).filter(pk=buyer_id).first()
        if buyer is None:
            errors["buyer"] = _("Choose one of your own resellers or customers.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            rule = PriceRule(
                organization=seller,
                buyer=buyer,
                offer_id=offer_id,
                currency=currency,
                kind=kind,
                markup_percent=markup_percent,
                fixed_price=fixed_price,
                effective_from=effective_from,
                created_by=membership.user,
            )
            rule.save()
            audit_record(
                type=AuditType.PRICE_RULE_ADDED,
                organization=seller,
                actor=membership.user,
                rule=rule.pk,
                offer=offer_id,
                currency=currency,
                buyer=buyer.pk if buyer else None,
                kind=kind,
                markup_percent=str(markup_percent) if markup_percent is not None else None,
                fixed_price=str(fixed_price) if fixed_price is not None else None,
                effective_from=effective_from.isoformat(),
            )
    except IntegrityError:
        raise ValidationError(
            {
                "effective_from": _(
                    "A rule for this offer, currency and buyer already starts on this date: "
                    "choose another date."
                )
            }
        ) from None
    return rule
