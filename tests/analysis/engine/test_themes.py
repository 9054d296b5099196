from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from engagement.analysis.engine.synthetic import TOPIC_CLAUSES
from engagement.analysis.engine.themes import (
    theme_signature,
    theme_signatures_merge,
    themes_find,
    themes_match,
)

# Share of a topic's replies that must land in its theme, and of a theme that must be on it.
PURITY_THRESHOLD = 0.9


def dominant_topic(theme, topics) -> tuple[str, float]:
    topic, count = Counter(topics[i] for i in theme.member_indices).most_common(1)[0]
    return topic, count / theme.size


def theme_by_topic(themes, topics) -> dict[str, object]:
    found = {}
    for theme in themes:
        topic, purity = dominant_topic(theme, topics)
        if purity >= PURITY_THRESHOLD:
            found[topic] = theme
    return found


@pytest.fixture(scope="module")
def themes(corpus, corpus_embeddings):
    return themes_find(corpus.texts, embeddings=corpus_embeddings, seed=0)


@pytest.fixture(scope="module")
def full_run(corpus, later_replies, corpus_embeddings, later_embeddings):
    """A re-run after later replies arrived: old replies keep their positions."""
    texts = corpus.texts + later_replies.texts
    topics = corpus.topics + later_replies.topics
    vectors = np.vstack([corpus_embeddings, later_embeddings])
    return texts, topics, themes_find(texts, embeddings=vectors, seed=0)


def test_each_topic_is_dominated_by_its_own_theme(corpus, themes, report_line):
    by_topic = theme_by_topic(themes, corpus.topics)
    for topic in (*TOPIC_CLAUSES, "campaign"):
        assert topic in by_topic, f"no theme is at least {PURITY_THRESHOLD:.0%} about {topic}"
        replies = [i for i, t in enumerate(corpus.topics) if t == topic]
        caught = len(set(replies) & set(by_topic[topic].member_indices)) / len(replies)
        report_line(
            f"theme purity, {topic}: {caught:.1%} of its replies in theme '{by_topic[topic].label}'"
        )
        assert caught >= PURITY_THRESHOLD
    assert len({theme.key for theme in by_topic.values()}) == len(by_topic)


def test_every_reply_belongs_to_exactly_one_theme(corpus, themes):
    members = [i for theme in themes for i in theme.member_indices]
    assert sorted(members) == list(range(len(corpus.texts)))
    assert [theme.size for theme in themes] == sorted((t.size for t in themes), reverse=True)
    assert [theme.key for theme in themes] == list(range(len(themes)))


def test_labels_use_the_topics_own_words(corpus, themes):
    expected_word = {
        "cycling": "cycle",
        "libraries": "library",
        "housing": "homes",
        "waste": "recycling",
        "health": "surgery",
        "campaign": "park",
    }
    for topic, theme in theme_by_topic(themes, corpus.topics).items():
        assert expected_word[topic] in theme.terms, (topic, theme.terms)
        assert theme.label == ", ".join(theme.terms[:3])


def test_quotes_are_three_distinct_members_nearest_the_centre(corpus, corpus_embeddings, themes):
    for theme in themes:
        assert len(theme.quotes) == 3
        assert len({quote.text.lower() for quote in theme.quotes}) == 3
        centroid = np.array(theme.centroid)
        similarity = {i: float(corpus_embeddings[i] @ centroid) for i in theme.member_indices}
        for quote in theme.quotes:
            assert quote.text == corpus.texts[quote.index]
            assert quote.index in similarity
        # The best quote is the member closest to the centre.
        assert similarity[theme.quotes[0].index] == pytest.approx(max(similarity.values()))


def test_same_texts_and_seed_give_identical_themes(corpus, corpus_embeddings, themes):
    assert themes_find(corpus.texts, embeddings=corpus_embeddings, seed=0) == themes


def test_same_texts_and_seed_give_identical_themes_when_embedded_afresh(corpus, embedder):
    texts = corpus.texts[:90]
    first = themes_find(texts, embedder=embedder, seed=3, max_themes=6)
    second = themes_find(texts, embedder=embedder, seed=3, max_themes=6)
    assert first == second


def test_small_groups_join_the_nearest_large_theme(corpus, corpus_embeddings):
    themes = themes_find(corpus.texts, embeddings=corpus_embeddings, seed=0, min_size=60)
    assert all(theme.size >= 60 for theme in themes)
    assert sum(theme.size for theme in themes) == len(corpus.texts)


def test_no_texts_give_no_themes_and_a_handful_give_one():
    assert themes_find([], embeddings=np.zeros((0, 384))) == []
    vectors = np.eye(3, 384)
    [only] = themes_find(["Bins.", "Buses.", "Books."], embeddings=vectors)
    assert only.member_indices == (0, 1, 2)


def test_renamed_theme_keeps_its_identity_after_new_replies(corpus, themes, full_run):
    # The analyst accepted every theme and renamed the cycling one; names live with the id.
    saved = [theme_signature(theme, theme_id=f"saved-{theme.key}") for theme in themes]
    names = {
        signature.theme_id: theme.label for signature, theme in zip(saved, themes, strict=True)
    }
    cycling = theme_by_topic(themes, corpus.topics)["cycling"]
    names[f"saved-{cycling.key}"] = "Safer cycling routes"

    _texts, topics, new_themes = full_run
    matches = themes_match(previous=saved, new=new_themes)
    new_cycling = theme_by_topic(new_themes, topics)["cycling"]
    assert names[matches[new_cycling.key].theme_id] == "Safer cycling routes"
    old_by_topic = theme_by_topic(themes, corpus.topics)
    for topic, theme in theme_by_topic(new_themes, topics).items():
        assert matches[theme.key].theme_id == f"saved-{old_by_topic[topic].key}", topic


def test_merged_themes_stay_merged_after_a_rerun(corpus, themes, full_run):
    by_topic = theme_by_topic(themes, corpus.topics)
    merged_parts = [by_topic["libraries"], by_topic["health"]]
    saved = [
        theme_signature(theme, theme_id=f"saved-{theme.key}")
        for theme in themes
        if theme not in merged_parts
    ]
    saved.append(
        theme_signatures_merge(
            [theme_signature(theme, theme_id=None) for theme in merged_parts],
            theme_id="public services",
        )
    )
    _texts, topics, new_themes = full_run
    matches = themes_match(previous=saved, new=new_themes)
    new_by_topic = theme_by_topic(new_themes, topics)
    assert matches[new_by_topic["libraries"].key].theme_id == "public services"
    assert matches[new_by_topic["health"].key].theme_id == "public services"
    assert matches[new_by_topic["cycling"].key].theme_id != "public services"


def test_a_topic_never_seen_before_is_a_new_theme(corpus, corpus_embeddings, full_run):
    kept = [i for i, topic in enumerate(corpus.topics) if topic != "waste"]
    before = themes_find(
        [corpus.texts[i] for i in kept], embeddings=corpus_embeddings[kept], seed=0
    )
    # Saved under response ids (here the positions in the full corpus), as the database would.
    saved = [
        theme_signature(theme, theme_id=f"saved-{theme.key}", response_ids=kept) for theme in before
    ]
    _texts, topics, new_themes = full_run
    matches = themes_match(previous=saved, new=new_themes)
    new_by_topic = theme_by_topic(new_themes, topics)
    assert matches[new_by_topic["waste"].key] is None
    for topic in ("cycling", "libraries", "housing", "health"):
        assert matches[new_by_topic[topic].key] is not None, topic


def test_themes_of_unseen_replies_match_saved_themes_by_meaning(
    corpus, themes, later_replies, later_embeddings
):
    saved = [theme_signature(theme, theme_id=f"saved-{theme.key}") for theme in themes]
    later_themes = themes_find(later_replies.texts, embeddings=later_embeddings, seed=0)
    fresh_ids = [f"later-{i}" for i in range(len(later_replies.texts))]
    matches = themes_match(previous=saved, new=later_themes, response_ids=fresh_ids)
    old_by_topic = theme_by_topic(themes, corpus.topics)
    matched = 0
    for theme in later_themes:
        topic, purity = dominant_topic(theme, later_replies.topics)
        if purity >= PURITY_THRESHOLD:
            assert matches[theme.key].member_overlap is None
            assert matches[theme.key].theme_id == f"saved-{old_by_topic[topic].key}"
            matched += 1
    assert matched >= 3


def test_no_saved_themes_means_every_candidate_is_new(themes):
    assert themes_match(previous=[], new=themes) == {theme.key: None for theme in themes}
