"""Background exports: the POST that asks for one, its page (status and progress, polled while
it runs) and the download. Only members of the export's organization who may see the list it
comes from get anything; to anyone else an export is a missing page (404)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from .export_services import export_request
from .exports import ExportKind, export_kind, export_params
from .models import Export, Membership
from .selectors import export_of


class ExportViewMixin(LoginRequiredMixin):
    membership: Membership

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership = getattr(request, "membership", None)
        if membership is None:
            return redirect("portal:no_organization")
        self.membership = membership
        return super().dispatch(request, *args, **kwargs)

    def export_or_404(self, pk: int) -> tuple[Export, ExportKind]:
        export = export_of(organization=self.membership.organization, export_id=pk)
        kind = export_kind(export.kind) if export else None
        if export is None or kind is None or not kind.allowed(self.membership):
            raise Http404
        return export, kind


class ExportCreateView(ExportViewMixin, View):
    """POST /exports/ (from the offer page): prepare the export in the background."""

    def post(self, request: HttpRequest) -> HttpResponse:
        kind_name = request.POST.get("kind", "")
        params = export_params(QueryDict(request.POST.get("query", "")))
        try:
            export, created = export_request(
                membership=self.membership,
                kind_name=kind_name,
                params=params,
                language=get_language() or settings.LANGUAGE_CODE,
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        if not created:
            messages.info(request, _("This export is already being prepared."))
        return redirect("portal:export_detail", pk=export.pk)


class ExportDetailView(ExportViewMixin, View):
    """/exports/<pk>/: where the export stands; `?fragment=progress` is the part htmx polls
    while it is waiting or running."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        export, kind = self.export_or_404(pk)
        context = {
            "export": export,
            "kind": kind,
            "poll_seconds": settings.PORTAL_EXPORT_POLL_SECONDS,
        }
        if request.GET.get("fragment") == "progress":
            return render(request, "portal/_export_progress.html", context)
        return render(request, "portal/export_detail.html", context)


class ExportDownloadView(ExportViewMixin, View):
    """/exports/<pk>/download/: the finished file (with its length, so the browser shows how
    much is left)."""

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        export, kind = self.export_or_404(pk)
        if export.status != Export.Status.DONE or not export.file_name:
            raise Http404
        try:
            handle = default_storage.open(export.file_name, "rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        return FileResponse(
            handle,
            as_attachment=True,
            filename=kind.filename,
            content_type="text/csv; charset=utf-8",
        )
