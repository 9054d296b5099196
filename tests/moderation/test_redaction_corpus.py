"""The redaction engine measured on the labelled corpus in `redaction_corpus/`.

How spans are scored, per category (the category of a labelled span or of a removal):

- A labelled span is **found** (a true positive for recall) when removals of its own
  category, taken together, cover every letter and digit in it; otherwise it is
  **missed** (a false negative). Part of a phone number left in the published text is
  a leak, so partial cover counts as a miss.
- A removal is **correct** (a true positive for precision) when it overlaps, by at least
  one character, a labelled span of its own category; otherwise it is a **false
  positive**: it ate something the consultation needed, or called it the wrong thing.

Recall is found / labelled, precision is correct / removals, per category and over all
of them. The figures are printed on every run (not only with `-s`).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from engagement.moderation.redaction import MentionPolicy, RemovalKind, redact

CORPUS_DIRECTORY = Path(__file__).resolve().parent / "redaction_corpus"

# Organisational accounts stay; every other handle is a private person's.
CORPUS_MENTION_POLICY = MentionPolicy(
    keep=frozenset(
        {
            "transportgovuk",
            "DHSCgovuk",
            "dhscgovuk.bsky.social",
            "WelshGovernment",
            "LlywodraethCymru",
            "cardiffcouncil",
            "CardiffBusNews",
        }
    )
)

OVERALL_RECALL_TARGET = 0.99
OVERALL_PRECISION_TARGET = 0.98
CATEGORY_RECALL_TARGET = 0.97


@dataclass(frozen=True)
class LabelledSpan:
    start: int
    end: int
    category: str


@dataclass(frozen=True)
class LabelledText:
    identifier: str
    channel: str
    text: str
    spans: tuple[LabelledSpan, ...]


def load_corpus() -> list[LabelledText]:
    texts = []
    for path in sorted(CORPUS_DIRECTORY.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts.append(
                LabelledText(
                    identifier=record["id"],
                    channel=record["channel"],
                    text=record["text"],
                    spans=tuple(LabelledSpan(**span) for span in record["spans"]),
                )
            )
    return texts


CORPUS = load_corpus()


@dataclass
class Score:
    found: Counter[str]
    labelled: Counter[str]
    correct: Counter[str]
    removed: Counter[str]
    misses: list[str]
    false_positives: list[str]


def score(corpus: list[LabelledText]) -> Score:
    result = Score(Counter(), Counter(), Counter(), Counter(), [], [])
    for example in corpus:
        removals = redact(example.text, mentions=CORPUS_MENTION_POLICY).removals
        for span in example.spans:
            result.labelled[span.category] += 1
            covered = set()
            for removal in removals:
                if removal.kind.value == span.category:
                    covered.update(range(removal.start, removal.end))
            needed = {
                position
                for position in range(span.start, span.end)
                if example.text[position].isalnum()
            }
            if needed <= covered:
                result.found[span.category] += 1
            else:
                result.misses.append(
                    f"{example.identifier} {span.category}: {example.text[span.start : span.end]!r}"
                )
        for removal in removals:
            kind = removal.kind.value
            result.removed[kind] += 1
            if any(
                span.category == kind and span.start < removal.end and removal.start < span.end
                for span in example.spans
            ):
                result.correct[kind] += 1
            else:
                result.false_positives.append(
                    f"{example.identifier} {kind}: {example.text[removal.start : removal.end]!r}"
                )
    return result


def ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 1.0


def report(result: Score) -> str:
    lines = [
        "",
        f"Redaction corpus: {len(CORPUS)} texts, "
        f"{sum(1 for example in CORPUS if not example.spans)} with nothing to remove",
        f"  {'category':<21} {'precision':>9} {'recall':>7} {'labelled':>8} {'removed':>8}",
    ]
    for kind in RemovalKind:
        category = kind.value
        lines.append(
            f"  {category:<21} {ratio(result.correct[category], result.removed[category]):>9.3f}"
            f" {ratio(result.found[category], result.labelled[category]):>7.3f}"
            f" {result.labelled[category]:>8} {result.removed[category]:>8}"
        )
    lines.append(
        f"  {'overall':<21}"
        f" {ratio(sum(result.correct.values()), sum(result.removed.values())):>9.3f}"
        f" {ratio(sum(result.found.values()), sum(result.labelled.values())):>7.3f}"
        f" {sum(result.labelled.values()):>8} {sum(result.removed.values()):>8}"
    )
    lines.extend(f"  missed          {miss}" for miss in result.misses)
    lines.extend(f"  false positive  {false}" for false in result.false_positives)
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def corpus_score() -> Score:
    return score(CORPUS)


def test_corpus_is_large_varied_and_every_label_is_a_category_in_its_text():
    assert len(CORPUS) >= 1000
    assert len({example.identifier for example in CORPUS}) == len(CORPUS)
    assert sum(1 for example in CORPUS if not example.spans) >= 150
    assert {example.channel for example in CORPUS} >= {
        "x",
        "mastodon",
        "bluesky",
        "email",
        "letter",
        "web",
    }
    per_category = Counter(span.category for example in CORPUS for span in example.spans)
    for kind in RemovalKind:
        assert per_category[kind.value] >= 25, kind
    for example in CORPUS:
        for span in example.spans:
            assert 0 <= span.start < span.end <= len(example.text), example.identifier
            assert (
                example.text[span.start : span.end].strip() == example.text[span.start : span.end]
            ), example.identifier


def test_corpus_precision_and_recall_meet_the_targets(corpus_score, capsys):
    with capsys.disabled():
        sys.stdout.write(report(corpus_score))

    found, labelled = sum(corpus_score.found.values()), sum(corpus_score.labelled.values())
    correct, removed = sum(corpus_score.correct.values()), sum(corpus_score.removed.values())
    assert ratio(found, labelled) >= OVERALL_RECALL_TARGET
    assert ratio(correct, removed) >= OVERALL_PRECISION_TARGET
    for kind in RemovalKind:
        category = kind.value
        recall = ratio(corpus_score.found[category], corpus_score.labelled[category])
        assert recall >= CATEGORY_RECALL_TARGET, (category, recall)


def test_replies_written_in_welsh_lose_all_their_personal_data_and_nothing_else():
    """handwritten_welsh.txt: Welsh street names before the name ("12 Heol y Frenhines"),
    "rhif ffôn", "e-bost", "fy enw i yw", Welsh ordinals and months ("5ed o Fehefin"),
    and Welsh counts of streets and roads that are no address ("Mae 5 heol ar gau")."""
    welsh = [example for example in CORPUS if example.identifier.startswith("hc-")]
    result = score(welsh)

    assert len(welsh) >= 75
    assert sum(result.labelled.values()) >= 60
    assert result.misses == []
    assert result.false_positives == []


def test_scoring_counts_a_partly_removed_item_as_missed_and_a_wrong_category_as_wrong():
    # The scorer itself, on texts whose outcome is known: it must be able to fail.
    half_phone = LabelledText(
        identifier="t1",
        channel="web",
        text="ring 07700 900123 now",
        spans=(LabelledSpan(start=5, end=17, category="postcode"),),
    )
    result = score([half_phone])

    assert result.found["postcode"] == 0
    assert result.removed["phone"] == 1
    assert result.correct["phone"] == 0


def test_corpus_texts_redact_to_the_same_text_twice():
    for example in CORPUS:
        once = redact(example.text, mentions=CORPUS_MENTION_POLICY)
        twice = redact(once.text, mentions=CORPUS_MENTION_POLICY)
        assert twice.text == once.text, example.identifier
        assert twice.removals == (), example.identifier
