"""rebuild_search_index: everything public is indexed again, behind an alias, with progress."""

from __future__ import annotations

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from modelsearch.backends import get_search_backend
from modelsearch.conf import get_app_config

from engagement.record.models import Response
from search.models import SearchIndexQueue
from search.selectors import ResponseFilters, responses_search

pytestmark = pytest.mark.django_db


def _found(word: str) -> set[str]:
    return {response.reference for response in get_search_backend().search(word, Response)}


def _listed(word: str) -> set[str]:
    found = responses_search(filters=ResponseFilters(q=word), per_page=100)
    return {response.reference for response in found.page.object_list}


def _rebuild() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("rebuild_search_index", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_rebuild_on_the_database_backend_indexes_public_responses_only(record, database_search):
    SearchIndexQueue.objects.all().delete()  # as if the outbox had been lost
    # Entries an earlier version wrote to modelsearch's own table for responses.
    get_search_backend().add_bulk(Response, list(Response.get_indexed_objects()))
    entries = get_app_config().get_model("IndexEntry").objects
    of_responses = entries.filter(content_type=ContentType.objects.get_for_model(Response))
    assert of_responses.count() == 6

    out, _err = _rebuild()

    # The database backend's public search reads the documents, not modelsearch's entries.
    assert "6 search documents written" in out
    assert "Indexed" in out
    assert _listed("cycle") == {record["cycle"].reference}
    assert _listed("HIDDENWORD") == set()
    assert not of_responses.exists()


@pytest.mark.search_node
def test_rebuild_on_opensearch_swaps_an_alias_to_a_new_index(search_backend, record):
    SearchIndexQueue.objects.all().delete()
    index = search_backend.get_index_for_model(Response)

    _rebuild()
    first = set(search_backend.es.indices.get_alias(name=index.name))
    _rebuild()
    second = set(search_backend.es.indices.get_alias(name=index.name))
    index.refresh()

    # The name searches use is an alias, moved to a freshly built index each time.
    assert len(first) == len(second) == 1
    assert first != second
    assert _found("cycle") == {record["cycle"].reference}
    assert _found("HIDDENWORD") == set()
