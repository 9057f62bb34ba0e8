"""The orders rule (DOMAIN.md, IMPORTANT in the seed): a provider places orders for a customer
only while it holds a reseller relationship with that customer; a reseller places orders for its
customers through one of its authorized providers (an active relationship with the provider, who
bills it, and the customer shared with that provider). `commerce.services.order_place` asks it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.models import Organization

from ..models import CustomerRelationship
from ..selectors import customers_shared_with_provider, reseller_order_relationships


def order_customer_relationship(
    *, organization: Organization, customer_id: int, provider_id: int | None = None
) -> CustomerRelationship:
    """The orders rule: the customer relationship through which `organization` (a provider, or a
    reseller ordering through the provider `provider_id`) may order for the customer, locked for
    the order's transaction; else a ValidationError. The same words for a customer that exists
    elsewhere and one that does not exist."""
    if organization.kind == Organization.Kind.PROVIDER:
        shared = (
            customers_shared_with_provider(provider=organization)
            .select_for_update(of=("self",))
            .filter(customer_id=customer_id)
            .first()
        )
        if shared is None:
            raise ValidationError(
                _(
                    "%(provider)s cannot place orders for this customer: it holds no active "
                    "reseller relationship with it. A reseller must share the customer with "
                    "you, and your relationship with that reseller must be active."
                )
                % {"provider": organization.legal_name}
            )
        return shared
    if organization.kind == Organization.Kind.RESELLER:
        if provider_id is None:
            raise ValidationError(
                {"provider": _("Choose the indirect provider who bills you for this order.")}
            )
        shared = (
            reseller_order_relationships(reseller=organization, customer_id=customer_id)
            .select_for_update(of=("self",))
            .filter(provider_id=provider_id)
            .first()
        )
        if shared is None:
            raise ValidationError(
                _(
                    "%(reseller)s cannot place this order: the customer must be yours and "
                    "shared with the chosen provider, and your relationship with that provider "
                    "must be active."
                )
                % {"reseller": organization.legal_name}
            )
        return shared
    raise ValidationError(_("Only an indirect provider or reseller places orders."))
