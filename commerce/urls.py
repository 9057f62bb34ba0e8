from django.urls import path

from . import views

app_name = "commerce"

# Paths from DOMAIN.md's URL map: /subscriptions/ and /billing/.
urlpatterns: list = [
    # subscriptions list (views.SubscriptionListView), /subscriptions/
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
    # billing, /billing/ and /billing/export.csv
]
