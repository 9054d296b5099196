"""The same search on the database backend and on OpenSearch: same matches, same facet counts."""

from __future__ import annotations

import pytest

from engagement.record.models import Response
from search.selectors import ResponseFilters, responses_search
from search.services import search_index_drain
from tests.search.conftest import DATABASE_BACKEND

pytestmark = [pytest.mark.search_node, pytest.mark.django_db]


def _summary(result):
    return (
        result.total,
        sorted(response.reference for response in result.page.object_list),
        {name: [(o.value, o.count) for o in options] for name, options in result.facets.items()},
    )


def test_facet_counts_are_identical_on_the_database_backend_and_opensearch(
    search_backend, record, settings
):
    settings.WAGTAILSEARCH_BACKENDS = {
        **settings.WAGTAILSEARCH_BACKENDS,
        "database": DATABASE_BACKEND,
    }
    # One drain feeds both backends from the same queue.
    assert not search_index_drain().failed
    search_backend.get_index_for_model(Response).refresh()
    consultation = record["consultation"]
    free_text, travel = record["questions"]
    questions = [
        ResponseFilters(q="buses"),
        ResponseFilters(q="lorries"),
        ResponseFilters(q="hospital"),
        ResponseFilters(q="buses", channels=("web", "letter")),
        ResponseFilters(q="buses", months=("2026-03",)),
        ResponseFilters(q="buses", question_ids=(free_text.pk,)),
        ResponseFilters(q="HIDDENWORD"),
        ResponseFilters(q='"buses" ('),
        # No letters or digits: nothing to match, so nothing on either backend.
        ResponseFilters(q="?!"),
        ResponseFilters(q='""'),
        # Stop words only: dropped by both analysers.
        ResponseFilters(q="the"),
    ]

    for filters in questions:
        on_opensearch = responses_search(
            filters=filters, consultation=consultation, backend_name="default"
        )
        on_database = responses_search(
            filters=filters, consultation=consultation, backend_name="database"
        )
        assert _summary(on_opensearch) == _summary(on_database), filters
    # Not trivially equal: the searches found something, and the facets have counts.
    buses = responses_search(filters=ResponseFilters(q="buses"), consultation=consultation)
    assert buses.total == 5
    assert {o.value: o.count for o in buses.facets["month"]} == {
        "2026-03": 2,
        "2026-04": 2,
        "2026-05": 1,
    }
    assert search_backend.__class__.__module__.startswith("modelsearch.backends.opensearch")
