"""The public search reads Welsh on the real OpenSearch node: mutations, stop words, plurals."""

from __future__ import annotations

import pytest

from engagement.record.models import Response
from search.indexes import index_mapping_problems
from search.selectors import ResponseFilters, responses_search
from search.services import search_index_drain
from search.welsh import welsh_search_forms
from tests.factories.search import PublicResponseFactory
from tests.search.conftest import at

pytestmark = [pytest.mark.search_node, pytest.mark.django_db]

WELSH_REPLIES = {
    "cardiff": "Mae'r aer yng Nghaerdydd yn ofnadwy ar ddiwrnod gêm",
    "soft_bus": "Does dim byd gwaeth na disgwyl am y fws yn y glaw",
    "nasal_bus": "Dwi'n colli fy mws i'r gwaith bob bore",
    "buses": "Mae angen mwy o fysiau yn y cymoedd",
    "city": "Mae canol y ddinas yn llawn ceir drwy'r dydd",
    "trains": "Dylai'r trenau redeg yn amlach na hyn",
}


def _drained(backend) -> None:
    result = search_index_drain()
    assert not result.failed, result.error
    backend.get_index_for_model(Response).refresh()


@pytest.fixture
def welsh(search_backend, record):
    consultation = record["consultation"]
    made = {
        key: PublicResponseFactory(
            consultation=consultation,
            language="cy",
            published_text=text,
            received_at=at(2026, 4, 1 + position),
        )
        for position, (key, text) in enumerate(WELSH_REPLIES.items())
    }
    made["english"] = PublicResponseFactory(
        consultation=consultation,
        language="en-GB",
        published_text="The buses in Cardiff are late every day",
        received_at=at(2026, 4, 20),
    )
    _drained(search_backend)
    return consultation, {key: response.reference for key, response in made.items()}


def _found(consultation, q: str) -> set[str]:
    result = responses_search(filters=ResponseFilters(q=q), consultation=consultation, per_page=100)
    return {response.reference for response in result.page.object_list}


def test_caerdydd_finds_yng_nghaerdydd(welsh):
    consultation, made = welsh
    assert _found(consultation, "Caerdydd") == {made["cardiff"]}
    assert _found(consultation, "Nghaerdydd") == {made["cardiff"]}


def test_bws_finds_its_mutations_and_its_plural(welsh):
    consultation, made = welsh
    every_bus = {made["soft_bus"], made["nasal_bus"], made["buses"]}
    assert _found(consultation, "bws") == every_bus
    # A mutated form typed in the box finds the others too.
    assert _found(consultation, "fws") == every_bus
    assert _found(consultation, "bysiau") == every_bus


def test_dinas_finds_y_ddinas_and_stop_words_do_not_narrow_a_search(welsh):
    consultation, made = welsh
    assert _found(consultation, "dinas") == {made["city"]}
    # "yn", "y" are Welsh stop words, in no reply as words that matter.
    assert _found(consultation, "yn y ddinas") == {made["city"]}


def test_a_welsh_word_does_not_find_replies_about_something_else(welsh):
    consultation, made = welsh
    assert _found(consultation, "trên") == {made["trains"]}
    assert made["trains"] not in _found(consultation, "bws")
    assert _found(consultation, "tram") == set()


def test_the_node_and_the_python_rules_read_welsh_alike(welsh, search_backend):
    """welsh_search_forms is what a backend without the node would index: it must agree."""
    index = search_backend.get_index_for_model(Response)
    words = [
        "Nghaerdydd", "Gaerdydd", "Chaerdydd", "fws", "mws", "bysiau", "fysiau", "ddinas",
        "hafon", "waith", "lôn", "Rhodfa", "thrên", "mhentref", "ngwaith", "mae'r", "yn",
    ]  # fmt: skip
    for word in words:
        answer = search_backend.es.indices.analyze(
            index=index.name, body={"analyzer": "hub_welsh", "text": word}
        )
        assert {token["token"] for token in answer["tokens"]} == welsh_search_forms(word), word


def test_the_live_index_has_the_hubs_welsh_analyser(welsh, search_backend):
    assert index_mapping_problems(backend=search_backend) == []


def test_the_language_facet_names_welsh_and_english(welsh):
    consultation, made = welsh
    result = responses_search(filters=ResponseFilters(), consultation=consultation)
    assert [(o.value, o.label, o.count) for o in result.facets["language"]] == [
        ("cy", "Welsh (Cymraeg)", len(WELSH_REPLIES)),
        ("en-GB", "English", 1),
    ]
    welsh_only = responses_search(
        filters=ResponseFilters(languages=("cy",)), consultation=consultation, per_page=100
    )
    assert {response.reference for response in welsh_only.page.object_list} == {
        made[key] for key in WELSH_REPLIES
    }
