"""Open data: the CSV and JSON downloads, and the read-only JSON API under /api/v1/.

Included by ``cms/urls.py`` before Wagtail's page serving, which would otherwise
take /consultations/<slug>/... for a page path.
"""

from django.urls import path

from engagement.opendata.api import api
from engagement.opendata.views import ledger_csv, responses_csv, responses_json

urlpatterns = [
    path(
        "consultations/<slug:slug>/responses.csv",
        responses_csv,
        name="consultation_responses_csv",
    ),
    path(
        "consultations/<slug:slug>/responses.json",
        responses_json,
        name="consultation_responses_json",
    ),
    path(
        "consultations/<slug:slug>/ledger.csv",
        ledger_csv,
        name="consultation_ledger_csv",
    ),
    path("api/v1/", api.urls),
]
