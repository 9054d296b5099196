"""Themes and sentiment as facets of the public record: counts, filters, labels, parity."""

from __future__ import annotations

import pytest

from engagement.analysis.selectors import SENTIMENT_LABELS
from engagement.record.models import Response
from search.selectors import ResponseFilters, responses_search
from search.services import search_index_drain
from tests.search.conftest import DATABASE_BACKEND, PUBLIC_KEYS, SENTIMENTS

pytestmark = pytest.mark.django_db

PATH = "/consultations/quieter-streets/responses/"
NEVER_PUBLIC = ("ORIGINAL", "PENDING", "HIDDENWORD", "WITHDRAWNWORD", "SPAMWORD", "Private Person")


@pytest.fixture
def indexed(database_search, analysed):
    search_index_drain()
    return analysed


def _counts(result, facet: str) -> dict[str, int]:
    return {option.value: option.count for option in result.facets[facet]}


def _refs(result) -> set[str]:
    return {response.reference for response in result.page.object_list}


def _public(record, keys) -> set[str]:
    """The references of the public responses among ``keys``."""
    return {record[key].reference for key in keys if key in PUBLIC_KEYS}


def _theme_members(record, theme) -> set[str]:
    """Public members of ``theme`` and of every theme merged into it."""
    themes = [theme, *(t for t in record["themes"].values() if t.is_merged_into_id == theme.pk)]
    return set().union(*(_public(record, record["members"].get(t.pk, ())) for t in themes))


def _expected_sentiments(record, keys=PUBLIC_KEYS) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in keys:
        if key in PUBLIC_KEYS and key in SENTIMENTS:
            counts[SENTIMENTS[key]] = counts.get(SENTIMENTS[key], 0) + 1
    return counts


def _browse(record, **filters):
    return responses_search(
        filters=ResponseFilters(**filters), consultation=record["consultation"], per_page=100
    )


def test_sentiment_facet_counts_analysed_public_responses_only(indexed):
    result = _browse(indexed)

    assert _counts(result, "sentiment") == _expected_sentiments(indexed)
    # In the summary's order, with its labels.
    order = [key for key, _label in SENTIMENT_LABELS]
    values = [option.value for option in result.facets["sentiment"]]
    assert values == sorted(values, key=order.index)
    assert {option.label for option in result.facets["sentiment"]} <= {
        label for _key, label in SENTIMENT_LABELS
    }


def test_a_response_not_analysed_yet_is_absent_from_the_sentiment_facet(indexed):
    unanalysed = [key for key in PUBLIC_KEYS if key not in SENTIMENTS]
    assert unanalysed  # the data has one
    result = _browse(indexed)

    assert sum(_counts(result, "sentiment").values()) == result.total - len(unanalysed)


def test_theme_facet_counts_public_members_of_this_consultations_live_themes(indexed):
    themes = indexed["themes"]
    result = _browse(indexed)

    counts = _counts(result, "theme")
    assert counts == {
        str(themes[name].pk): len(_theme_members(indexed, themes[name]))
        for name in ("buses", "lorries")
    }
    # Members all held back, merged away, or of another consultation: not offered.
    for name in ("held_back", "timetables", "elsewhere"):
        assert str(themes[name].pk) not in counts, name


def test_a_merged_theme_counts_under_the_theme_it_was_merged_into(indexed):
    buses = indexed["themes"]["buses"]
    own = _public(indexed, indexed["members"][buses.pk])
    merged = _theme_members(indexed, buses)
    assert merged > own  # the merged theme brings responses, and one is in both

    assert _counts(_browse(indexed), "theme")[str(buses.pk)] == len(merged)
    assert _refs(_browse(indexed, theme_ids=(buses.pk,))) == merged


def test_the_analysts_label_is_shown_else_the_models(indexed):
    themes = indexed["themes"]
    labels = {option.value: option.label for option in _browse(indexed).facets["theme"]}

    assert labels[str(themes["buses"].pk)] == themes["buses"].analyst_label
    assert labels[str(themes["lorries"].pk)] == themes["lorries"].label


def test_theme_filter_narrows_results_and_keeps_its_own_counts(indexed):
    lorries = indexed["themes"]["lorries"]
    everything = _browse(indexed)
    result = _browse(indexed, theme_ids=(lorries.pk,))

    assert _refs(result) == _theme_members(indexed, lorries)
    assert result.total < everything.total
    assert _counts(result, "theme") == _counts(everything, "theme")
    assert [o.value for o in result.facets["theme"] if o.selected] == [str(lorries.pk)]
    # Other facets count only what the theme filter leaves.
    assert sum(_counts(result, "channel").values()) == result.total


def test_sentiment_filter_narrows_results_and_other_facets_follow(indexed):
    wanted = ("negative",)
    keys = [key for key in PUBLIC_KEYS if SENTIMENTS.get(key) in wanted]
    result = _browse(indexed, sentiments=wanted)

    assert _refs(result) == _public(indexed, keys)
    assert _counts(result, "sentiment") == _counts(_browse(indexed), "sentiment")
    buses = indexed["themes"]["buses"]
    in_buses = _theme_members(indexed, buses) & _public(indexed, keys)
    assert _counts(result, "theme").get(str(buses.pk), 0) == len(in_buses)


def test_theme_and_sentiment_facets_count_only_the_matches_of_a_search(indexed):
    result = responses_search(
        filters=ResponseFilters(q="lorries"), consultation=indexed["consultation"]
    )
    matched = {key for key in PUBLIC_KEYS if indexed[key].reference in _refs(result)}

    assert matched
    assert _counts(result, "sentiment") == _expected_sentiments(indexed, matched)
    for option in result.facets["theme"]:
        theme = next(t for t in indexed["themes"].values() if str(t.pk) == option.value)
        assert option.count == len(_theme_members(indexed, theme) & _public(indexed, matched))


def test_responses_page_shows_theme_and_sentiment_facets_and_filters(client, indexed):
    buses = indexed["themes"]["buses"]
    html = client.get(PATH).content.decode()

    assert f'name="theme" type="checkbox" value="{buses.pk}"' in html
    assert buses.analyst_label in html
    assert buses.label not in html
    assert 'name="sentiment" type="checkbox" value="negative"' in html
    assert indexed["themes"]["held_back"].label not in html
    assert indexed["themes"]["elsewhere"].label not in html
    for marker in NEVER_PUBLIC:
        assert marker not in html, marker

    html = client.get(PATH, {"theme": buses.pk, "sentiment": "negative"}).content.decode()
    expected = _theme_members(indexed, buses) & _public(
        indexed, [key for key in PUBLIC_KEYS if SENTIMENTS.get(key) == "negative"]
    )
    assert f"{len(expected)} response" in html
    assert f'value="{buses.pk}" checked' in html
    assert 'value="negative" checked' in html


def test_bad_theme_or_sentiment_is_reported_and_the_rest_still_applies(client, indexed):
    elsewhere = indexed["themes"]["elsewhere"]
    merged = indexed["themes"]["timetables"]
    for bad in ("buses", elsewhere.pk, merged.pk):
        response = client.get(PATH, {"theme": bad, "sentiment": "positive"})
        html = response.content.decode()
        assert response.status_code == 200
        assert "There is a problem" in html
        assert "Choose a theme from the list" in html
        assert f"{_expected_sentiments(indexed)['positive']} response" in html

    html = client.get(PATH, {"sentiment": "furious"}).content.decode()
    assert "Choose a sentiment from the list" in html
    assert f"{len(PUBLIC_KEYS)} responses" in html


@pytest.mark.search_node
def test_theme_and_sentiment_counts_are_identical_on_the_database_backend_and_opensearch(
    search_backend, analysed, settings
):
    settings.WAGTAILSEARCH_BACKENDS = {
        **settings.WAGTAILSEARCH_BACKENDS,
        "database": DATABASE_BACKEND,
    }
    assert not search_index_drain().failed
    search_backend.get_index_for_model(Response).refresh()
    consultation = analysed["consultation"]
    buses = analysed["themes"]["buses"]
    searches = [
        ResponseFilters(q="buses"),
        ResponseFilters(q="lorries"),
        ResponseFilters(q="buses", theme_ids=(buses.pk,)),
        ResponseFilters(q="buses", sentiments=("negative",)),
        ResponseFilters(q="buses", sentiments=("positive",), channels=("mastodon", "bluesky")),
        ResponseFilters(q="HIDDENWORD"),
    ]

    for filters in searches:
        summaries = []
        for backend_name in ("default", "database"):
            result = responses_search(
                filters=filters, consultation=consultation, backend_name=backend_name
            )
            summaries.append(
                (
                    result.total,
                    sorted(_refs(result)),
                    {
                        name: [(o.value, o.label, o.count) for o in result.facets[name]]
                        for name in ("theme", "sentiment")
                    },
                )
            )
        assert summaries[0] == summaries[1], filters
    # Not trivially equal: both facets have counts for the search.
    buses_search = responses_search(filters=ResponseFilters(q="buses"), consultation=consultation)
    assert buses_search.facets["theme"] and buses_search.facets["sentiment"]
    assert search_backend.__class__.__module__.startswith("modelsearch.backends.opensearch")
