"""The search outbox: queued with the change, drained in bulk, nothing lost, nothing leaked."""

from __future__ import annotations

import socket

import pytest
from django.db import transaction
from django.utils import timezone

from engagement.moderation.services import responses_withdraw
from engagement.record.models import ModerationReason, ModerationState, Response, WithdrawalReason
from search import fulltext
from search.models import IndexAction, ResponseDocument, SearchIndexQueue
from search.services import search_index_drain
from tests.search.conftest import DATABASE_BACKEND

pytestmark = pytest.mark.django_db


def _found(word: str) -> set[str]:
    """What the database backend's index holds for ``word``: its documents (search.fulltext),
    not the record (the public search also checks the record's moderation columns)."""
    matched = ResponseDocument.objects.filter(pk__in=fulltext.matching_ids(word))
    return set(matched.values_list("response__reference", flat=True))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_saving_a_response_queues_it_in_the_same_transaction(record, database_search):
    SearchIndexQueue.objects.all().delete()
    response = record["bus"]

    with pytest.raises(RuntimeError), transaction.atomic():
        response.published_text = "changed"
        response.save()
        assert SearchIndexQueue.objects.filter(object_pk=str(response.pk)).exists()
        raise RuntimeError("roll back")

    assert not SearchIndexQueue.objects.filter(object_pk=str(response.pk)).exists()
    response.save()
    entry = SearchIndexQueue.objects.get(object_pk=str(response.pk))
    assert (entry.model, entry.action) == ("record.Response", IndexAction.UPDATE)


def test_drain_indexes_public_published_words_only(record, database_search):
    result = search_index_drain()

    assert not result.failed
    assert SearchIndexQueue.objects.count() == 0
    assert _found("buses") == {
        record[key].reference for key in ("bus", "cycle", "web", "anon_web", "letter")
    }
    # The original words (text) are never indexed; non-public rows never are.
    assert _found("ORIGINAL") == set()
    for word in ("PENDINGWORD", "PENDINGSECRET", "HIDDENWORD", "WITHDRAWNWORD", "SPAMWORD"):
        assert _found(word) == set(), word


def test_answers_published_words_are_searchable(record, database_search):
    search_index_drain()

    assert _found("hospital") == {record["web"].reference}


def test_hidden_response_leaves_the_index(record, database_search):
    search_index_drain()
    response = record["quiet"]
    assert _found("lorries") == {response.reference, record["letter"].reference}

    response.moderation_state = ModerationState.HIDDEN
    response.moderation_reason = ModerationReason.ABUSIVE
    response.save()
    search_index_drain()

    assert _found("lorries") == {record["letter"].reference}


def test_withdrawal_at_the_source_is_queued_and_leaves_the_index_at_the_next_drain(
    record, database_search
):
    search_index_drain()
    response = record["cycle"]
    assert _found("cycle") == {response.reference}

    responses_withdraw(
        channel=response.channel,
        external_ids=[response.external_id],
        reason=WithdrawalReason.DELETED_AT_SOURCE,
    )
    assert SearchIndexQueue.objects.filter(object_pk=str(response.pk)).exists()
    search_index_drain()

    assert _found("cycle") == set()


def test_bulk_update_outside_the_services_is_swept_out_of_the_index(
    record, settings, database_search
):
    # QuerySet.update() sends no signal and queues nothing: only the sweep sees it.
    settings.HUB_SEARCH_SWEEP_SETTLE = 0
    search_index_drain()
    response = record["cycle"]
    assert _found("cycle") == {response.reference}

    Response.objects.filter(pk=response.pk).update(
        moderation_state=ModerationState.HIDDEN, updated_at=timezone.now()
    )
    assert not SearchIndexQueue.objects.exists()
    result = search_index_drain()

    assert result.swept >= 1
    assert _found("cycle") == set()


def test_unreachable_search_node_keeps_the_changes_queued_until_it_returns(
    record, settings, database_search
):
    search_index_drain()
    down = {
        "BACKEND": "modelsearch.backends.opensearch3",
        "URLS": [f"http://127.0.0.1:{_free_port()}"],
        "INDEX_PREFIX": "h6b_down_",
        "TIMEOUT": 1,
    }
    settings.WAGTAILSEARCH_BACKENDS = {"default": DATABASE_BACKEND, "down": down}
    response = record["pending"]
    response.moderation_state = ModerationState.APPROVED
    response.save()
    queued = SearchIndexQueue.objects.count()
    assert queued >= 1

    result = search_index_drain()

    assert result.failed
    assert "Connection" in result.error
    assert SearchIndexQueue.objects.count() == queued
    assert set(SearchIndexQueue.objects.values_list("attempts", flat=True)) == {1}
    # The node "returns" (here: only the database backend is configured again).
    settings.WAGTAILSEARCH_BACKENDS = {"default": DATABASE_BACKEND}
    result = search_index_drain()

    assert not result.failed
    assert SearchIndexQueue.objects.count() == 0
    assert response.reference in _found("PENDINGWORD")


def test_deleted_response_is_removed_from_the_index(record, database_search):
    search_index_drain()
    response = record["letter"]
    pk = response.pk
    response.delete()
    assert SearchIndexQueue.objects.filter(object_pk=str(pk), action=IndexAction.DELETE).exists()

    search_index_drain()

    assert _found("ring") == set()
