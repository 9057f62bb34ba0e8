from django.urls import path

from . import views, views_prices
from . import views_lists as lists

app_name = "commerce"

# Paths from DOMAIN.md's URL map: /subscriptions/ and /billing/.
urlpatterns: list = [
    path("subscriptions/", lists.SubscriptionListView.as_view(), name="subscriptions"),
    path(
        "subscriptions/export.csv",
        lists.SubscriptionExportView.as_view(),
        name="subscriptions_export",
    ),
    path(
        "subscriptions/<int:pk>/",
        views.SubscriptionDetailView.as_view(),
        name="subscription_detail",
    ),
    path(
        "subscriptions/<int:pk>/<str:action>/",
        views.SubscriptionActionView.as_view(),
        name="subscription_action",
    ),
    path("customers/<int:customer_id>/order/", views.OrderView.as_view(), name="order"),
    path("billing/", lists.BillingView.as_view(), name="billing"),
    path("billing/export.csv", lists.BillingExportView.as_view(), name="billing_export"),
    path("billing/price-lists/", views_prices.PriceListView.as_view(), name="price_lists"),
]
