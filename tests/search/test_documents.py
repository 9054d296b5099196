"""The drain's documents are modelsearch's own, built from plain rows."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from modelsearch import index
from modelsearch.backends.opensearch3 import OpenSearch3Mapping
from opensearchpy.serializer import JSONSerializer

from engagement.analysis.models import Theme
from engagement.record.models import Response
from search import documents
from search.documents import response_documents
from tests.factories.analysis import ResponseAnalysisFactory, ThemeFactory, ThemeMembershipFactory
from tests.factories.search import PublicAnswerFactory, PublicResponseFactory
from tests.search.conftest import PUBLIC_KEYS

pytestmark = pytest.mark.django_db


def _as_sent(document: dict) -> str:
    """The document as the client sends it to the node: key order and value forms count."""
    return JSONSerializer().dumps(document)


def _modelsearch_documents(pks) -> dict[int, str]:
    mapping = OpenSearch3Mapping(Response)
    return {
        response.pk: _as_sent(mapping.get_document(response))
        for response in Response.get_indexed_objects().filter(pk__in=pks)
    }


@pytest.fixture
def varied(analysed):
    """``analysed`` (answers, choices, themes merged and elsewhere, sentiment or none) and
    Welsh, redacted, unknown-language, answers-only and theme-loop responses."""
    consultation = analysed["consultation"]
    free_text, travel = analysed["questions"]
    made = {
        "welsh": PublicResponseFactory(
            consultation=consultation,
            language="cy",
            published_text="Mwy o fysiau yng Nghaerdydd, os gwelwch yn dda.",
        ),
        "welsh_region": PublicResponseFactory(
            consultation=consultation, language="CY-gb", published_text="Bysiau hwyr."
        ),
        "french": PublicResponseFactory(
            consultation=consultation, language="fr", published_text="Plus de bus."
        ),
        "redacted": PublicResponseFactory(
            consultation=consultation,
            language="en-GB",
            published_text="Call me on [phone removed] or [email removed] \u2014 thanks \u00e9\u00f1.",
        ),
        "answers_only": PublicResponseFactory(consultation=consultation, published_text=""),
        "no_answers": PublicResponseFactory(consultation=consultation, language=""),
    }
    PublicAnswerFactory(
        response=made["answers_only"], question=travel, published_text="", text="", choices=["Car"]
    )
    PublicAnswerFactory(
        response=made["answers_only"], question=free_text, published_text="Ateb yn Gymraeg."
    )
    PublicAnswerFactory(response=made["welsh"], question=free_text, published_text="Ydw.")
    # An answer whose question was edited away: listed, but in no question facet.
    PublicAnswerFactory(response=made["redacted"], question=None, published_text="Old question.")
    PublicAnswerFactory(response=made["redacted"], question=travel, published_text="", choices=[])
    ResponseAnalysisFactory(response=made["welsh"], sentiment_label="positive")
    ResponseAnalysisFactory(response=made["french"], sentiment_label="")
    first = ThemeFactory(consultation=consultation, label="loop one")
    second = ThemeFactory(consultation=consultation, label="loop two", is_merged_into=first)
    # A chain that loops (written past the services' checks): counts nowhere.
    Theme.objects.filter(pk=first.pk).update(is_merged_into=second)
    ThemeMembershipFactory(theme=second, response=made["welsh"])
    ThemeMembershipFactory(theme=analysed["themes"]["timetables"], response=made["welsh"])
    ThemeMembershipFactory(theme=analysed["themes"]["elsewhere"], response=made["french"])
    analysed.update(made)
    return analysed


def test_documents_are_modelsearch_documents_byte_for_byte(varied):
    keys = (*PUBLIC_KEYS, "welsh", "welsh_region", "french", "redacted", "answers_only")
    keys = (*keys, "no_answers")
    pks = [varied[key].pk for key in keys]
    want = _modelsearch_documents(pks)

    built = response_documents(response_ids=pks, mapping_class=OpenSearch3Mapping)

    assert {item.pk: _as_sent(item.document) for item in built} == want
    assert len(want) == len(keys)
    by_pk = {item.pk: item.document for item in built}
    # The comparison covered what each case is for, not only empty fields.
    assert by_pk[varied["welsh"].pk]["indexed_words_cy_filter"].startswith("Mwy o fysiau")
    assert by_pk[varied["welsh"].pk]["indexed_words_en_filter"] == ""
    assert by_pk[varied["welsh"].pk]["indexed_theme_ids_filter"] == [varied["themes"]["buses"].pk]
    assert by_pk[varied["web"].pk]["indexed_question_ids_filter"] == sorted(
        question.pk for question in varied["questions"]
    )
    assert by_pk[varied["bus"].pk]["indexed_sentiment_filter"] == "positive"
    assert len(by_pk[varied["redacted"].pk]["answers"]) == 2


def test_documents_carry_the_rows_updated_at():
    response = PublicResponseFactory()

    [built] = response_documents(response_ids=[response.pk], mapping_class=OpenSearch3Mapping)

    assert built.updated_at == Response.objects.get(pk=response.pk).updated_at


def test_rows_that_are_not_public_get_no_document(varied):
    hidden = [varied[key].pk for key in ("pending", "hidden", "withdrawn", "spam")]

    built = response_documents(
        response_ids=[*hidden, varied["bus"].pk, 10**9], mapping_class=OpenSearch3Mapping
    )

    assert [item.pk for item in built] == [varied["bus"].pk]


def test_a_search_field_the_builder_cannot_read_stops_it(monkeypatch):
    response = PublicResponseFactory()
    documents._plan.cache_clear()
    monkeypatch.setattr(
        Response, "search_fields", [*Response.search_fields, index.FilterField("url")]
    )
    try:
        with pytest.raises(ImproperlyConfigured, match="FilterField\\('url'\\)"):
            response_documents(response_ids=[response.pk], mapping_class=OpenSearch3Mapping)
    finally:
        documents._plan.cache_clear()
