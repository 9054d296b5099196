"""The sweep re-sends what the index does not hold as it is, and nothing the drain just wrote."""

from __future__ import annotations

import pytest
from django.utils import timezone

from engagement.record.models import ModerationState, Response
from search.models import ResponseIndexMark, SearchIndexQueue, SearchIndexState
from search.services import search_index_drain
from tests.factories.search import PublicResponseFactory

pytestmark = pytest.mark.django_db


def _version(backend, response: Response) -> int | None:
    """How many times the node was sent this response's document (None: not in the index)."""
    index = backend.get_index_for_model(Response)
    found = backend.es.get(index=index.name, id=str(response.pk), ignore=[404])
    return found.get("_version") if found.get("found") else None


@pytest.fixture
def settled_later(settings):
    """Drains run here; the sweep waits for rows to settle until ``settle_now()``."""
    settings.HUB_SEARCH_DRAIN_ON_COMMIT = False
    settings.HUB_SEARCH_SWEEP_SETTLE = 3600
    # The sweep starts from now: the rows below are all changed after its position.
    assert not search_index_drain().failed

    def settle_now() -> None:
        settings.HUB_SEARCH_SWEEP_SETTLE = 0

    return settle_now


@pytest.mark.search_node
def test_a_response_the_drain_indexed_is_not_sent_again_when_it_settles(
    search_backend, settled_later
):
    responses = PublicResponseFactory.create_batch(3)
    first = search_index_drain()
    assert (first.failed, first.indexed, first.swept) == (False, 3, 0)
    versions = [_version(search_backend, response) for response in responses]
    assert None not in versions

    settled_later()
    result = search_index_drain()

    assert not result.failed, result.error
    assert (result.indexed, result.swept) == (0, 0)
    assert [_version(search_backend, response) for response in responses] == versions
    # Stepped over, not left for later: the sweep's position is past them.
    state = SearchIndexState.objects.get(pk=1)
    assert state.swept_pk == max(response.pk for response in responses)


@pytest.mark.search_node
def test_a_response_whose_outbox_entry_was_lost_is_indexed_by_the_sweep(
    search_backend, settled_later
):
    indexed, lost = PublicResponseFactory.create_batch(2)
    SearchIndexQueue.objects.filter(object_pk=str(lost.pk)).delete()
    search_index_drain()
    assert _version(search_backend, lost) is None

    settled_later()
    result = search_index_drain()

    assert not result.failed, result.error
    assert (result.indexed, result.swept) == (1, 1)
    assert _version(search_backend, lost) == 1
    assert _version(search_backend, indexed) == 1


@pytest.mark.search_node
def test_a_response_changed_after_the_drain_read_it_is_sent_again(search_backend, settled_later):
    response = PublicResponseFactory(published_text="Before.")
    search_index_drain()
    mark = ResponseIndexMark.objects.get(response=response)
    assert mark.updated_at == Response.objects.get(pk=response.pk).updated_at
    # A bulk update: no signal, no outbox entry.
    Response.objects.filter(pk=response.pk).update(
        moderation_state=ModerationState.HIDDEN, updated_at=timezone.now()
    )

    settled_later()
    result = search_index_drain()

    assert (result.removed, result.swept) == (1, 1)
    assert _version(search_backend, response) is None


def test_on_the_database_backend_too_the_sweep_skips_what_the_drain_wrote(
    database_search, settled_later
):
    indexed, lost = PublicResponseFactory.create_batch(2)
    SearchIndexQueue.objects.filter(object_pk=str(lost.pk)).delete()
    assert search_index_drain().indexed == 1

    settled_later()
    result = search_index_drain()

    assert (result.indexed, result.swept) == (1, 1)
    assert set(ResponseIndexMark.objects.values_list("response_id", flat=True)) == {
        indexed.pk,
        lost.pk,
    }
