"""The invitation inbox: what other organizations sent to this company (a provider's request to
a reseller, a reseller's invitation to a customer), answered where it is listed."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from portal.confirm import Confirmation, confirm_page, confirmed
from portal.paging import bounded_page
from portal.policy import Action
from portal.tenancy import TenantViewMixin

from .. import selectors
from ..errors import InvitationUnavailable
from ..forms import ApproveGdapForm
from ..models import CustomerInvitation, ResellerInvitation
from ..services import customers as customer_services
from ..services import reseller_invitations as invitation_services
from ._base import Kind, error_text

INBOX_PER_PAGE = 10
HISTORY_PER_PAGE = 20
BACK = {
    "dashboard": "portal:dashboard",
    "providers": "relationships:indirect_providers",
    "received": "relationships:received_invitations",
}


def inbox_page(request: HttpRequest, organization, per_page: int = INBOX_PER_PAGE):
    """A page of the inbox. A customer invitation that asks for granular admin roles carries
    `gdap_form`: the same ticked box as its acceptance page, tied (`form=`) to the row's Accept
    form (its own id, so several rows stay distinct)."""
    page = bounded_page(
        selectors.pending_invitations_addressed_to(organization=organization),
        request.GET.get("inbox_page"),
        per_page=per_page,
        counted=False,
    )
    for invitation in page.object_list:
        if isinstance(invitation, CustomerInvitation) and invitation.include_admin_access:
            invitation.gdap_form = InboxGdapForm(invitation)  # type: ignore[attr-defined]
    return page


class InboxGdapForm(ApproveGdapForm):
    """The box on an inbox row: its ids carry the invitation's, and `form_id` names the row's
    Accept form, which the checkbox joins through its `form` attribute."""

    def __init__(self, invitation: CustomerInvitation) -> None:
        super().__init__(auto_id=f"id_inbox_customer_{invitation.pk}_%s")
        self.form_id = f"inbox-accept-customer-{invitation.pk}"
        self.fields["approve_gdap"].widget.attrs["form"] = self.form_id


class ReceivedInvitationsView(TenantViewMixin, View):
    """/received-invitations/: the inbox, then every invitation the company received, with
    what became of it, and Recent changes."""

    required_action = Action.VIEW_DASHBOARD
    organization_kinds = {Kind.RESELLER, Kind.CUSTOMER}

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "relationships/received_invitations.html",
            {
                "inbox": inbox_page(request, self.organization),
                "history": bounded_page(
                    selectors.invitations_addressed_to(organization=self.organization),
                    request.GET.get("history_page"),
                    per_page=HISTORY_PER_PAGE,
                    counted=False,
                ),
                "events": selectors.recent_changes_for(
                    organization=self.organization,
                    invitation_kind=ResellerInvitation.KIND
                    if self.organization.kind == Kind.RESELLER
                    else CustomerInvitation.KIND,
                ),
            },
        )


def confirm_decline(
    request: HttpRequest,
    invitation: ResellerInvitation | CustomerInvitation,
    *,
    back: str,
    action: str = "",
    hidden: dict[str, str] | None = None,
    breadcrumb: list[tuple[str, str]] | None = None,
) -> HttpResponse:
    """The confirm page before declining an invitation (portal/confirm.py), from the inbox or
    from the emailed link's page."""
    sender = invitation.organization.legal_name
    if isinstance(invitation, ResellerInvitation):
        consequence = _(
            "%(sender)s will not become your indirect provider, and its link stops working. "
            "This cannot be undone: only a new invitation from %(sender)s can start a "
            "relationship."
        ) % {"sender": sender}
    else:
        consequence = _(
            "You will not work with %(sender)s and %(provider)s through this invitation, and its "
            "link stops working. This cannot be undone: only a new invitation can start a "
            "relationship."
        ) % {"sender": sender, "provider": invitation.provider.legal_name}
    return confirm_page(
        request,
        Confirmation(
            title=_("Decline invitation"),
            question=_("Decline the invitation from %(sender)s?") % {"sender": sender},
            explanation=[consequence],
            confirm_label=_("Yes, decline the invitation"),
            keep_label=_("Keep the invitation"),
            back=back,
            action=action,
            hidden=hidden or {},
            breadcrumb=breadcrumb or [],
        ),
    )


class ReceivedInvitationActionView(TenantViewMixin, View):
    """Accept or decline an invitation from the inbox, through the same services as the emailed
    link. Declining cannot be undone: its GET asks first, and so does a POST without the
    confirmation (portal/confirm.py). An invitation addressed to another company is a 404."""

    required_action = Action.VIEW_DASHBOARD
    organization_kinds = {Kind.RESELLER, Kind.CUSTOMER}

    def _invitation(self, pk: int) -> ResellerInvitation | CustomerInvitation:
        invitation = selectors.invitation_addressed_to(
            organization=self.organization, invitation_id=pk
        )
        if invitation is None:
            raise Http404
        return invitation

    def _confirm(self, request: HttpRequest, invitation, back_key: str) -> HttpResponse:
        back_key = back_key if back_key in BACK else "received"
        back = reverse(BACK[back_key])
        return confirm_decline(
            request,
            invitation,
            back=back,
            action=reverse(
                "relationships:received_invitation_action", args=[invitation.pk, "decline"]
            ),
            hidden={"back": back_key},
            breadcrumb=[(_("Invitations you received"), reverse(BACK["received"]))],
        )

    def get(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        if action != "decline":
            raise Http404
        return self._confirm(request, self._invitation(pk), request.GET.get("back", ""))

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        if action not in ("accept", "decline"):
            raise Http404
        invitation = self._invitation(pk)
        if action == "decline" and not confirmed(request):
            return self._confirm(request, invitation, request.POST.get("back", ""))
        back = BACK.get(request.POST.get("back", ""), "relationships:received_invitations")
        sender = invitation.organization.legal_name
        try:
            if isinstance(invitation, ResellerInvitation):
                if action == "accept":
                    invitation_services.reseller_invitation_accept(
                        actor=self.membership.user, organization=self.organization, invitation_id=pk
                    )
                    done = _(
                        "You authorized %(provider)s. It can now place orders for the customers "
                        "you share with it."
                    ) % {"provider": sender}
                    back = "relationships:indirect_providers"
                else:
                    invitation_services.reseller_invitation_decline(
                        actor=self.membership.user, organization=self.organization, invitation_id=pk
                    )
                    done = _("You declined the invitation from %(provider)s.") % {
                        "provider": sender
                    }
            elif action == "accept":
                # The inbox row's box (ticked by default), shown only when the invitation asks
                # for granular admin roles; unticked, the browser sends nothing: no roles.
                choice = ApproveGdapForm(request.POST, offers_gdap=invitation.include_admin_access)
                choice.is_valid()
                customer_services.customer_invitation_accept(
                    actor=self.membership.user,
                    organization=self.organization,
                    invitation_id=pk,
                    approve_gdap=choice.cleaned_data.get("approve_gdap", False),
                )
                done = _("You now work with %(reseller)s and %(provider)s.") % {
                    "reseller": sender,
                    "provider": invitation.provider.legal_name,
                }
            else:
                customer_services.customer_invitation_decline(
                    actor=self.membership.user, organization=self.organization, invitation_id=pk
                )
                done = _("You declined the invitation from %(reseller)s.") % {"reseller": sender}
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        except InvitationUnavailable as exc:
            messages.error(
                request,
                _("This invitation can no longer be answered: it is %(status)s.")
                % {"status": exc.invitation.effective_status_label.lower()}
                if exc.invitation
                else _("This invitation can no longer be answered."),
            )
        else:
            messages.success(request, done)
        return redirect(back)
