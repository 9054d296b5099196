from django.urls import path

from search import status, views

app_name = "hubsearch"

urlpatterns = [
    path("search/", views.site_search, name="site_search"),
    path("response-status/", status.response_status_lookup, name="response_status"),
    path(
        "consultations/<slug:slug>/responses/",
        views.consultation_responses,
        name="consultation_responses",
    ),
    path(
        "consultations/<slug:slug>/responses/<str:reference>/",
        views.consultation_response,
        name="consultation_response",
    ),
]
