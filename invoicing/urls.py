from django.urls import path

from . import views, views_usage

app_name = "invoicing"

# Issue 25's URLs: /billing/invoices/ and /billing/reconciliation/.
urlpatterns: list = [
    path("billing/invoices/", views.InvoiceListView.as_view(), name="invoices"),
    path("billing/invoices/<int:pk>/", views.InvoiceDetailView.as_view(), name="invoice_detail"),
    path("billing/invoices/<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="invoice_pdf"),
    path("billing/reconciliation/", views.ReconciliationView.as_view(), name="reconciliation"),
    path(
        "billing/reconciliation/export.csv",
        views.ReconciliationExportView.as_view(),
        name="reconciliation_export",
    ),
    # The provider's usage files (item 3: the CSV upload, with the bulk pattern).
    path("billing/usage/", views_usage.UsageUploadView.as_view(), name="usage_imports"),
    path(
        "billing/usage/template.csv", views_usage.UsageTemplateView.as_view(), name="usage_template"
    ),
    path("billing/usage/<int:pk>/", views_usage.UsageImportView.as_view(), name="usage_import"),
]
