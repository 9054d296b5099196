"""Workers and beat run with the web process's settings and channel key, or not at all."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from tests.conftest import PROJECT_DIR, worker_environment
from tests.factories.connectors import ChannelAccountFactory


def _entry_point_settings(module: str) -> str:
    """The settings module an entry point picks when DJANGO_SETTINGS_MODULE is not set."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    code = (
        "import os, sys\n"
        "try:\n"
        f"    import {module}\n"
        "except Exception:\n"
        "    pass  # production settings refuse to load here; the choice is what counts\n"
        "print(os.environ['DJANGO_SETTINGS_MODULE'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_web_process_and_celery_default_to_the_same_settings():
    chosen = {module: _entry_point_settings(module) for module in ("cms.wsgi", "cms.celery")}

    assert chosen == {
        "cms.wsgi": "cms.settings.production",
        "cms.celery": "cms.settings.production",
    }


@pytest.mark.celery_worker
@pytest.mark.parametrize("program", ["worker", "beat"])
@pytest.mark.django_db(transaction=True)
def test_worker_and_beat_refuse_a_channel_key_that_cannot_read_the_stored_channels(
    program, broker_url, tmp_path
):
    channel = ChannelAccountFactory(credentials={"access_token": "stored-by-the-web-process"})
    env = worker_environment(connection)
    env["HUB_CHANNEL_KEY"] = Fernet.generate_key().decode()
    extra = ["--pool=solo", "-Q", "hubtest-never"] if program == "worker" else []
    if program == "beat":
        extra = ["--schedule", str(tmp_path / "beat-schedule")]

    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "cms", program, "--loglevel=INFO", *extra],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "HUB_CHANNEL_KEY cannot decrypt the credentials of 1 channel account(s)" in output
    assert f"ids {channel.pk}" in output
