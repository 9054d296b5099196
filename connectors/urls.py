from django.urls import path

from connectors import views

app_name = "connectors"

urlpatterns = [
    path("webhooks/<slug:network>/", views.network_webhook, name="network_webhook"),
]
