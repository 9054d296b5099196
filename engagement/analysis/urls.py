from django.urls import path

from engagement import views_summary

urlpatterns = [
    path(
        "consultations/<slug:slug>/summary/",
        views_summary.consultation_summary,
        name="consultation_summary",
    ),
    path(
        "consultations/<slug:slug>/summary.csv",
        views_summary.consultation_summary_csv,
        name="consultation_summary_csv",
    ),
]
