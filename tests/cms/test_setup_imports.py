"""What every process pays for at ``django.setup()``: no library only some work needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Loaded on first use: the analysis' machine learning, and the networks' client libraries
# (the channel form, admin only, and a delivery or a poll import them).
LOADED_ON_FIRST_USE = [
    "sklearn",
    "scipy",
    "atproto",
    "tweepy",
    "mastodon",
    "facebook_business",
    "googleapiclient",
    "linkedin_api",
]


def _loaded_after(program: str) -> list[str]:
    # A fresh process: this one's imports (the other tests') prove nothing.
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed program
        [
            sys.executable,
            "-c",
            f"import django, json, sys; django.setup(); {program}; "
            f"print(json.dumps([m for m in {LOADED_ON_FIRST_USE!r} if m in sys.modules]))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_django_setup_loads_no_library_only_some_work_needs():
    assert _loaded_after("pass") == []


@pytest.mark.parametrize(
    ("program", "loaded"),
    [
        ("from engagement.analysis.engine.terms import stop_words; stop_words()", "sklearn"),
        ("from connectors.forms import ChannelAccountForm", "tweepy"),
    ],
)
def test_the_libraries_load_when_first_used(program, loaded):
    # The check above would pass if the names were wrong: here each one does get loaded.
    assert loaded in _loaded_after(program)
