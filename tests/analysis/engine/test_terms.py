from __future__ import annotations

from collections import Counter

import pytest

from engagement.analysis.engine.terms import content_words, language_mix, top_terms

WELSH = (
    "Rwy'n cefnogi'r cynllun i wella'r llwybrau beicio yn y dref.",
    "Mae angen mwy o fysiau yn y pentref bob dydd.",
    "Dylai'r llyfrgell aros ar agor ar ddydd Sadwrn.",
    "Byddai hyn yn dda i'r gymuned leol a'r plant.",
    "Nid wyf yn cytuno â chau'r ganolfan hamdden.",
    "Diolch am ofyn barn trigolion y sir.",
)
FRENCH = (
    "Je suis contre la fermeture de la bibliothèque municipale.",
    "Il faut plus de pistes cyclables dans le centre-ville.",
    "Nous voulons garder le parc pour nos enfants.",
    "Les transports en commun sont trop chers pour les familles.",
)
TOO_SHORT = ("Agreed.", "No thanks", "👍")


def test_top_terms_count_each_reply_once_per_term(corpus):
    terms = top_terms(corpus.texts, n=15)
    # A plain recount, independent of top_terms' own counting.
    for term in terms:
        assert term.count == sum(term.term in set(content_words(t)) for t in corpus.texts)
    assert [t.count for t in terms] == sorted((t.count for t in terms), reverse=True)
    assert len(terms) == 15


def test_top_terms_tally_a_hand_made_set_exactly():
    texts = [
        "The library, the library! Whilst the library is open, we are happy.",
        "Keep the library open on Saturdays.",
        "Buses are late; the buses are full.",
        "Whilst I agree about buses, the colour of the new buses is awful.",
    ]
    assert [(t.term, t.count) for t in top_terms(texts, n=4)] == [
        ("buses", 2),
        ("library", 2),
        ("open", 2),
        ("agree", 1),
    ]


def test_stop_words_and_british_forms_are_left_out():
    words = content_words("Whilst amongst the neighbours, I really think the council's colour is")
    assert words == ["neighbours", "council", "colour"]


def test_language_mix_tallies_are_exact():
    english = ("I would like the library to stay open on Saturdays.",) * 7
    texts = english + WELSH + FRENCH + TOO_SHORT
    mix = language_mix(texts)
    assert {(m.language, m.count) for m in mix} == {("en", 7), ("cy", 6), ("fr", 4), ("und", 3)}
    assert [m.language for m in mix] == ["en", "cy", "fr", "und"]
    assert sum(m.share for m in mix) == pytest.approx(1.0)
    assert next(m for m in mix if m.language == "cy").share == 6 / len(texts)


def test_synthetic_corpus_tallies_match_its_own_labels(corpus):
    counts = Counter(corpus.topics)
    assert counts["campaign"] == len(corpus.campaign_indices) == 50
    assert all(counts[topic] == 60 for topic in counts if topic != "campaign")
    assert language_mix(corpus.texts)[0].language == "en"
