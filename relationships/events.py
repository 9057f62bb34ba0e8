"""Audit event types of the relationships (registered with `portal.audit` in
`RelationshipsConfig.ready()`). The codes are stored: never rename one."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditType(models.TextChoices):
    RESELLER_INVITATION_SENT = (
        "relationships.reseller_invitation.sent",
        _("Partnership request sent to a reseller"),
    )
    RESELLER_INVITATION_RESENT = (
        "relationships.reseller_invitation.resent",
        _("Partnership request sent again"),
    )
    RESELLER_INVITATION_REVOKED = (
        "relationships.reseller_invitation.revoked",
        _("Partnership request revoked"),
    )
    RESELLER_INVITATION_DECLINED = (
        "relationships.reseller_invitation.declined",
        _("Partnership request declined"),
    )
    RESELLER_INVITATION_EXPIRED = (
        "relationships.reseller_invitation.expired",
        _("Partnership request expired"),
    )
    PROVIDER_AUTHORIZED = "relationships.provider.authorized", _("Indirect provider authorized")
    PROVIDER_ADMIN_ACCESS_REMOVED = (
        "relationships.provider.admin_access_removed",
        _("Provider's admin access removed"),
    )
    PROVIDER_ENDED = "relationships.provider.ended", _("Provider relationship ended")
    CUSTOMER_INVITATION_SENT = "relationships.customer_invitation.sent", _("Customer invited")
    CUSTOMER_INVITATION_RESENT = (
        "relationships.customer_invitation.resent",
        _("Customer invitation sent again"),
    )
    CUSTOMER_INVITATION_REVOKED = (
        "relationships.customer_invitation.revoked",
        _("Customer invitation revoked"),
    )
    CUSTOMER_INVITATION_DECLINED = (
        "relationships.customer_invitation.declined",
        _("Customer invitation declined"),
    )
    CUSTOMER_INVITATION_EXPIRED = (
        "relationships.customer_invitation.expired",
        _("Customer invitation expired"),
    )
    CUSTOMER_ORGANIZATION_CREATED = (
        "relationships.customer_organization.created",
        _("Customer account created"),
    )
    CUSTOMER_ACCEPTED = "relationships.customer.accepted", _("Customer relationship accepted")
    ORDER_PLACED = "relationships.order.placed", _("Order placed")
    BULK_INVITATIONS_CONFIRMED = (
        "relationships.bulk_invitations.confirmed",
        _("File of invitations confirmed for sending"),
    )
    BULK_INVITATIONS_FINISHED = (
        "relationships.bulk_invitations.finished",
        _("File of invitations sent"),
    )
