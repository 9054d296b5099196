"""/metrics: the process's request metrics and the hub's own figures, to the health token only."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from cms.observability import REQUEST_ID_HEADER, request_id_bound
from cms.tasks import worker_identity
from connectors.collection.recording import payloads_quarantine
from connectors.models import CollectionState
from connectors.types import QuarantinedItem
from engagement.record.models import ModerationState
from search.services import search_index_enqueue
from tests.factories.connectors import ChannelAccountFactory, DepartmentFactory
from tests.factories.consultations import ConsultationPageFactory
from tests.factories.record import ResponseFactory

TOKEN = "metrics-monitor-" + "m" * 24  # noqa: S105 - a test token


@pytest.fixture
def monitor(client, settings):
    settings.HUB_HEALTH_TOKEN = TOKEN
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return client


def _samples(response) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = response.content.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.mark.django_db
def test_metrics_are_refused_without_the_health_token(client, settings):
    settings.HUB_HEALTH_TOKEN = TOKEN

    anonymous = client.get("/metrics")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")

    assert anonymous.status_code == 403
    assert wrong.status_code == 403
    assert b"hub_" not in anonymous.content + wrong.content


@pytest.mark.django_db
def test_metrics_count_what_the_database_holds(monitor, home_page):
    consultation = ConsultationPageFactory()
    department = DepartmentFactory()
    mastodon = ChannelAccountFactory(department=department, network="mastodon", handle="dept")
    bluesky = ChannelAccountFactory(department=department, network="bluesky", handle="dept.bsky")
    ResponseFactory.create_batch(3, consultation=consultation, channel="mastodon")
    ResponseFactory.create_batch(
        2, consultation=consultation, channel="bluesky", moderation_state=ModerationState.APPROVED
    )
    payloads_quarantine(
        channel=mastodon,
        consultation=consultation,
        items=[
            QuarantinedItem(route="context", raw={"id": "1"}, error="no account", external_id="1")
        ],
    )
    CollectionState.objects.create(
        consultation=consultation,
        channel=bluesky,
        posts_read=40,
        rate_limited_until=timezone.now() + timedelta(minutes=5),
        incomplete_since=timezone.now(),
    )
    CollectionState.objects.create(consultation=consultation, channel=mastodon, posts_read=2)
    search_index_enqueue(model=type(consultation), pks=[consultation.pk])

    response = monitor.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = _samples(response)
    assert samples[("hub_replies_collected_total", (("channel", "mastodon"),))] == 3
    assert samples[("hub_replies_collected_total", (("channel", "bluesky"),))] == 2
    assert samples[("hub_responses", (("state", ModerationState.APPROVED.value),))] == 2
    assert samples[("hub_payloads_quarantined_total", (("network", "mastodon"),))] == 1
    assert samples[("hub_posts_read_total", (("network", "bluesky"),))] == 40
    assert samples[("hub_posts_read_total", (("network", "mastodon"),))] == 2
    assert samples[("hub_collections_rate_limited", (("network", "bluesky"),))] == 1
    assert samples[("hub_collections_rate_limited", (("network", "mastodon"),))] == 0
    assert samples[("hub_collections_incomplete", (("network", "bluesky"),))] == 1
    assert samples[("hub_search_outbox_length", ())] >= 1
    assert samples[("hub_search_outbox_lag_seconds", ())] >= 0
    # django-prometheus's own request metrics are there beside them.
    assert any(name.startswith("django_http_requests") for name, _ in samples)


@pytest.mark.django_db
def test_every_answer_names_its_request_id_and_keeps_a_well_formed_one(client):
    made_up = client.get("/healthz")
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="lb-0123456789abcdef")
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="x\r\nlevel=CRITICAL forged line")

    assert len(made_up[REQUEST_ID_HEADER]) == 32
    assert kept[REQUEST_ID_HEADER] == "lb-0123456789abcdef"
    assert forged[REQUEST_ID_HEADER] != "x\r\nlevel=CRITICAL forged line"
    assert "\n" not in forged[REQUEST_ID_HEADER]


@pytest.mark.django_db
def test_json_log_lines_carry_the_request_id(client, settings):
    """The production log format, configured from the settings' own LOGGING, on a real request."""
    stream = io.StringIO()
    config = json.loads(json.dumps(settings.LOGGING))
    config["handlers"]["console"]["formatter"] = "json"
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        client.get("/no-such-page-anywhere/", HTTP_X_REQUEST_ID="lb-request-42424242")
    finally:
        logging.config.dictConfig(settings.LOGGING)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    not_found = [line for line in lines if "no-such-page-anywhere" in line["message"]]
    assert not_found, stream.getvalue()
    assert not_found[0]["request_id"] == "lb-request-42424242"
    assert not_found[0]["level"] == "WARNING"
    assert not_found[0]["logger"] == "django.request"


@pytest.mark.celery_worker
def test_a_task_runs_in_the_worker_under_the_id_of_the_request_that_sent_it(celery_worker):
    request_id = f"req-{uuid.uuid4().hex}"

    with request_id_bound(request_id):
        carried = worker_identity.delay("with").get(timeout=30)
    without = worker_identity.delay("without").get(timeout=30)

    assert carried["pid"] == celery_worker.pid
    assert carried["request_id"] == request_id
    # The worker forgets it after the task: the next task was sent outside any request.
    assert without["request_id"] == ""
