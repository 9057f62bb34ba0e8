"""User management of an organization: add (invite), change roles, remove.

A partner acting on the organization's behalf (DAP or a GDAP role) touches no privileged role nor
a member holding one: every service here calls `portal.policy.require_privileged_change`. The
last Global admin of an organization can be neither removed nor demoted; the check runs
under a row lock so two admins demoting each other at once can't both succeed."""

from __future__ import annotations

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.audit import audit_record
from portal.domains import domain_belongs_to, email_domain
from portal.models import Membership, Organization, Role, User
from portal.outbox import absolute_url, outbox_enqueue
from portal.policy import Action, require_member, require_privileged_change
from portal.ratelimit import rate_limit_consume
from portal.selectors import email_language

from ..events import AuditType

# Roles a Global admin assigns on User management (Verification admin is the operator's).
PARTNER_ROLES: tuple[Role, ...] = (
    Role.GLOBAL_ADMIN,
    Role.ADMIN_AGENT,
    Role.SALES_AGENT,
    Role.HELPDESK_AGENT,
    Role.BILLING_ADMIN,
)

LAST_ADMIN_MESSAGE = gettext_lazy(
    "%(name)s is the last Global admin of your organization. Make someone else Global admin first."
)


def _other_global_admins(membership: Membership) -> bool:
    admins = (
        Membership.objects.select_for_update()
        .filter(organization_id=membership.organization_id, global_admin=True)
        .exclude(pk=membership.pk)
    )
    return len(list(admins)) > 0


@transaction.atomic  # a delegated admin's access is checked (and held) inside it
def member_add(
    *,
    actor: User,
    organization: Organization,
    email: str,
    first_name: str,
    last_name: str,
    roles: set[str],
) -> Membership:
    """Add a person with a work email in the organization's domain; they get an invitation
    email (with a link to set their password when the account is new). A partner acting on
    the organization's behalf adds no one with a privileged role (`require_privileged_change`)."""
    acting = require_member(actor=actor, organization=organization, action=Action.MANAGE_USERS)
    require_privileged_change(acting, roles_after=roles)
    email = email.strip().lower()
    if not domain_belongs_to(email_domain(email), organization.primary_domain):
        raise ValidationError(
            {
                "email": _("Use a work email address in your organization's domain, %(domain)s.")
                % {"domain": organization.primary_domain}
            }
        )
    if not roles:
        raise ValidationError({"roles": _("Select at least one role.")})
    already = ValidationError({"email": _("This person is already a user of your organization.")})
    user = User.objects.filter(email__iexact=email).first()
    if (
        user is not None
        and Membership.objects.filter(user=user, organization=organization).exists()
    ):
        raise already
    rate_limit_consume(action="user_invitation", key=f"organization:{organization.pk}")
    new_user = user is None
    try:
        # A colleague adding the same person at the same moment makes one of the inserts
        # fail: that one gets the answer a second attempt would get.
        with transaction.atomic():
            if user is None:
                user = User.objects.create_user(
                    email,
                    None,
                    first_name=first_name,
                    last_name=last_name,
                    language=organization.language or actor.language,
                )
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            membership = Membership(
                user=user,
                organization=organization,
                **{role.value: role.value in roles for role in PARTNER_ROLES},
            )
            membership.full_clean()
            membership.save()
    except IntegrityError as exc:
        raise already from exc
    audit_record(
        type=AuditType.MEMBERSHIP_ADDED,
        organization=organization,
        actor=actor,
        email=email,
        roles=sorted(roles),
    )
    if new_user:
        path = reverse(
            "account_welcome",
            kwargs={
                "uidb36": user_pk_to_url_str(user),
                "key": default_token_generator.make_token(user),
            },
        )
    else:
        path = reverse("account_login")
    outbox_enqueue(
        key=f"member-invited:{membership.pk}",
        to=email,
        template="enrollment_member_invited",
        context={
            "organization": organization.legal_name,
            "inviter": actor.get_full_name(),
            "roles": membership.role_labels(),
            "link": absolute_url(path),
            "new_user": new_user,
        },
        language=email_language(user=user, organization=organization),
        organization=organization,
    )
    return membership


@transaction.atomic
def membership_roles_update(*, actor: User, membership: Membership, roles: set[str]) -> Membership:
    acting = require_member(
        actor=actor, organization=membership.organization, action=Action.MANAGE_USERS
    )
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    require_privileged_change(acting, roles_before=membership.roles, roles_after=roles)
    if not roles:
        raise ValidationError({"roles": _("Select at least one role.")})
    if (
        membership.global_admin
        and Role.GLOBAL_ADMIN.value not in roles
        and not _other_global_admins(membership)
    ):
        raise ValidationError(
            {"roles": LAST_ADMIN_MESSAGE % {"name": membership.user.get_full_name()}}
        )
    before = sorted(str(r) for r in membership.roles)
    changed = []
    for role in PARTNER_ROLES:
        value = role.value in roles
        if getattr(membership, role.value) != value:
            setattr(membership, role.value, value)
            changed.append(role.value)
    if changed:
        membership.save(update_fields=changed)
        audit_record(
            type=AuditType.MEMBERSHIP_ROLES_CHANGED,
            organization=membership.organization,
            actor=actor,
            email=membership.user.email,
            before=before,
            after=sorted(roles),
        )
    return membership


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    acting = require_member(
        actor=actor, organization=membership.organization, action=Action.MANAGE_USERS
    )
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    require_privileged_change(acting, roles_before=membership.roles)
    if membership.global_admin and not _other_global_admins(membership):
        raise PermissionDenied(LAST_ADMIN_MESSAGE % {"name": membership.user.get_full_name()})
    audit_record(
        type=AuditType.MEMBERSHIP_REMOVED,
        organization=membership.organization,
        actor=actor,
        email=membership.user.email,
        roles=sorted(str(r) for r in membership.roles),
    )
    membership.delete()


@transaction.atomic
def member_password_reset(
    *, actor: User, organization: Organization, membership_id: int
) -> Membership:
    """Email a member of `organization` the portal's password-reset link (allauth's reset flow:
    a single-use key; the current password keeps working until the new one is set). A Global
    admin's password is reset only by a Global admin of the organization itself, and no
    privileged member's (`require_privileged_change`) by a partner acting on its behalf: a
    Helpdesk or User administrator (a partner's delegated role) resets the others'."""
    acting = require_member(
        actor=actor, organization=organization, action=Action.RESET_USER_PASSWORD
    )
    target = (
        Membership.objects.select_related("user")
        .filter(organization=organization, pk=membership_id)
        .first()
    )
    if target is None:
        raise Membership.DoesNotExist
    # A privileged member's password: never by a partner acting on the organization's behalf.
    require_privileged_change(acting, roles_before=target.roles)
    if target.global_admin and not acting.global_admin:
        raise ValidationError(
            _(
                "%(name)s is a Global admin: only a Global admin of %(organization)s can reset "
                "their password."
            )
            % {"name": target.user.get_full_name(), "organization": organization.legal_name}
        )
    user = target.user
    if not user.is_active:
        raise ValidationError(_("%(name)s's account is disabled.") % {"name": user.get_full_name()})
    key = default_token_generator.make_token(user)
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": key},
    )
    audit_record(
        type=AuditType.MEMBERSHIP_PASSWORD_RESET,
        organization=organization,
        actor=actor,
        email=user.email,
    )
    outbox_enqueue(
        key=f"member-password-reset:{target.pk}:{key}",
        to=user.email,
        template="enrollment_password_reset",
        context={
            "organization": organization.legal_name,
            "name": user.get_full_name(),
            "link": absolute_url(path),
        },
        language=email_language(user=user, organization=organization),
        organization=organization,
    )
    return target
