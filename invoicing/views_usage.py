"""The provider's usage files (issue 25 item 3, the bulk pattern): /billing/usage/ uploads a
CSV and lists the files uploaded before (a bounded page: a fixed number of queries);
/billing/usage/<id>/ follows the import live (htmx polls `?fragment=progress` every 2 s until it
is done; the state is in the database, so a reload shows the same) and lists the rows not
imported with their reasons. Global and Billing admins of a provider (`Action.IMPORT_USAGE`);
another tenant's file is a 404."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.views import View

from portal.models import Organization
from portal.paging import bounded_page
from portal.policy import Action
from portal.tenancy import TenantViewMixin

from . import selectors
from .forms import UsageUploadForm
from .models import UsageImport
from .usage_csv import COLUMNS, EXAMPLE, MAX_ROWS, template_csv
from .usage_uploads import usage_file_upload

FILES_PER_PAGE = 20
ROWS_PER_PAGE = 50


class _UsageView(TenantViewMixin, View):
    required_action = Action.IMPORT_USAGE
    organization_kinds = {Organization.Kind.PROVIDER}


class UsageUploadView(_UsageView):
    """/billing/usage/: the form, the columns with an example, and the files uploaded."""

    def render_page(
        self, request: HttpRequest, form: UsageUploadForm, status: int = 200
    ) -> HttpResponse:
        return render(
            request,
            "invoicing/usage_upload.html",
            {
                "form": form,
                "columns": COLUMNS,
                "example": EXAMPLE,
                "max_rows": formats.number_format(MAX_ROWS, force_grouping=True),
                "imports": bounded_page(
                    selectors.usage_imports_of(organization=self.organization),
                    request.GET.get("page"),
                    per_page=FILES_PER_PAGE,
                    counted=False,
                ),
            },
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_page(request, UsageUploadForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = UsageUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(request, form, status=400)
        upload = form.cleaned_data["file"]
        try:
            created = usage_file_upload(
                membership=self.membership,
                filename=upload.name,
                data=upload.read(),
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("file", message)
            return self.render_page(request, form, status=400)
        return redirect("invoicing:usage_import", pk=created.pk)


class UsageTemplateView(_UsageView):
    def get(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="usage-template.csv"'
        return response


class UsageImportView(_UsageView):
    """/billing/usage/<id>/: progress, counts and the rows not imported."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        upload = selectors.usage_import_of(organization=self.organization, import_id=pk)
        if upload is None:
            raise Http404
        if request.GET.get("fragment") == "progress":
            return render(request, "invoicing/_usage_progress.html", {"upload": upload})
        problems = bounded_page(
            selectors.usage_import_problems(upload=upload),
            request.GET.get("page"),
            per_page=ROWS_PER_PAGE,
            counted=False,
        )
        return render(
            request,
            "invoicing/usage_import.html",
            {"upload": upload, "problems": problems, "done": UsageImport.Status.DONE},
        )
