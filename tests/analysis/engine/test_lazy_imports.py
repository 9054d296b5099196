"""The analysis' heavy libraries load when an analysis runs, not with every process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from engagement.analysis.engine.terms import content_words, stop_words

HEAVY = ("sklearn", "scipy")


def test_django_setup_loads_no_machine_learning_library():
    # A fresh process: this one's imports (the engine tests) prove nothing.
    loaded = subprocess.run(  # noqa: S603 - this interpreter, a fixed program
        [
            sys.executable,
            "-c",
            "import django, json, sys; django.setup(); "
            f"print(json.dumps(sorted(m for m in {list(HEAVY)!r} if m in sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
    )
    assert json.loads(loaded.stdout.strip().splitlines()[-1]) == []


def test_stop_words_are_scikit_learns_and_ours_once_read():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    assert stop_words() >= ENGLISH_STOP_WORDS
    assert {"whilst", "thanks", "don't"} <= stop_words()
    assert content_words("Whilst the buses are thanks to them, the timetable is not") == [
        "buses",
        "timetable",
    ]
