"""The orders rule (DOMAIN.md, IMPORTANT in the seed): a provider places orders for a customer
only while it holds a reseller relationship with that customer."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.audit import audit_record_for
from portal.models import Organization, User
from portal.policy import Action, require_member

from ..events import AuditType
from ..models import CustomerRelationship, Order
from ..selectors import customers_shared_with_provider

MAX_QUANTITY = 10000


def order_customer_relationship(
    *, provider: Organization, customer_id: int
) -> CustomerRelationship:
    """The orders rule: the reseller relationship through which `provider` may order for the
    customer (locked, for the order's transaction), else a ValidationError. The same words for a
    customer that exists elsewhere and one that does not exist."""
    shared = (
        customers_shared_with_provider(provider=provider)
        .select_for_update(of=("self",))
        .filter(customer_id=customer_id)
        .first()
    )
    if shared is None:
        raise ValidationError(
            _(
                "%(provider)s cannot place orders for this customer: it holds no active "
                "reseller relationship with it. A reseller must share the customer with you, "
                "and your relationship with that reseller must be active."
            )
            % {"provider": provider.legal_name}
        )
    return shared


def order_place(
    *, actor: User, organization: Organization, customer_id: int, offer_name: str, quantity: int
) -> Order:
    """An order for a shared customer: the PLACE_ORDER permission and the orders rule
    (`order_customer_relationship`), then the order and its audit events."""
    membership = require_member(actor=actor, organization=organization, action=Action.PLACE_ORDER)
    provider = membership.organization
    if provider.kind != Organization.Kind.PROVIDER:
        raise ValidationError(_("Only an indirect provider places orders here."))
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError(
            {"quantity": _("Enter a quantity from 1 to %(max)s.") % {"max": MAX_QUANTITY}}
        )
    with transaction.atomic():
        shared = order_customer_relationship(provider=provider, customer_id=customer_id)
        order = Order(
            provider=provider,
            customer=shared.customer,
            reseller=shared.reseller,
            offer_name=offer_name.strip(),
            quantity=quantity,
            placed_by=membership.user,
        )
        order.full_clean()
        order.save()
        audit_record_for(
            type=AuditType.ORDER_PLACED,
            organizations=[provider, shared.reseller, shared.customer],
            actor=membership.user,
            actor_organization=membership.organization,
            order=order.pk,
        )
    return order
