"""The database backend's full-text search: PostgreSQL tsvector/GIN and SQLite FTS5.

Run on both engines: with DATABASE_URL set to PostgreSQL (``make test``) and without it
(``make test-embedded``: SQLite). What only one engine does is skipped on the other.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from engagement.record.models import ModerationState, Response
from search import fulltext
from search.models import ResponseDocument
from search.selectors import ResponseFilters, Sort, responses_search
from search.services import search_index_drain, search_index_enqueue
from tests.factories.record import RespondentFactory
from tests.factories.search import PublicResponseFactory
from tests.search.conftest import at

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's English stemming"
)


def _refs(result) -> set[str]:
    return {response.reference for response in result.page.object_list}


def _search(consultation, q: str, **filters):
    return responses_search(filters=ResponseFilters(q=q, **filters), consultation=consultation)


@pytest.fixture
def indexed(database_search, record):
    assert not search_index_drain().failed
    return record


def test_the_words_are_indexed_by_the_database_itself(indexed):
    """The full-text index exists on this engine and holds the public words only."""
    table = fulltext.FTS_TABLE if connection.vendor == "sqlite" else fulltext.DOCUMENTS
    column = "rowid" if connection.vendor == "sqlite" else "response_id"
    match = (
        f"{table} MATCH 'lorries'"
        if connection.vendor == "sqlite"
        else "search_vector @@ plainto_tsquery('english', 'lorries')"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {match}")  # noqa: S608
        found = {row[0] for row in cursor.fetchall()}

    assert found == {indexed["quiet"].pk, indexed["letter"].pk}
    assert set(ResponseDocument.objects.values_list("pk", flat=True)) == {
        indexed[key].pk for key in ("bus", "cycle", "quiet", "web", "anon_web", "letter")
    }


@on_postgresql
def test_bus_finds_buses_with_english_stemming(indexed):
    result = _search(indexed["consultation"], "bus")

    assert result.total == 5
    assert _refs(result) == {
        indexed[key].reference for key in ("bus", "cycle", "web", "anon_web", "letter")
    }
    # Stop words are left out of the query as they are out of the documents.
    assert _search(indexed["consultation"], "the lorries").total == 2


@on_postgresql
def test_welsh_responses_are_read_as_written_not_by_english_rules(indexed):
    welsh = PublicResponseFactory(
        consultation=indexed["consultation"],
        language="cy",
        published_text="Mwy o fysiau buses os gwelwch yn dda",
        received_at=at(2026, 5, 2),
    )
    assert not search_index_drain().failed

    # English stemming would make "bus" match "buses"; the 'simple' config does not.
    assert welsh.reference not in _refs(_search(indexed["consultation"], "bus"))
    assert welsh.reference in _refs(_search(indexed["consultation"], "fysiau"))
    assert welsh.reference in _refs(_search(indexed["consultation"], "buses"))


def test_a_quoted_phrase_matches_the_words_together_and_in_order(indexed):
    consultation = indexed["consultation"]
    apart = PublicResponseFactory(
        consultation=consultation,
        published_text="The road to the ring is long.",
        received_at=at(2026, 5, 3),
    )
    assert not search_index_drain().failed

    phrase = _search(consultation, '"ring road"')
    loose = _search(consultation, "ring road")

    assert _refs(phrase) == {indexed["letter"].reference}
    assert _refs(loose) == {indexed["letter"].reference, apart.reference}
    assert _refs(_search(consultation, 'lorries "ring road"')) == {indexed["letter"].reference}
    assert _search(consultation, '"road ring"').total == 0


def test_operators_and_punctuation_are_plain_words(indexed):
    consultation = indexed["consultation"]

    # FTS5 and tsquery syntax in the query is never read as syntax: "OR" is a word here
    # (a stop word on PostgreSQL), so this asks for lorries and hospital together.
    assert _search(consultation, "lorries OR hospital").total == 0
    assert _search(consultation, "lorries | hospital & !buses").total == 0
    assert _search(consultation, 'lorries* "').total == 2
    assert _search(consultation, '"" ( ) *').total == 0  # no words, no matches


def test_the_documents_follow_the_published_words_and_moderation(indexed):
    consultation = indexed["consultation"]
    quiet = indexed["quiet"]
    quiet.published_text = "Quieter nights, fewer vans."
    quiet.save()
    assert not search_index_drain().failed

    assert _refs(_search(consultation, "lorries")) == {indexed["letter"].reference}
    assert _refs(_search(consultation, "vans")) == {quiet.reference}

    quiet.moderation_state = ModerationState.HIDDEN
    quiet.moderation_reason = "spam"
    quiet.save()
    # Before the drain, the document is still there but the moderation counts at once.
    assert ResponseDocument.objects.filter(pk=quiet.pk).exists()
    assert _search(consultation, "vans").total == 0
    assert not search_index_drain().failed
    assert not ResponseDocument.objects.filter(pk=quiet.pk).exists()


def test_relevance_puts_the_response_that_says_it_most_first(indexed):
    consultation = indexed["consultation"]
    often = PublicResponseFactory(
        consultation=consultation,
        published_text="Lorries, lorries, lorries: lorries all night long.",
        received_at=at(2026, 1, 1),
    )
    assert not search_index_drain().failed

    ranked = responses_search(
        filters=ResponseFilters(q="lorries", sort=Sort.RELEVANCE), consultation=consultation
    )
    newest = responses_search(
        filters=ResponseFilters(q="lorries", sort=Sort.NEWEST), consultation=consultation
    )

    assert ranked.page.object_list[0].reference == often.reference
    assert newest.page.object_list[-1].reference == often.reference
    assert ranked.total == newest.total == 3


def test_totals_facets_and_deep_pages_are_exact_past_ten_thousand(database_search, record):
    consultation = record["consultation"]
    respondent = RespondentFactory()
    count = 10_050
    start = at(2026, 6, 1)
    made = Response.objects.bulk_create(
        [
            Response(
                consultation=consultation,
                channel="mastodon",
                external_id=f"bulk-{n}",
                respondent=respondent,
                text=f"ORIGINAL congestion charge {n}",
                published_text=f"Congestion charge now, reply {n}",
                received_at=start + timedelta(minutes=n),
                moderation_state=ModerationState.APPROVED,
                reference=f"HUB-BULK-{n:05d}",
            )
            for n in range(count)
        ],
        batch_size=2000,
    )
    search_index_enqueue(model=Response, pks=[response.pk for response in made])
    assert not search_index_drain(batch_size=5000, max_batches=10).failed

    result = responses_search(
        filters=ResponseFilters(q="congestion", sort=Sort.OLDEST),
        consultation=consultation,
        per_page=20,
        page_number=503,
    )

    assert result.total == count
    assert {o.value: o.count for o in result.facets["month"]} == {"2026-06": count}
    assert sum(o.count for o in result.facets["channel"]) == count
    # Page 503 of 20 holds the 10,041st to the 10,050th oldest.
    assert [r.reference for r in result.page.object_list] == [
        f"HUB-BULK-{n:05d}" for n in range(10_040, count)
    ]


def test_welsh_words_are_found_through_their_mutations_and_plurals(indexed):
    """The database reads Welsh as the node's hub_welsh analyser does (search.welsh)."""
    consultation = indexed["consultation"]
    cardiff = PublicResponseFactory(
        consultation=consultation,
        language="cy",
        published_text="Dw i'n byw yng Nghaerdydd ac mae'r fws yn hwyr bob bore",
        received_at=at(2026, 5, 4),
    )
    english = PublicResponseFactory(
        consultation=consultation,
        published_text="Nghaerdydd is how my gran writes it after yng",
        received_at=at(2026, 5, 4),
    )
    assert not search_index_drain().failed

    assert cardiff.reference in _refs(_search(consultation, "Caerdydd"))
    assert cardiff.reference in _refs(_search(consultation, "bws"))
    assert cardiff.reference in _refs(_search(consultation, "bysiau"))
    # The words themselves keep their order for a quoted phrase.
    assert cardiff.reference in _refs(_search(consultation, '"yng Nghaerdydd"'))
    # English rows are read by their own rules: no mutation is undone in them.
    assert english.reference not in _refs(_search(consultation, "Caerdydd"))
