from django.urls import path

from engagement.analysis import views

urlpatterns = [
    path(
        "consultations/<slug:slug>/summary/",
        views.consultation_summary,
        name="consultation_summary",
    ),
    path(
        "consultations/<slug:slug>/summary.csv",
        views.consultation_summary_csv,
        name="consultation_summary_csv",
    ),
]
