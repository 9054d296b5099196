"""The shared cache while Redis is away: pages are built without it, locks know they hold nothing."""

from __future__ import annotations

import socket

import pytest
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisAway

from consultations.locks import task_lock
from tests.factories.consultations import ConsultationPageFactory


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once it is closed


@pytest.fixture
def redis_away(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "cms.cache_backends.OutageTolerantRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
        }
    }


@pytest.mark.django_db
def test_a_public_page_is_built_while_the_cache_is_away(redis_away, client, home_page):
    consultation = ConsultationPageFactory(title="Quiet lanes")

    answer = client.get(consultation.url)

    assert answer.status_code == 200
    assert "Quiet lanes" in answer.text


def test_reads_miss_and_plain_writes_are_skipped_while_the_cache_is_away(redis_away):
    cache.set("hub:test", "kept")
    assert cache.get("hub:test", "missing") == "missing"
    assert cache.get_many(["hub:test"]) == {}
    assert cache.delete("hub:test") is False


def test_a_lock_is_not_taken_for_granted_while_the_cache_is_away(redis_away):
    with pytest.raises(RedisAway), task_lock("hub:test-lock", seconds=5):
        pass
