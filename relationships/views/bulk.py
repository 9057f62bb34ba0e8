"""Bulk invitations: upload a CSV (with a downloadable template), review its rows and errors,
confirm, and follow the sending live (htmx polls a fragment every 2 s until it is done; the
state is in the database, so a reload shows the same)."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from portal.form_tokens import FIELD as FORM_TOKEN
from portal.form_tokens import FormTokenForm, Repeat, create_once
from portal.paging import bounded_page
from portal.policy import Action, can
from portal.ratelimit import Rate
from portal.tenancy import TenantViewMixin

from .. import selectors
from ..bulk_csv import MAX_ROWS, template_csv
from ..forms import BulkInvitationUploadForm
from ..lists import csv_safe
from ..models import BulkInvitationBatch, BulkInvitationRow
from ..services import bulk as bulk_services
from ._base import Kind

ROWS_PER_PAGE = 50
PREVIEW_ROWS = 5  # the review page shows the file's first rows as read


def limit_text(rate: Rate) -> str:
    """ "at most 30 invitations an hour": the limit in the words the pages use."""
    values = {"count": rate.amount, "minutes": max(1, rate.seconds // 60)}
    if rate.seconds == 3600:
        text = ngettext(
            "at most %(count)s invitation an hour",
            "at most %(count)s invitations an hour",
            rate.amount,
        )
    elif rate.seconds == 86400:
        text = ngettext(
            "at most %(count)s invitation a day", "at most %(count)s invitations a day", rate.amount
        )
    else:
        text = ngettext(
            "at most %(count)s invitation every %(minutes)s minutes",
            "at most %(count)s invitations every %(minutes)s minutes",
            rate.amount,
        )
    return text % values


def limit_context(batch_kind: str, to_send: int | None = None) -> dict[str, object]:
    """What the pages say about the hourly limit (nothing when it is off): its words and, for a
    file of `to_send` invitations, in how many batches it goes out at least."""
    rate = bulk_services.bulk_send_limit(batch_kind)
    if rate is None:
        return {}
    context: dict[str, object] = {"limit": limit_text(rate)}
    if to_send is not None:
        context["limit_batches"] = math.ceil(to_send / rate.amount)
    return context


class _Echo:
    def write(self, value: str) -> str:
        return value


class BulkViewMixin(TenantViewMixin):
    required_action = Action.VIEW_RELATIONSHIPS
    organization_kinds = {Kind.PROVIDER, Kind.RESELLER}

    @property
    def kind(self) -> str:
        return bulk_services.bulk_kind_for(self.membership)

    def check_can_send(self) -> None:
        if not can(self.membership, bulk_services.ACTIONS[self.kind]):
            raise PermissionDenied

    def batch_or_404(self, pk: int) -> BulkInvitationBatch:
        batch = selectors.bulk_batch_of(organization=self.organization, batch_id=pk)
        if batch is None:
            raise Http404
        return batch


class BulkUploadView(BulkViewMixin, View):
    """/bulk-invitations/: the upload form, the template, and the files sent before."""

    def form(self, data=None, files=None) -> BulkInvitationUploadForm:
        providers = None
        if self.kind == BulkInvitationBatch.Kind.CUSTOMER:
            providers = selectors.active_providers_of_reseller(reseller=self.organization)
        return BulkInvitationUploadForm(data, files, providers=providers)

    def render_page(self, request: HttpRequest, form, status: int = 200) -> HttpResponse:
        return render(
            request,
            "relationships/bulk_upload.html",
            {
                "form": form,
                "kind": self.kind,
                "max_rows": formats.number_format(MAX_ROWS, force_grouping=True),
                **limit_context(self.kind),
                "batches": bounded_page(
                    selectors.bulk_batches_of(organization=self.organization),
                    request.GET.get("page"),
                    per_page=10,
                    counted=False,
                ),
            },
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        self.check_can_send()
        return self.render_page(request, self.form())

    def post(self, request: HttpRequest) -> HttpResponse:
        self.check_can_send()
        form = self.form(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(request, form, status=400)
        upload = form.cleaned_data["file"]
        provider = form.cleaned_data.get("provider")
        try:
            batch, created = bulk_services.bulk_batch_create(
                membership=self.membership,
                filename=upload.name,
                data=upload.read(bulk_services.MAX_UPLOAD_READ),
                provider_id=provider.pk if provider else None,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("file", message)
            return self.render_page(request, form, status=400)
        if not created:
            messages.info(
                request,
                _(
                    "You already sent this file on %(date)s. Nothing was sent again; here is "
                    "what became of each row."
                )
                % {"date": batch.created_at.date().isoformat()},
            )
        return redirect("relationships:bulk_batch", pk=batch.pk)


class BulkTemplateView(BulkViewMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(template_csv(self.kind), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{self.kind}-invitations-template.csv"'
        )
        return response


class BulkBatchView(BulkViewMixin, View):
    """/bulk-invitations/<pk>/: the review page of a draft, the progress page once confirmed;
    `?fragment=progress` is the part htmx polls."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = self.batch_or_404(pk)
        limit = limit_context(batch.kind, batch.to_send)
        if request.GET.get("fragment") == "progress":
            return render(request, "relationships/_bulk_progress.html", {"batch": batch, **limit})
        draft = batch.status == BulkInvitationBatch.Status.DRAFT
        problems = bounded_page(
            selectors.bulk_rows(
                batch=batch,
                statuses=(BulkInvitationRow.Status.INVALID,)
                if draft
                else (BulkInvitationRow.Status.INVALID, BulkInvitationRow.Status.NOT_SENT),
            ),
            request.GET.get("page"),
            per_page=ROWS_PER_PAGE,
            counted=False,
        )
        extra: dict[str, object]
        if draft:
            extra = {"preview": list(selectors.bulk_rows(batch=batch)[:PREVIEW_ROWS])}
        elif batch.kind == BulkInvitationBatch.Kind.CUSTOMER:
            extra = {
                "noted": bounded_page(
                    selectors.bulk_rows_noted(batch=batch),
                    request.GET.get("notes_page"),
                    per_page=ROWS_PER_PAGE,
                    counted=False,
                )
            }
        else:
            extra = {}
        return render(
            request,
            "relationships/bulk_review.html" if draft else "relationships/bulk_progress.html",
            {
                "batch": batch,
                "problems": problems,
                "confirm_form": FormTokenForm(),
                **limit,
                **extra,
            },
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Confirm a draft: send it (once: a repeat of this POST shows where it stands)."""
        self.check_can_send()
        confirm = FormTokenForm(request.POST)
        if not confirm.is_valid():
            messages.error(request, " ".join(str(e) for e in confirm.non_field_errors()))
            return redirect("relationships:bulk_batch", pk=pk)
        try:
            batch = create_once(
                membership=self.membership,
                purpose=f"relationships.bulk:{pk}",
                key=confirm.cleaned_data[FORM_TOKEN],
                create=lambda: bulk_services.bulk_batch_confirm(
                    membership=self.membership, batch_id=pk
                ),
                result_url=lambda sent: reverse("relationships:bulk_batch", args=[sent.pk]),
            )
        except BulkInvitationBatch.DoesNotExist as exc:
            raise Http404 from exc
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if isinstance(batch, Repeat):
                return batch.response(
                    request, _("You already sent these invitations; here is where they stand.")
                )
        return redirect("relationships:bulk_batch", pk=pk)


class BulkResultsView(BulkViewMixin, View):
    """Every row of the file and what became of it, as CSV (cells made formula-safe)."""

    def rows(self, batch: BulkInvitationBatch) -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield writer.writerow(
            [_("Row"), _("Email"), _("PartnerID"), _("Company name"), _("Result"), _("Reason")]
        )
        labels = dict(BulkInvitationRow.Status.choices)
        for row in selectors.bulk_rows(batch=batch).iterator(chunk_size=1000):
            yield writer.writerow(
                [
                    csv_safe(value)
                    for value in (
                        row.line,
                        row.email,
                        row.partner_id,
                        row.company_name,
                        labels.get(row.status, row.status),
                        row.message,
                    )
                ]
            )

    def get(self, request: HttpRequest, pk: int) -> StreamingHttpResponse:
        batch = self.batch_or_404(pk)
        response = StreamingHttpResponse(self.rows(batch), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="invitations-{batch.pk}.csv"'
        return response
