"""Documents the partner uploads: PDF, PNG or JPEG by content (not by name), at most 5 MB,
stored in the private default storage under a random name."""

from __future__ import annotations

import filetype
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from portal.models import User
from portal.policy import Action, require_member

from ..models import (
    UPLOAD_STATUSES,
    CaseEvent,
    Document,
    DocumentType,
    InfoRequest,
    VerificationCase,
)
from .cases import case_info_submitted
from .core import CaseConflict, conflict_message, lock_case, record

Status = VerificationCase.Status


class DocumentRejected(ValidationError):
    pass


def _upload_size(file: UploadedFile) -> int:
    """The upload's size in bytes (Django's upload handlers always set it)."""
    assert file.size is not None
    return file.size


def document_check_file(file: UploadedFile) -> str:
    """The file's real content type, or a field error."""
    if _upload_size(file) > Document.MAX_BYTES:
        raise DocumentRejected({"file": _("The file is larger than 5 MB.")})
    file.seek(0)
    kind = filetype.guess(file.read(261))
    file.seek(0)
    if kind is None or kind.mime not in Document.ALLOWED_TYPES:
        raise DocumentRejected({"file": _("Upload a PDF, PNG or JPEG file.")})
    return kind.mime


def document_upload(
    *,
    actor: User,
    case: VerificationCase,
    document_type: str,
    comment: str,
    file: UploadedFile,
) -> Document:
    """Store a document on the case; when the case waited for it (more information, or a
    rejection being fixed) the case goes back to review."""
    require_member(actor=actor, organization=case.organization, action=Action.MANAGE_VERIFICATION)
    if document_type not in DocumentType.values:
        raise DocumentRejected({"document_type": _("Choose a document type.")})
    content_type = document_check_file(file)
    with transaction.atomic():
        case = lock_case(case)
        if case.status not in UPLOAD_STATUSES:
            raise CaseConflict(conflict_message(case))
        request = InfoRequest.objects.filter(case=case, answered_at__isnull=True).first()
        document = Document(
            case=case,
            organization_id=case.organization_id,
            info_request=request,
            document_type=document_type,
            comment=comment,
            original_name=(file.name or "document")[:200],
            content_type=content_type,
            size=_upload_size(file),
            uploaded_by=actor,
        )
        document.file.save(f"{case.pk}", file, save=False)
        try:
            document.save()
            if case.status in (Status.INFO_REQUESTED, Status.REJECTED):
                case_info_submitted(case=case, actor=actor, document_ids=[document.pk])
            else:  # an extra document for a case already in review: on its timeline only
                record(
                    case=case,
                    event_type=CaseEvent.Type.INFO_SUBMITTED,
                    actor=actor,
                    details={"documents": [document.pk]},
                )
        except Exception:
            document.file.delete(save=False)  # no orphan file when the row is not kept
            raise
    return document
