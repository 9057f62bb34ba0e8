from django.urls import path

from . import views

app_name = "enrollment"

urlpatterns = [
    path("enroll/reseller/welcome/", views.welcome, name="welcome"),
    path("enroll/reseller/start/", views.start, name="start"),
    path("enroll/reseller/<slug:step>/", views.step, name="step"),
    path("dashboard/agreement/", views.AgreementView.as_view(), name="agreement"),
]
