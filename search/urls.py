from django.urls import path

from search import views

app_name = "hubsearch"

urlpatterns = [
    path("search/", views.site_search, name="site_search"),
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
