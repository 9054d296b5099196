"""Language detection (engagement/languages.py) measured on the labelled replies.

    .venv/bin/python scripts/bench_language.py [--floor 0.95]

Reads tests/analysis/data/language_labelled.csv (short replies in Welsh, English and
both, each labelled with the language of most of its words, or "und" when it has fewer
than three) and prints precision and recall for Welsh (cy) and English (en), over all
replies and over the code-switched ones alone, the replies it got wrong, and texts per
second. Exits 1 when precision or recall for cy or en falls below ``--floor``.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engagement.languages import language_detect  # noqa: E402

LABELLED = Path(__file__).resolve().parent.parent / "tests/analysis/data/language_labelled.csv"
LANGUAGES = ("cy", "en")


def precision_recall(pairs: list[tuple[str, str]], language: str) -> tuple[float, float]:
    """Over (label, detected) pairs; 1.0 where nothing was labelled or detected."""
    hits = sum(1 for label, detected in pairs if label == detected == language)
    detected = sum(1 for _label, found in pairs if found == language)
    labelled = sum(1 for label, _found in pairs if label == language)
    return (hits / detected if detected else 1.0), (hits / labelled if labelled else 1.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--floor", type=float, default=0.95, help="precision and recall, or exit 1")
    arguments = parser.parse_args()
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    language_detect("warm up the model once")
    started = time.perf_counter()
    detected = [language_detect(row["text"]) for row in rows]
    seconds = time.perf_counter() - started
    pairs = [(row["language"], found) for row, found in zip(rows, detected, strict=True)]
    mixed = [pair for pair, row in zip(pairs, rows, strict=True) if row["kind"] == "mixed"]
    print(
        f"{len(rows)} labelled replies ({len(mixed)} code-switched), {len(rows) / seconds:,.0f}/s"
    )
    failures = []
    for language in LANGUAGES:
        precision, recall = precision_recall(pairs, language)
        mixed_precision, mixed_recall = precision_recall(mixed, language)
        print(
            f"{language}: precision {precision:.3f} recall {recall:.3f}"
            f"  (code-switched: precision {mixed_precision:.3f} recall {mixed_recall:.3f})"
        )
        if min(precision, recall) < arguments.floor:
            failures.append(f"{language} below {arguments.floor}")
    for row, found in zip(rows, detected, strict=True):
        if found != row["language"]:
            print(f"  labelled {row['language']}, detected {found}: {row['text']}")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
