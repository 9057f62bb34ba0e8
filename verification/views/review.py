"""The operator's verification queue and case page. Cross-tenant by design: only verification
admins of the programme operator get here, and with MFA when the setting requires it."""

from __future__ import annotations

from typing import Any, cast

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from portal.live import live_region, live_response
from portal.mfa import mfa_setup_required, redirect_to_mfa_setup
from portal.paging import COUNT_CAP, keyset_page
from portal.policy import Action
from portal.tenancy import TenantViewMixin
from portal.types import AuthenticatedHttpRequest

from ..forms import (
    AGE_LABELS,
    ApproveForm,
    AssignForm,
    ClaimForm,
    QueueFilterForm,
    RejectForm,
    RequestInfoForm,
)
from ..models import OPEN_STATUSES, REJECTABLE_STATUSES, VerificationCase
from ..selectors import (
    case_for_review_all_tenants,
    case_for_review_page_all_tenants,
    case_queue_age_buckets,
    case_queue_all_tenants,
    case_queue_counts_all_tenants,
    case_queue_rows,
    case_review_records,
    case_sla,
    document_for_review_all_tenants,
    verification_admins_all_tenants,
)
from ..services import (
    CaseConflict,
    case_approve,
    case_assign,
    case_claim,
    case_reject,
    case_request_info,
)
from ..templatetags.verification_tags import capped
from .partner import serve_document

Status = VerificationCase.Status
PAGE_SIZE = 25
SLA_LABELS = {
    "over": gettext_lazy("Over SLA"),
    "soon": gettext_lazy("Due soon"),
    "ok": gettext_lazy("Within SLA"),
    "partner": gettext_lazy("Waiting on the partner"),
}


class ReviewerViewMixin(TenantViewMixin):
    """Verification admins only; with a second factor set up when PORTAL_REQUIRE_MFA."""

    required_action = Action.REVIEW_VERIFICATION

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any):
        # The portal-wide rule (portal/mfa.py) already stops them in its middleware; checked
        # here too so the cross-tenant queue never depends on the middleware list alone.
        if mfa_setup_required(request.user, request):  # type: ignore[arg-type]
            return redirect_to_mfa_setup(request)
        return super().dispatch(request, *args, **kwargs)


def _chart(buckets) -> dict[str, Any]:
    """Bars of queue age: one row per age bucket, its bar as long as its share of the busiest
    bucket (the labels and counts are HTML text, readable at any width)."""
    peak = max((count for _b, count in buckets), default=0) or 1
    bars = [
        {
            "label": AGE_LABELS[bucket.key],
            "count": count,
            "capped": count > COUNT_CAP,
            "length": round(100 * count / peak),
            "over": bucket.low_days >= 3,
        }
        for bucket, count in buckets
    ]
    return {"bars": bars}


class ReviewQueueView(ReviewerViewMixin, TemplateView):
    """A fixed number of queries whatever the number of cases: a keyset page of 25 rows (read
    through the index matching the filter and order), their failing checks, and capped counts
    kept a minute in the cache."""

    page_memo = True  # served again while nothing it read changed (portal/pagememo.py)

    template_name = "verification/review_queue.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        reviewers = list(verification_admins_all_tenants())
        form = QueueFilterForm(self.request.GET or None, reviewers=reviewers)
        filters = form.cleaned_data if form.is_valid() else {}
        status = filters.get("status") or ""
        cases = case_queue_all_tenants(
            now=now,
            statuses=[status] if status else list(OPEN_STATUSES),
            country=filters.get("country") or "",
            region=filters.get("region"),
            age=filters.get("age") or "",
            assignee=filters.get("assignee") or "",
            failing=filters.get("failing") or "",
            # TenantViewMixin.dispatch() let only a signed-in member through.
            user=cast(AuthenticatedHttpRequest, self.request).user,
        )
        # The page's keys only (the rows' values come next, for those 25), its SQL compiled once
        # per filter (portal/sqlmemo.py: ~1 ms of the ORM a request). Not an age filter: its
        # bounds come from the clock.
        memo_key = None
        if not filters.get("age"):
            memo_key = (
                "verification:review_queue",
                status,
                filters.get("country") or "",
                filters.get("region"),
                filters.get("assignee") or "",
                self.request.user.pk if filters.get("assignee") == "me" else None,
                filters.get("failing") or "",
            )
        page = keyset_page(
            lambda: cases.values_list("pk", "waiting_since", named=True),
            field_name="waiting_since",
            descending=filters.get("sort") == "newest",
            size=PAGE_SIZE,
            after=self.request.GET.get("after", ""),
            before=self.request.GET.get("before", ""),
            memo_key=memo_key,
        )
        page.object_list = case_queue_rows(page.object_list)
        for case in page.object_list:
            case.sla = case_sla(case, now)
            case.sla_label = SLA_LABELS.get(case.sla, "")
            case.age_days = (now - case.waiting_since).days
        query = {
            k: v
            for k, v in self.request.GET.dict().items()
            if k not in ("page", "after", "before", "v") and v
        }
        # The cached total is keyed by the filter actually applied (what the form accepted, not
        # whatever the address bar holds); "me" differs per reviewer.
        applied = {k: str(v) for k, v in filters.items() if v and k != "sort"}
        total_key = urlencode(sorted({**applied, "me": str(self.request.user.pk)}.items()))
        counts = case_queue_counts_all_tenants(now=now, cases=cases, key=total_key)
        context.update(
            {
                "form": form,
                "page": page,
                "total": counts["total"],
                "count_cap": COUNT_CAP,
                "query_string": urlencode(query),
                "counts": [
                    (value, VerificationCase.reviewer_label(value), counts[value])
                    for value in Status.values
                ],
                "chart": _chart(case_queue_age_buckets(counts)),
            }
        )
        context["queue_live"] = live_region(
            self.request,
            region_id="queue-live",
            endpoint=reverse("verification:review_queue_live"),
            template="verification/_queue_cases.html",
            parts={"queue_counts": "verification/_queue_counts.html"},
            context=context,
            announce=_("The verification queue changed: %(total)s cases match.")
            % {"total": capped(counts["total"])},
        )
        return context


class ReviewQueueLiveView(ReviewQueueView):
    """/review/live/: the queue's cases and counts for the page's filters, polled by the page
    (204 while nothing changed). The same queries as the page."""

    def render_to_response(self, context, **response_kwargs):
        return live_response(self.request, context["queue_live"])


def _reviewer_choices(form: AssignForm) -> AssignForm:
    """The form's reviewers read as a list, once: a ModelChoiceField reads its queryset through
    `.iterator()`, on PostgreSQL a server-side cursor (DECLARE, FETCH, CLOSE) costing ~2 ms of
    CPU of /review/<case>/ for a handful of reviewers. The same choices, made by the field's own
    iterator (its empty label, values and labels); the queryset still validates a POST."""
    field = cast(django_forms.ModelChoiceField, form.fields["assignee"])
    iterator = field.iterator(field)
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    users = list(field.queryset) if field.queryset is not None else []
    field.choices = [*empty, *(iterator.choice(user) for user in users)]
    return form


def _case_context(request, case: VerificationCase, **forms: Any) -> dict[str, Any]:
    """The case page's context. `csrf_input`: the CSRF field of the page's five forms, written
    once a request (`{% csrf_token %}`'s same input; one token serves the whole request)."""
    version = {"version": case.version}
    reviewers = verification_admins_all_tenants()
    return {
        "case": case,
        "profile": case.organization.legal_profile,
        **case_review_records(case_id=case.pk),
        "sla": (sla := case_sla(case, timezone.now())),
        "sla_label": SLA_LABELS.get(sla, ""),
        "approve_form": forms.get("approve_form") or ApproveForm(initial=version),
        "reject_form": forms.get("reject_form") or RejectForm(initial=version),
        "request_form": forms.get("request_form") or RequestInfoForm(initial=version),
        "claim_form": ClaimForm(initial=version),
        "assign_form": _reviewer_choices(
            forms.get("assign_form") or AssignForm(initial=version, reviewers=reviewers)
        ),
        "can_decide": case.status == Status.IN_REVIEW,
        "can_reject": case.status in REJECTABLE_STATUSES,
        "can_assign": case.status in OPEN_STATUSES,
        "csrf_input": csrf_input(request),
    }


class ReviewCaseView(ReviewerViewMixin, TemplateView):
    page_memo = True  # served again while nothing it read changed (portal/pagememo.py)
    template_name = "verification/review_case.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case = case_for_review_page_all_tenants(pk=self.kwargs["pk"])
        context.update(_case_context(self.request, case))
        return context


class ReviewActionView(ReviewerViewMixin, View):
    """POST /review/<id>/<action>/: one reviewer action, refused with a clear message when the
    case moved on since the reviewer loaded it."""

    def post(self, request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
        case = case_for_review_all_tenants(pk=pk)
        actor = request.user
        forms = {
            "approve": ("approve_form", ApproveForm(request.POST)),
            "reject": ("reject_form", RejectForm(request.POST)),
            "request-info": ("request_form", RequestInfoForm(request.POST)),
            "claim": ("claim_form", ClaimForm(request.POST)),
            "assign": (
                "assign_form",
                AssignForm(request.POST, reviewers=verification_admins_all_tenants()),
            ),
        }
        if action not in forms:
            return redirect("verification:review_case", pk=pk)
        name, form = forms[action]
        if not form.is_valid():
            context = _case_context(request, case, **{name: form})
            return render(request, "verification/review_case.html", context, status=400)
        data = form.cleaned_data
        version = data["version"]
        try:
            if action == "approve":
                case_approve(case=case, actor=actor, note=data["note"], expected_version=version)
                done = _("Approved. The partner is verified and we emailed the primary contact.")
            elif action == "reject":
                case_reject(
                    case=case,
                    actor=actor,
                    reason=data["reason"],
                    note=data["note"],
                    expected_version=version,
                )
                done = _("Rejected. We emailed the primary contact the reason.")
            elif action == "request-info":
                case_request_info(
                    case=case,
                    actor=actor,
                    document_types=data["document_types"],
                    message=data["message"],
                    expected_version=version,
                )
                done = _("We asked the partner for more information.")
            elif action == "claim":
                case_claim(case=case, actor=actor, expected_version=version)
                done = _("The case is assigned to you.")
            else:
                case_assign(
                    case=case, actor=actor, assignee=data["assignee"], expected_version=version
                )
                done = _("The case is assigned.")
        except CaseConflict as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, done)
        return redirect("verification:review_case", pk=pk)


class ReviewDocumentView(ReviewerViewMixin, View):
    def get(self, request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
        return serve_document(document_for_review_all_tenants(pk=pk))
