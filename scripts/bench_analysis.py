"""Benchmark the analysis engine on a synthetic consultation (10,000 replies by default).

    .venv/bin/python scripts/bench_analysis.py [--responses 10000] [--seed 0]

Prints wall time and peak resident memory for each stage. A figure for the notes, not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchkit  # noqa: E402

from engagement.analysis.engine.campaigns import campaigns_find  # noqa: E402
from engagement.analysis.engine.embeddings import MiniLMEmbedder  # noqa: E402
from engagement.analysis.engine.sentiment import VaderSentimentModel  # noqa: E402
from engagement.analysis.engine.synthetic import TOPIC_CLAUSES, synthetic_corpus  # noqa: E402
from engagement.analysis.engine.terms import language_mix, top_terms  # noqa: E402
from engagement.analysis.engine.themes import themes_find  # noqa: E402


def measure(name: str, stage: Callable[[], Any], rows: list[tuple]) -> Any:
    taken = benchkit.measure(stage)
    rows.append((name, taken.seconds, taken.peak_mib, taken.growth_mib))
    print(f"  {name:<22} {taken.seconds:9.2f} s  peak RSS {taken.peak_mib:8.1f} MiB", flush=True)
    return taken.result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    campaign_size = args.responses // 20
    per_topic = (args.responses - campaign_size) // len(TOPIC_CLAUSES)
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{args.responses} replies requested (seed {args.seed})"
    )
    rows: list[tuple] = []
    corpus = measure(
        "generate corpus",
        lambda: synthetic_corpus(seed=args.seed, per_topic=per_topic, campaign_size=campaign_size),
        rows,
    )
    texts = corpus.texts
    print(f"  ({len(texts)} replies, campaign of {len(corpus.campaign_indices)})")
    sentiment_model = measure("load sentiment model", VaderSentimentModel, rows)
    scores = measure("sentiment", lambda: sentiment_model.score(texts), rows)
    embedder = measure("load embedding model", MiniLMEmbedder, rows)
    vectors = measure("embeddings", lambda: embedder.embed(texts), rows)
    themes = measure("themes", lambda: themes_find(texts, embeddings=vectors, seed=args.seed), rows)
    groups = measure("campaigns", lambda: campaigns_find(texts), rows)
    terms = measure("top terms", lambda: top_terms(texts, n=20), rows)
    languages = measure("language mix", lambda: language_mix(texts), rows)

    total = sum(row[1] for row in rows)
    print(f"\n{'stage':<22} {'seconds':>9} {'peak RSS MiB':>13} {'growth MiB':>11}")
    for name, elapsed, peak, growth in rows:
        print(f"{name:<22} {elapsed:9.2f} {peak:13.1f} {growth:11.1f}")
    print(f"{'total':<22} {total:9.2f}")
    print(f"embedding rate: {len(texts) / rows[4][1]:.0f} replies/s")

    labels = [score.label for score in scores]
    print(
        "\nsentiment: "
        + ", ".join(
            f"{label} {labels.count(label)}" for label in ("positive", "neutral", "negative")
        )
    )
    print(f"themes: {len(themes)}")
    for theme in themes:
        print(f"  {theme.size:6d}  {theme.label}")
    print(
        f"near-copy groups: {len(groups)} holding {sum(g.count for g in groups)} replies; "
        f"largest {groups[0].count if groups else 0}"
        + (f" (the campaign: {len(corpus.campaign_indices)})" if corpus.campaign_indices else "")
    )
    print("top terms: " + ", ".join(f"{t.term} {t.count}" for t in terms[:8]))
    print("languages: " + ", ".join(f"{m.language} {m.count}" for m in languages))


if __name__ == "__main__":
    main()
