from django.urls import path  # noqa: F401

from . import views  # noqa: F401

app_name = "commerce"

# Paths from DOMAIN.md's URL map: /subscriptions/ and /billing/.
urlpatterns: list = [
    # subscriptions list (views.SubscriptionListView), /subscriptions/
    # subscription detail and actions, /subscriptions/<int:pk>/, /subscriptions/<int:pk>/<action>/
    # order for a customer, /customers/<int:customer_id>/order/
    # billing, /billing/ and /billing/export.csv
]
