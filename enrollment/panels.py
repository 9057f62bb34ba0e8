"""Dashboard panels of the enrolment app: the Partner Agreement and an unfinished enrolment.

Each panel costs a fixed number of queries whatever the data."""

from __future__ import annotations

from typing import Any

from portal.models import Membership, Organization
from portal.policy import Action, can
from portal.types import AuthenticatedHttpRequest

from .forms import AgreementAcceptForm
from .selectors import agreement_standing, enrollment_draft_for, global_admin_names

Kind = Organization.Kind


def agreement_form_for(membership: Membership) -> AgreementAcceptForm:
    user = membership.user
    return AgreementAcceptForm(
        initial={"first_name": user.first_name, "last_name": user.last_name, "email": user.email}
    )


def agreement_panel_context(
    membership: Membership, form: AgreementAcceptForm | None = None
) -> dict[str, Any] | None:
    organization = membership.organization
    if organization.kind not in (Kind.RESELLER, Kind.PROVIDER):
        return None
    standing = agreement_standing(organization=organization)
    if standing is None:
        return None
    context: dict[str, Any] = {"version": standing.version, "accepted_at": standing.accepted_at}
    if standing.accepted_at is not None:
        return context
    context["verified"] = organization.status == Organization.Status.VERIFIED
    # Not the current version's (it has none): the version the organization accepted last.
    context["earlier_version"] = standing.latest_accepted_version
    context["can_accept"] = can(membership, Action.ACCEPT_AGREEMENT)
    if context["verified"] and context["can_accept"]:
        context["form"] = form or agreement_form_for(membership)
    elif context["verified"]:
        context["admins"] = global_admin_names(organization=organization)
    return context


def agreement_panel(
    request: AuthenticatedHttpRequest, membership: Membership
) -> tuple[str, dict[str, Any]] | None:
    context = agreement_panel_context(membership)
    if context is None:
        return None
    return "enrollment/panels/agreement.html", context


def enrollment_draft_panel(
    request: AuthenticatedHttpRequest, membership: Membership
) -> tuple[str, dict[str, Any]] | None:
    if membership.organization.status != Organization.Status.DRAFT:
        return None
    draft = enrollment_draft_for(user=request.user)
    return "enrollment/panels/draft.html", {"draft": draft}
