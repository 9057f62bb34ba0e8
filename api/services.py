"""Writes of API clients: create (the secret returned once, stored hashed), revoke, and the
bookkeeping of a call (last use) and of a token grant (audited with the client as actor)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application

from portal.audit import audit_record
from portal.models import Organization, User
from portal.policy import ALL_PARTNER_ROLES, Action, require_member

from .events import AuditType
from .models import ApiClient

# A client lives at most this long: the Global admin creates another before it ends (Partner
# Center's app secrets last up to two years; a year keeps a leaked secret's reach shorter).
MAX_VALIDITY = timedelta(days=366)
# `last_used_at` is written at most this often: a sync job's thousands of calls are one write.
LAST_USE_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedClient:
    client: ApiClient
    secret: str  # shown once, never stored in clear


def api_client_create(
    *,
    actor: User,
    organization: Organization,
    name: str,
    roles: list[str],
    expires_at: datetime,
) -> CreatedClient:
    with transaction.atomic():
        require_member(actor=actor, organization=organization, action=Action.MANAGE_API_CLIENTS)
        roles = sorted(set(roles))
        if not roles or not set(roles) <= ALL_PARTNER_ROLES:
            raise ValidationError({"roles": _("Choose at least one role.")})
        now = timezone.now()
        if not now < expires_at <= now + MAX_VALIDITY:
            raise ValidationError(
                {"expires_at": _("Choose a date in the future, within a year from today.")}
            )
        secret = generate_client_secret()
        application = Application(
            name=name[:255],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,
            hash_client_secret=True,
        )
        application.full_clean()
        application.save()  # ClientSecretField hashes the secret on save
        client = ApiClient(
            organization=organization,
            application=application,
            name=name,
            roles=roles,
            expires_at=expires_at,
            created_by=actor,
        )
        client.full_clean()
        client.save()
        audit_record(
            type=AuditType.API_CLIENT_CREATED,
            organization=organization,
            actor=actor,
            client=client.label,
            roles=roles,
            expires_at=expires_at.isoformat(),
        )
    return CreatedClient(client=client, secret=secret)


def api_client_revoke(*, actor: User, client: ApiClient) -> ApiClient:
    """Revoke the client and end its tokens at once; a second revoke changes nothing."""
    with transaction.atomic():
        require_member(
            actor=actor, organization=client.organization, action=Action.MANAGE_API_CLIENTS
        )
        client = (
            ApiClient.objects.select_for_update().select_related("application").get(pk=client.pk)
        )
        if client.revoked_at is not None:
            return client
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
        AccessToken.objects.filter(application=client.application).delete()
        audit_record(
            type=AuditType.API_CLIENT_REVOKED,
            organization=client.organization,
            actor=actor,
            client=client.label,
        )
    return client


def api_client_used(*, client: ApiClient) -> bool:
    """Record a call's time, at most once a `LAST_USE_EVERY` (one UPDATE, no read). True when
    it wrote."""
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at >= LAST_USE_EVERY:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
        return True
    return False


def api_token_issued(*, client: ApiClient, scopes: list[str]) -> None:
    """A token grant, in the organization's audit log with the client as the actor."""
    audit_record(
        type=AuditType.API_TOKEN_ISSUED,
        organization=client.organization,
        actor=None,
        actor_organization=client.organization,
        api_client=client.label,
        scopes=scopes,
    )
    api_client_used(client=client)
