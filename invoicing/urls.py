from django.urls import path

from . import views

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
]
