from django.urls import path

from . import views  # noqa: F401
from . import views_lists as lists

app_name = "commerce"

# Paths from DOMAIN.md's URL map: /subscriptions/ and /billing/.
urlpatterns: list = [
    path("subscriptions/", lists.SubscriptionListView.as_view(), name="subscriptions"),
    # subscription detail and actions, /subscriptions/<int:pk>/, /subscriptions/<int:pk>/<action>/
    # order for a customer, /customers/<int:customer_id>/order/
    path("billing/", lists.BillingView.as_view(), name="billing"),
    path("billing/export.csv", lists.BillingExportView.as_view(), name="billing_export"),
]
