"""An API client acting for a customer: the `Act-As-Customer` header.

A partner's client (provider or reseller) names a customer it works with; the call then runs
as the membership `portal.delegation.partner_delegated_membership` builds in that customer's
account, holding the roles of the customer's active GDAP relationships with the partner, and
only those (no delegated admin, DAP, through the API). As on the pages, acting needs the policy
table's ADMINISTER_ON_BEHALF in the client's own organization (an administering scope: Global
admin or Admin agent), and each action then needs a GDAP role that allows it: what the client
may do for the customer is what the customer granted, within what the client's scopes allow.

- a customer the partner does not work with, or not a number: 404 (as a missing one);
- a client whose scopes do not administer on behalf: 403;
- no active GDAP relationship with that customer: 403 (the page refuses with the reason)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.request import Request

from portal.delegation import partner_delegated_membership
from portal.models import Membership
from portal.policy import Action, can
from relationships.selectors import customer_rows

ACT_AS_HEADER = "Act-As-Customer"

ACT_AS_CUSTOMER = OpenApiParameter(
    ACT_AS_HEADER,
    int,
    OpenApiParameter.HEADER,
    description=(
        "Act in this customer's account (a partner's client only): the call runs with the roles "
        "of the customer's active GDAP relationships with the partner; without one, 403."
    ),
)


def acting_membership_for(request: Request, membership: Membership) -> Membership:
    """The membership a call runs as: the client's own, or with `Act-As-Customer` the one of
    the customer's account its GDAP roles give."""
    raw = request.headers.get(ACT_AS_HEADER)
    if raw is None:
        return membership
    raw = raw.strip()
    partner = membership.organization
    if not (raw.isascii() and raw.isdigit() and len(raw) < 19):
        raise exceptions.NotFound(_("No such customer."))
    if not can(membership, Action.ADMINISTER_ON_BEHALF):
        if partner.kind not in (partner.Kind.RESELLER, partner.Kind.PROVIDER):
            raise exceptions.NotFound(_("No such customer."))
        raise exceptions.PermissionDenied(
            _("This API client's roles do not allow acting for a customer.")
        )
    rows = customer_rows(organization=partner, customer_id=int(raw))
    if not rows:
        raise exceptions.NotFound(_("No such customer."))
    customer = rows[0].customer
    delegated = partner_delegated_membership(membership.user, partner, customer)
    if delegated is None:
        raise exceptions.PermissionDenied(
            _("%(customer)s has granted %(partner)s no active GDAP relationship.")
            % {"customer": customer.legal_name, "partner": partner.legal_name}
        )
    delegated.for_api_client = True
    return delegated
