from django.urls import path

from .views import contact, partner, review

app_name = "verification"

urlpatterns = [
    path("verification/", partner.VerificationStatusView.as_view(), name="status"),
    path("verification/live/", partner.VerificationLiveView.as_view(), name="status_live"),
    path("verification/upload/", partner.DocumentUploadView.as_view(), name="upload"),
    path("verification/contact/resend/", partner.ContactResendView.as_view(), name="resend"),
    path(
        "verification/contact/change/", partner.ContactChangeView.as_view(), name="change_contact"
    ),
    path(
        "verification/documents/<int:pk>/",
        partner.DocumentDownloadView.as_view(),
        name="document",
    ),
    path(
        "verify-contact/new-link/",
        contact.ContactNewLinkByEmailView.as_view(),
        name="contact_new_link_by_email",
    ),
    path("verify-contact/<str:key>/", contact.ContactConfirmView.as_view(), name="contact_confirm"),
    path(
        "verify-contact/<str:key>/new-link/",
        contact.ContactNewLinkView.as_view(),
        name="contact_new_link",
    ),
    path("review/", review.ReviewQueueView.as_view(), name="review_queue"),
    path("review/live/", review.ReviewQueueLiveView.as_view(), name="review_queue_live"),
    path("review/<int:pk>/", review.ReviewCaseView.as_view(), name="review_case"),
    path("review/<int:pk>/<slug:action>/", review.ReviewActionView.as_view(), name="review_action"),
    path("review/documents/<int:pk>/", review.ReviewDocumentView.as_view(), name="review_document"),
]
