"""The privacy notices' public pages, included by ``cms/urls.py`` before Wagtail's pages."""

from django.urls import path

from consultations import views

urlpatterns = [
    path("privacy/", views.privacy_notice, name="privacy_notice"),
    # <slug> as every public route names its slug, so tests/security walks it too.
    path("privacy/<slug:slug>/", views.privacy_notice, name="privacy_notice_department"),
]
