from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("settings/webhooks/", views.EndpointListView.as_view(), name="endpoints"),
    path("settings/webhooks/add/", views.EndpointAddView.as_view(), name="endpoint_add"),
    path(
        "settings/webhooks/<int:pk>/deliveries/",
        views.DeliveryListView.as_view(),
        name="deliveries",
    ),
    path(
        "settings/webhooks/<int:pk>/rotate/",
        views.EndpointRotateView.as_view(),
        name="endpoint_rotate",
    ),
    path(
        "settings/webhooks/<int:pk>/test/",
        views.EndpointTestView.as_view(),
        name="endpoint_test",
    ),
    path(
        "settings/webhooks/<int:pk>/enable/",
        views.EndpointEnableView.as_view(),
        name="endpoint_enable",
    ),
    path(
        "settings/webhooks/<int:pk>/delete/",
        views.EndpointDeleteView.as_view(),
        name="endpoint_delete",
    ),
]
