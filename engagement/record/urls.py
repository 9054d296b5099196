"""The record's public routes, included by ``cms/urls.py`` before Wagtail's pages."""

from django.urls import path

from engagement.record import views

urlpatterns = [
    path(
        "notifications/unsubscribe/<str:token>/",
        views.notification_unsubscribe_view,
        name="notification_unsubscribe",
    ),
]
