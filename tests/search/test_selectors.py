"""Matching, facet counts, filters, sorting and pages of the public record (database backend)."""

from __future__ import annotations

import pytest

from search.selectors import ResponseFilters, Sort, responses_search
from search.services import search_index_drain
from search.templatetags.hubsearch_tags import highlight

pytestmark = pytest.mark.django_db


def _refs(result) -> list[str]:
    return [response.reference for response in result.page.object_list]


def _counts(result, facet: str) -> dict[str, int]:
    return {option.value: option.count for option in result.facets[facet]}


@pytest.fixture
def indexed(database_search, record):
    search_index_drain()
    return record


def test_browsing_shows_only_public_responses_newest_first(indexed):
    result = responses_search(filters=ResponseFilters(), consultation=indexed["consultation"])

    assert result.total == 6
    assert _refs(result) == [
        indexed[key].reference for key in ("letter", "anon_web", "web", "quiet", "cycle", "bus")
    ]


def test_facets_count_channels_questions_and_months_of_the_matches(indexed):
    free_text, travel = indexed["questions"]

    result = responses_search(
        filters=ResponseFilters(q="buses"), consultation=indexed["consultation"]
    )

    assert result.total == 5
    assert _counts(result, "channel") == {"mastodon": 1, "bluesky": 1, "web": 2, "letter": 1}
    assert _counts(result, "question") == {str(free_text.pk): 1, str(travel.pk): 1}
    assert _counts(result, "month") == {"2026-03": 2, "2026-04": 2, "2026-05": 1}
    assert sum(_counts(result, "channel").values()) == result.total


def test_a_selected_facet_narrows_results_but_keeps_its_own_counts(indexed):
    result = responses_search(
        filters=ResponseFilters(q="buses", channels=("web",), months=("2026-04",)),
        consultation=indexed["consultation"],
    )

    assert set(_refs(result)) == {indexed["web"].reference, indexed["anon_web"].reference}
    # Channel counts ignore the channel selection but honour the month one.
    assert _counts(result, "channel") == {"web": 2}
    # Month counts ignore the month selection but honour the channel one.
    assert _counts(result, "month") == {"2026-04": 2}
    assert [o.value for o in result.facets["channel"] if o.selected] == ["web"]


def test_question_filter_keeps_responses_that_answered_it(indexed):
    _free_text, travel = indexed["questions"]

    result = responses_search(
        filters=ResponseFilters(question_ids=(travel.pk,)), consultation=indexed["consultation"]
    )

    assert _refs(result) == [indexed["web"].reference]


def test_sorting_oldest_and_by_relevance(indexed):
    consultation = indexed["consultation"]
    oldest = responses_search(
        filters=ResponseFilters(q="buses", sort=Sort.OLDEST), consultation=consultation
    )
    relevance = responses_search(
        filters=ResponseFilters(q="buses", sort=Sort.RELEVANCE), consultation=consultation
    )

    assert _refs(oldest)[0] == indexed["bus"].reference
    assert sorted(_refs(relevance)) == sorted(_refs(oldest))
    assert ResponseFilters(q="").effective_sort == Sort.NEWEST
    assert ResponseFilters(q="x").effective_sort == Sort.RELEVANCE


def test_pages_split_the_results(indexed):
    consultation = indexed["consultation"]
    first = responses_search(filters=ResponseFilters(), consultation=consultation, per_page=4)
    second = responses_search(
        filters=ResponseFilters(), consultation=consultation, per_page=4, page_number=2
    )

    assert len(first.page.object_list) == 4
    assert len(second.page.object_list) == 2
    assert not set(_refs(first)) & set(_refs(second))


def test_a_response_hidden_after_indexing_never_shows_even_before_the_drain(indexed):
    response = indexed["cycle"]
    response.moderation_state = "hidden"
    response.moderation_reason = "spam"
    response.save()  # queued, not yet drained: the index still has it

    result = responses_search(
        filters=ResponseFilters(q="cycle"), consultation=indexed["consultation"]
    )

    assert result.total == 0


def test_highlighting_marks_matched_words_and_escapes_everything_else():
    html = highlight("Buses <b>and</b> bus-lanes & busy", ("bus",))

    assert html == (
        '<mark class="hub-highlight">Buses</mark> &lt;b&gt;and&lt;/b&gt; '
        '<mark class="hub-highlight">bus</mark>-lanes &amp; <mark class="hub-highlight">busy</mark>'
    )
    assert highlight("<i>", ()) == "&lt;i&gt;"
