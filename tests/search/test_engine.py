"""The public search on OpenSearch: the index is the hub's, the node counts, the words are English."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cms.health import OK, search_health
from engagement.analysis.services import themes_merge
from engagement.record.models import Response
from search.indexes import index_mapping_problems
from search.selectors import ResponseFilters, responses_search
from search.services import search_index_drain, search_index_enqueue
from tests.factories.analysis import ResponseAnalysisFactory
from tests.factories.search import PublicResponseFactory
from tests.search.conftest import at

pytestmark = [pytest.mark.search_node, pytest.mark.django_db]

TOKEN = "engine-test-health-token"


def _drained(backend) -> None:
    result = search_index_drain()
    assert not result.failed, result.error
    backend.get_index_for_model(Response).refresh()


def _found(consultation, q: str, **filters) -> set[str]:
    result = responses_search(
        filters=ResponseFilters(q=q, **filters), consultation=consultation, per_page=100
    )
    return {response.reference for response in result.page.object_list}


def _delete_index(backend) -> str:
    """Remove the responses' index (the alias and what it points to), as a lost node would."""
    index = backend.get_index_for_model(Response)
    for concrete in index.aliased_indices() if index.is_alias() else [index]:
        concrete.delete()
    assert not index.exists()
    return index.name


def test_the_index_built_by_the_hub_has_the_hubs_mapping(search_backend, record):
    _drained(search_backend)

    assert index_mapping_problems(backend=search_backend) == []
    assert search_health().status == OK


def test_a_missing_index_is_created_with_the_hubs_mapping_and_refilled_by_the_drain(
    search_backend, record, settings
):
    settings.HUB_SEARCH_DRAIN_ON_COMMIT = False
    settings.HUB_SEARCH_SWEEP_SETTLE = 0
    _drained(search_backend)
    name = _delete_index(search_backend)

    result = search_index_drain()

    assert not result.failed, result.error
    assert result.created == (name,)
    assert index_mapping_problems(backend=search_backend) == []
    mapping = search_backend.es.indices.get_mapping(index=name)
    fields = next(iter(mapping.values()))["mappings"]["properties"]
    assert fields["indexed_words_en_filter"]["analyzer"] == "hub_english"
    search_backend.get_index_for_model(Response).refresh()
    # Nothing was queued: the record itself refilled the new index.
    assert _found(record["consultation"], "buses") == {
        record[key].reference for key in ("bus", "cycle", "web", "anon_web", "letter")
    }


def test_healthz_reports_an_index_the_node_created_with_a_guessed_mapping(
    search_backend, record, client, settings
):
    _drained(search_backend)
    name = _delete_index(search_backend)
    # What indexing into a missing index used to do: the node guesses the mapping.
    search_backend.es.index(index=name, body={"published_text": "buses"}, refresh=True)

    health = search_health()

    assert health.status != OK
    assert "mapping is not the hub's" in health.status
    assert "the fields pk, _django_content_type, _edgengrams," in health.detail
    assert "answers," in health.detail
    settings.HUB_HEALTH_TOKEN = TOKEN
    answer = client.get("/healthz", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert answer.status_code == 503
    assert "indexed_words_en_filter" in answer.json()["details"]["search"]


def test_healthz_reports_words_not_analysed_as_the_hubs_mapping_says(search_backend, record):
    _drained(search_backend)
    name = _delete_index(search_backend)
    expected = search_backend.mapping_class(Response).get_mapping()
    expected["properties"]["indexed_words_en_filter"] = {"type": "text"}
    search_backend.es.indices.create(
        index=name, body={**search_backend.settings, "mappings": expected}
    )

    health = search_health()

    assert health.status != OK
    assert (
        "indexed_words_en_filter is analysed by the default analyser, "
        "the hub's mapping says hub_english"
    ) in health.detail


def test_bus_finds_buses_and_stop_words_do_not_count(search_backend, record):
    _drained(search_backend)
    consultation = record["consultation"]
    with_buses = {record[key].reference for key in ("bus", "cycle", "web", "anon_web", "letter")}

    assert _found(consultation, "bus") == with_buses
    assert _found(consultation, "the buses") == with_buses
    assert _found(consultation, "lorry") == {record["quiet"].reference, record["letter"].reference}


def test_a_quoted_phrase_matches_only_those_words_together(search_backend, record):
    _drained(search_backend)
    consultation = record["consultation"]

    assert _found(consultation, "buses lanes") == {
        record["cycle"].reference,
        record["letter"].reference,
    }
    assert _found(consultation, '"buses lanes"') == {record["letter"].reference}
    assert _found(consultation, '"ring road"') == {record["letter"].reference}
    assert _found(consultation, '"road ring"') == set()
    assert _found(consultation, 'lorries "ring road"') == {record["letter"].reference}


def test_welsh_words_are_read_by_the_welsh_analyser_and_counted_under_welsh(search_backend, record):
    consultation = record["consultation"]
    welsh = PublicResponseFactory(
        consultation=consultation,
        language="cy",
        published_text="Mae angen mwy o fysiau yn y pentref.",
        received_at=at(2026, 4, 1),
    )
    _drained(search_backend)

    assert _found(consultation, "fysiau") == {welsh.reference}
    # "ac" is a Welsh stop word, not in the response: only the Welsh analyser drops it.
    assert _found(consultation, "ac fysiau") == {welsh.reference}
    result = responses_search(filters=ResponseFilters(q="fysiau"), consultation=consultation)
    assert [(o.value, o.label, o.count) for o in result.facets["language"]] == [
        ("cy", "Welsh (Cymraeg)", 1)
    ]
    only_welsh = responses_search(
        filters=ResponseFilters(languages=("cy",)), consultation=consultation
    )
    assert only_welsh.total == 1


def test_merging_a_theme_and_new_sentiment_reach_the_nodes_counts(
    search_backend, analysed, settings
):
    settings.HUB_SEARCH_DRAIN_ON_COMMIT = False
    _drained(search_backend)
    consultation = analysed["consultation"]
    themes = analysed["themes"]

    def counts(name):
        result = responses_search(filters=ResponseFilters(), consultation=consultation)
        return {option.value: option.count for option in result.facets[name]}

    assert counts("theme")[str(themes["lorries"].pk)] == 1
    themes_merge(themes=[themes["lorries"]], into=themes["buses"], user=None)
    ResponseAnalysisFactory(response=analysed["letter"], sentiment_label="positive")
    _drained(search_backend)

    theme_counts = counts("theme")
    assert str(themes["lorries"].pk) not in theme_counts
    # "quiet" joins bus, cycle, web, anon_web and (merged earlier) letter.
    assert theme_counts[str(themes["buses"].pk)] == 6
    assert counts("sentiment")["positive"] == 3


def _bulk_public_responses(consultation, count: int) -> list[int]:
    """``count`` approved responses, written with bulk_create (not one save at a time)."""
    from engagement.record.models import ModerationState, Respondent

    respondents = Respondent.objects.bulk_create(
        [
            Respondent(channel="mastodon", external_id=f"bulk-{n}", pseudonym=900_000 + n)
            for n in range(count)
        ],
        batch_size=2000,
    )
    start = at(2026, 1, 1)
    Response.objects.bulk_create(
        [
            Response(
                consultation=consultation,
                channel="web" if n % 10 == 0 else "mastodon",
                respondent=respondent,
                received_at=start + timedelta(minutes=n),
                reference=f"BULK-{n}",
                moderation_state=ModerationState.APPROVED,
                published_text=f"More buses please, number {n}",
            )
            for n, respondent in enumerate(respondents)
        ],
        batch_size=2000,
    )
    return list(
        Response.objects.filter(reference__startswith="BULK-")
        .order_by("received_at")
        .values_list("pk", flat=True)
    )


def test_totals_are_exact_past_ten_thousand_and_deep_pages_are_reached(
    search_backend, record, settings
):
    settings.HUB_SEARCH_DRAIN_ON_COMMIT = False
    consultation = record["consultation"]
    # As the record's bulk writes do (responses_changed): queue them, then one drain.
    search_index_enqueue(model=Response, pks=_bulk_public_responses(consultation, 10_050))
    _drained(search_backend)  # the drain writes with _bulk, 500 documents a request
    public_with_buses = 10_050 + 5

    result = responses_search(filters=ResponseFilters(q="bus"), consultation=consultation)

    assert result.total == public_with_buses
    channels = {option.value: option.count for option in result.facets["channel"]}
    assert channels["web"] == 1005 + 2
    assert sum(channels.values()) == public_with_buses
    # A chosen channel narrows the total, not its own facet: the others keep their counts.
    web_only = responses_search(
        filters=ResponseFilters(q="bus", channels=("web",)), consultation=consultation
    )
    assert web_only.total == 1007
    assert {option.value: option.count for option in web_only.facets["channel"]} == channels
    # Past the node's 10,000-hit window (search_after): the oldest responses, newest first.
    last = responses_search(
        filters=ResponseFilters(q="bus", sort="newest"),
        consultation=consultation,
        page_number=503,
        per_page=20,
    )
    assert last.page.number == 503
    # The record's own five come first (March on); 10,040 hits in, 15 are left.
    assert [response.reference for response in last.page.object_list] == [
        f"BULK-{n}" for n in range(14, -1, -1)
    ]


def test_the_database_backend_counts_past_ten_thousand_too(record, database_search):
    consultation = record["consultation"]
    search_index_enqueue(model=Response, pks=_bulk_public_responses(consultation, 10_050))
    assert not search_index_drain().failed

    result = responses_search(filters=ResponseFilters(q="buses"), consultation=consultation)

    assert result.total == 10_050 + 5
    assert sum(option.count for option in result.facets["channel"]) == 10_055
