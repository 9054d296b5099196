import subprocess
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import override_settings

from tests.conftest import PROJECT_DIR
from tests.services import port_problem

TOKEN = "health-monitor-" + "t" * 24  # noqa: S105 - a test token


@pytest.fixture
def client(client, settings):
    """A monitor holding HUB_HEALTH_TOKEN, which gets the details."""
    settings.HUB_HEALTH_TOKEN = TOKEN
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return client


@pytest.mark.django_db
def test_healthz_reports_every_part_ok_with_real_services(client, broker_url, search_backend):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["search"] == "ok"
    assert body["details"]["search"].startswith("opensearch 3.")


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="")
def test_healthz_without_a_broker_reports_in_process_tasks_and_stays_healthy(client):
    body = client.get("/healthz").json()
    assert body["broker"].startswith("not configured")


@pytest.mark.django_db
def test_healthz_reports_search_failing_when_the_node_is_stopped(client, search_backend):
    script = PROJECT_DIR / "scripts" / "services" / "opensearch.sh"
    port = urlsplit(settings.SEARCH.urls[0]).port
    subprocess.run(["bash", str(script), "stop"], check=True, capture_output=True)
    try:
        assert port_problem("127.0.0.1", port) is not None
        response = client.get("/healthz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "failing"
        assert body["search"].startswith("error: ")
        assert body["database"] == "ok"
    finally:
        subprocess.run(["bash", str(script), "start"], check=True, capture_output=True)
    assert client.get("/healthz").status_code == 200
