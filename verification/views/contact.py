"""The primary contact's confirmation page. No sign-in: the key is the credential. GET only
shows; POST confirms or withdraws. Every kind of unusable link has its own page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from portal.confirm import confirmed

from ..forms import ContactConfirmForm, NewLinkByEmailForm
from ..models import VerificationCase
from ..services import (
    CaseConflict,
    ContactLinkInvalid,
    RateLimited,
    case_contact_confirm,
    case_contact_deny,
    contact_link_lookup,
    contact_link_request_by_email,
    contact_link_request_new,
)
from ..services.contact import LinkState

Status = VerificationCase.Status


def _problem(request: HttpRequest, state: LinkState, confirmation=None, status: int = 410):
    case = confirmation.case if confirmation else None
    return render(
        request,
        "verification/contact_link_problem.html",
        {
            "state": state.value,
            "case": case,
            "can_request_new": (
                state in (LinkState.EXPIRED, LinkState.REPLACED)
                and case is not None
                and case.status == Status.EMAIL_PENDING
            ),
            "email_form": NewLinkByEmailForm(),
        },
        status=404 if state == LinkState.BAD else status,
    )


@method_decorator(never_cache, name="dispatch")
class ContactConfirmView(View):
    def get(self, request: HttpRequest, key: str) -> HttpResponse:
        confirmation, state = contact_link_lookup(key=key)
        if state != LinkState.VALID:
            return _problem(request, state, confirmation)
        return self._page(request, confirmation, ContactConfirmForm())

    def _page(self, request, confirmation, form, status=200):
        case = confirmation.case
        return render(
            request,
            "verification/contact_confirm.html",
            {
                "form": form,
                "profile": case.organization.legal_profile,
                "organization": case.organization,
                "email": confirmation.email,
            },
            status=status,
        )

    def _deny_page(self, request, confirmation):
        return render(
            request,
            "verification/contact_deny_confirm.html",
            {
                "organization": confirmation.case.organization,
                "email": confirmation.email,
                "deny_fields": {"action": "deny"},
            },
        )

    def post(self, request: HttpRequest, key: str) -> HttpResponse:
        confirmation, state = contact_link_lookup(key=key)
        if state != LinkState.VALID:
            return _problem(request, state, confirmation)
        deny = request.POST.get("action") == "deny"
        if deny and not confirmed(request):
            # Stopping the verification cannot be undone: ask first (portal/confirm.py).
            return self._deny_page(request, confirmation)
        if not deny:
            form = ContactConfirmForm(request.POST)
            if not form.is_valid():
                return self._page(request, confirmation, form, status=400)
        try:
            case = case_contact_deny(key=key) if deny else case_contact_confirm(key=key)
        except ContactLinkInvalid as exc:
            return _problem(request, exc.state, exc.confirmation)
        except CaseConflict as exc:
            messages.error(request, exc.message)
            return _problem(request, LinkState.USED, confirmation)
        return render(
            request,
            "verification/contact_done.html",
            {"denied": deny, "organization": case.organization},
        )


class ContactNewLinkView(View):
    """From an expired or replaced link: email a fresh one (rate-limited)."""

    def post(self, request: HttpRequest, key: str) -> HttpResponse:
        try:
            case = contact_link_request_new(key=key)
        except RateLimited:
            return render(
                request, "verification/contact_new_link_sent.html", {"limited": True}, status=429
            )
        if case is None:
            return redirect("verification:contact_confirm", key=key)
        return render(request, "verification/contact_new_link_sent.html", {"limited": False})


class ContactNewLinkByEmailView(View):
    """From a bad link: a fresh one if the address is a pending primary contact. The answer is
    the same either way."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = NewLinkByEmailForm(request.POST)
        if not form.is_valid():
            return render(
                request,
                "verification/contact_link_problem.html",
                {"state": LinkState.BAD.value, "email_form": form},
                status=400,
            )
        contact_link_request_by_email(email=form.cleaned_data["email"])
        return render(request, "verification/contact_new_link_sent.html", {"limited": False})
