"""The reseller enrolment wizard: welcome, start, then one page per step (DOMAIN.md)."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import ChoiceField
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_http_methods

from portal.client_ip import client_ip
from portal.pagememo import memo_page
from portal.policy import Action
from portal.tenancy import TenantViewMixin
from portal.types import AuthenticatedHttpRequest, request_is_authenticated

from .forms import AgreementAcceptForm
from .models import EnrollmentDraft
from .panels import agreement_panel_context
from .selectors import agreement_current_version, enrollment_draft_for, legal_profile_for
from .services import (
    StepInvalid,
    agreement_accept,
    enrollment_draft_save,
    enrollment_start,
    enrollment_submit,
)
from .wizard import (
    FORM_STEPS,
    STEP_TITLES,
    STEPS,
    draft_validate,
    step_form,
    step_next,
    step_number,
    step_previous,
)


def step_url(step: str) -> str:
    return reverse("enrollment:step", kwargs={"step": step})


def _wizard_context(step: str, draft: EnrollmentDraft | None) -> dict:
    reached = STEPS.index(draft.step) if draft else 0
    return {
        "step": step,
        "step_title": STEP_TITLES[step],
        "step_number": step_number(step),
        "step_total": len(STEPS),
        "steps": [
            {
                "name": name,
                "title": STEP_TITLES[name],
                "number": index + 1,
                "current": name == step,
                "done": index < STEPS.index(step) or (draft is not None and index < reached),
                "url": step_url(name) if draft and index <= reached else "",
            }
            for index, name in enumerate(STEPS)
        ],
        "draft": draft,
        "previous_url": step_url(previous) if (previous := step_previous(step)) else "",
    }


def _entry_context(request: HttpRequest) -> dict:
    draft = enrollment_draft_for(user=request.user)
    membership = getattr(request, "membership", None)
    return {
        "draft": draft,
        "resume_url": step_url(draft.step) if draft else "",
        "enrolled_membership": membership if membership and draft is None else None,
    }


def welcome(request: HttpRequest) -> HttpResponse:
    return render(request, "enrollment/welcome.html", _entry_context(request))


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "enrollment/start.html", _entry_context(request))


@memo_page  # a step's GET is served again while the draft is unchanged (portal/pagememo.py)
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, step: str) -> HttpResponse:
    if step == "confirmation":
        return confirmation(request)
    if step not in STEPS:
        raise Http404
    if step == "account":
        return account_step(request)
    if not request_is_authenticated(request):
        return redirect(f"{reverse('account_login')}?{urlencode({'next': step_url(step)})}")
    draft = enrollment_draft_for(user=request.user)
    if draft is None:
        return redirect(step_url("account"))
    if STEPS.index(step) > STEPS.index(draft.step):
        return redirect(step_url(draft.step))
    if step == "review":
        return review_step(request, draft)
    return form_step(request, step, draft)


def account_step(request: HttpRequest) -> HttpResponse:
    context = _wizard_context("account", None)
    next_query = urlencode({"next": step_url("account")})
    context.update(
        login_url=f"{reverse('account_login')}?{next_query}",
        signup_url=f"{reverse('account_signup')}?{next_query}",
    )
    if request.user.is_authenticated:
        draft = enrollment_draft_for(user=request.user)
        context.update(_wizard_context("account", draft))
        context["enrolled_membership"] = getattr(request, "membership", None) if not draft else None
        if request.method == "POST":
            try:
                draft = enrollment_start(actor=request.user)
            except ValidationError as exc:
                context["account_error"] = exc.messages[0]
            else:
                return redirect(step_url(draft.step))
    elif request.method == "POST":
        return redirect(context["login_url"])
    return render(request, "enrollment/account.html", context)


def form_step(request: AuthenticatedHttpRequest, step: str, draft: EnrollmentDraft) -> HttpResponse:
    if request.method == "POST":
        form = step_form(step, draft, request.POST)
        if request.POST.get("nav") == "back":
            # Going back keeps what was typed, as typed; Next validates it again.
            enrollment_draft_save(
                draft=draft, step=step, data=form.as_typed_draft(), resume_at=step
            )
            previous = step_previous(step)
            assert previous is not None  # a form step always follows the account step
            return redirect(step_url(previous))
        if form.is_valid():
            following = step_next(step)
            assert following is not None  # a form step is always followed by the review
            enrollment_draft_save(draft=draft, step=step, data=form.as_draft(), resume_at=following)
            return redirect(step_url(following))
    elif request.GET.get("check"):
        form = step_form(step, draft, draft.data.get(step, {}))
        form.is_valid()
    else:
        form = step_form(step, draft)
    context = _wizard_context(step, draft)
    context["form"] = form
    return render(request, "enrollment/step.html", context)


def review_step(request: AuthenticatedHttpRequest, draft: EnrollmentDraft) -> HttpResponse:
    if request.method == "POST":
        try:
            enrollment_submit(draft=draft, actor=request.user)
        except StepInvalid as exc:
            messages.error(request, _("Some details need your attention before you register."))
            return redirect(f"{step_url(exc.step)}?check=1")
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            return redirect(step_url("review"))
        return redirect(step_url("confirmation"))
    _fields, invalid_step = draft_validate(draft)
    sections = []
    for name in FORM_STEPS:
        form = step_form(name, draft)
        rows = []
        for field in form:
            value = draft.data.get(name, {}).get(field.name, "")
            if field.name == "country":
                choices = cast(ChoiceField, field.field).choices
                # Django hands back the choices normalised to pairs; the stubs type the getter
                # like the setter (callables, mappings...).
                value = dict(choices).get(value, value)  # type: ignore[arg-type]
            rows.append({"label": field.label, "value": value})
        sections.append(
            {"name": name, "title": STEP_TITLES[name], "url": step_url(name), "rows": rows}
        )
    context = _wizard_context("review", draft)
    context.update(
        sections=sections,
        invalid_step=invalid_step,
        invalid_url=f"{step_url(invalid_step)}?check=1" if invalid_step else "",
        organization_domain=draft.organization.primary_domain if draft.organization else "",
    )
    return render(request, "enrollment/review.html", context)


@login_required
def confirmation(request: HttpRequest) -> HttpResponse:
    organization = getattr(request, "organization", None)
    profile = legal_profile_for(organization=organization)
    if profile is None:
        return redirect(step_url("account"))
    return render(request, "enrollment/confirmation.html", {"profile": profile})


class AgreementView(TenantViewMixin, View):
    """Accepting the Partner Agreement (the form lives on the dashboard overview; errors are
    shown here, on a page of its own)."""

    required_action = Action.ACCEPT_AGREEMENT

    def _render(self, form: AgreementAcceptForm | None = None) -> HttpResponse:
        context = agreement_panel_context(self.membership, form)
        if context is None:
            raise Http404
        return render(self.request, "enrollment/agreement.html", {"panel": context})

    def get(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        return self._render()

    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        version = agreement_current_version()
        if version is None:
            raise Http404
        form = AgreementAcceptForm(request.POST)
        if request.POST.get("version") != version.version:
            messages.warning(
                request, _("A new version of the Partner Agreement was published; read it first.")
            )
            return redirect("enrollment:agreement")
        if form.is_valid():
            try:
                agreement_accept(
                    organization=self.organization,
                    actor=request.user,
                    version=version,
                    ip_address=client_ip(request),
                    **{k: v for k, v in form.cleaned_data.items() if k != "confirm"},
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Thank you: the Partner Agreement is accepted."))
                return redirect("portal:dashboard")
        return self._render(form)
