"""The partner's Verification page: status, progress, timeline, documents and what to do."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from portal.live import LiveRegion, live_region, live_response
from portal.models import Membership
from portal.policy import Action, can
from portal.tenancy import TenantViewMixin
from portal.types import AuthenticatedHttpRequest

from ..forms import ContactChangeForm, DocumentUploadForm
from ..models import CONTACT_CHANGE_STATUSES, UPLOAD_STATUSES, CaseEvent, Document, VerificationCase
from ..progress import CURRENT, STOPPED, verification_steps
from ..selectors import (
    case_documents,
    case_for_organization,
    case_latest_info_request,
    case_timeline,
    document_for_organization,
)
from ..services import (
    CaseConflict,
    RateLimited,
    case_contact_change,
    case_contact_resend,
    document_upload,
)

Status = VerificationCase.Status
INTERNAL_EVENTS = {CaseEvent.Type.CLAIMED, CaseEvent.Type.ESCALATED}


def live_context(case: VerificationCase) -> dict[str, Any]:
    """What the live part of the page shows: status, who it waits on, progress, timeline."""
    # Who holds the case inside the operator is not the partner's business.
    timeline = [e for e in case_timeline(case=case) if e.type not in INTERNAL_EVENTS]
    expired_waiting = any(
        e.type == "expired" and e.from_status == Status.EMAIL_PENDING for e in timeline
    )
    steps = verification_steps(case, expired_waiting_for_contact=expired_waiting)
    waiting_on = next(
        (step.waits_on for step in steps if step.state in (CURRENT, STOPPED) and step.waits_on),
        "",
    )
    return {"case": case, "steps": steps, "timeline": timeline, "waiting_on": waiting_on}


def verification_live(
    request: HttpRequest, case: VerificationCase, context: dict[str, Any] | None = None
) -> LiveRegion:
    context = context or live_context(case)
    announce = _("Verification status: %(status)s.") % {"status": case.get_status_display()}
    if context["waiting_on"]:
        announce += " " + _("Waiting on: %(who)s.") % {"who": context["waiting_on"]}
    return live_region(
        request,
        region_id="verification-live",
        endpoint=reverse("verification:status_live"),
        template="verification/_live_status.html",
        parts={"verification_timeline": "verification/_live_timeline.html"},
        context=context,
        announce=announce,
    )


def status_context(
    request: HttpRequest,
    membership: Membership,
    case: VerificationCase | None,
    *,
    upload_form: DocumentUploadForm | None = None,
    contact_form: ContactChangeForm | None = None,
) -> dict[str, Any]:
    if case is None:
        return {"case": None}
    manage = can(membership, Action.MANAGE_VERIFICATION)
    live = live_context(case)
    info_request = case_latest_info_request(case=case) if case.status != Status.VERIFIED else None
    profile = case.organization.legal_profile
    requested_types = (
        info_request.document_types
        if info_request and case.status == Status.INFO_REQUESTED
        else None
    )
    return {
        "case": case,
        "profile": profile,
        **live,
        "verification_live": verification_live(request, case, live),
        "documents": case_documents(case=case),
        "info_request": info_request,
        "can_manage": manage,
        "can_upload": manage and case.status in UPLOAD_STATUSES,
        "can_resend": manage and case.status == Status.EMAIL_PENDING,
        "can_change_contact": manage and case.status in CONTACT_CHANGE_STATUSES,
        "upload_form": upload_form or DocumentUploadForm(document_types=requested_types),
        "contact_form": contact_form
        or ContactChangeForm(
            profile=profile,
            initial={
                "first_name": profile.primary_contact_first_name,
                "last_name": profile.primary_contact_last_name,
                "email": profile.primary_contact_email,
                "phone": profile.primary_contact_phone,
            },
        ),
    }


class VerificationStatusView(TenantViewMixin, TemplateView):
    required_action = Action.VIEW_VERIFICATION
    template_name = "verification/status.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case = case_for_organization(organization=self.organization)
        context.update(status_context(self.request, self.membership, case))
        return context


class VerificationLiveView(TenantViewMixin, View):
    """/verification/live/: the status, progress and timeline, polled by the page (204 while
    nothing changed)."""

    required_action = Action.VIEW_VERIFICATION

    def get(self, request: HttpRequest) -> HttpResponse:
        case = case_for_organization(organization=self.organization)
        if case is None:
            return HttpResponse(status=204)
        return live_response(request, verification_live(request, case))


class _ManageCaseView(TenantViewMixin, View):
    required_action = Action.MANAGE_VERIFICATION

    def get_case(self) -> VerificationCase:
        case = case_for_organization(organization=self.organization)
        if case is None:
            raise Http404
        return case

    def rerender(self, case: VerificationCase, **forms: Any) -> HttpResponse:
        context = status_context(self.request, self.membership, case, **forms)
        return render(self.request, "verification/status.html", context, status=400)


class DocumentUploadView(_ManageCaseView):
    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        case = self.get_case()
        form = DocumentUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.rerender(case, upload_form=form)
        try:
            document_upload(
                case=case,
                actor=request.user,
                document_type=form.cleaned_data["document_type"],
                comment=form.cleaned_data["comment"],
                file=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            return self.rerender(case, upload_form=form)
        except CaseConflict as exc:
            messages.error(request, exc.message)
            return redirect("verification:status")
        messages.success(request, _("Document uploaded. The verification team will review it."))
        return redirect("verification:status")


class ContactResendView(_ManageCaseView):
    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        try:
            case_contact_resend(case=self.get_case(), actor=request.user)
        except RateLimited:
            messages.error(
                request,
                _("We already sent several emails in the last hour. Please try again later."),
            )
        except CaseConflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("We sent the confirmation email again."))
        return redirect("verification:status")


class ContactChangeView(_ManageCaseView):
    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        case = self.get_case()
        form = ContactChangeForm(request.POST, profile=case.organization.legal_profile)
        if form.is_valid():
            try:
                case_contact_change(case=case, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            except CaseConflict as exc:
                messages.error(request, exc.message)
                return redirect("verification:status")
            else:
                messages.success(
                    request, _("Primary contact changed. We emailed them a confirmation link.")
                )
                return redirect("verification:status")
        return self.rerender(case, contact_form=form)


def serve_document(document: Document) -> FileResponse:
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.download_name,
        content_type=document.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


class DocumentDownloadView(TenantViewMixin, View):
    required_action = Action.VIEW_VERIFICATION

    def get(self, request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
        return serve_document(document_for_organization(organization=self.organization, pk=pk))
