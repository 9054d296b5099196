"""Real Celery processes for tests that kill them: a worker (and beat) per test, on a
queue of its own, so a test can SIGKILL them without touching the suite's shared worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import PROJECT_DIR, worker_environment


def wait_for(condition, *, timeout: float, what: str | Callable[[], str], interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    # ``what`` may be a callable, to describe the state at the timeout (a log tail, say).
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what() if callable(what) else what}")


class Processes:
    """Celery processes started by one test, stopped (or killed) by it."""

    def __init__(self, tmp_path: Path, queue: str, extra_env: dict[str, str]):
        self.tmp_path = tmp_path
        self.queue = queue
        self.env = {
            **worker_environment(connection),
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            **extra_env,
        }
        self.started: list[subprocess.Popen] = []

    def _start(self, args: list[str], log_name: str) -> subprocess.Popen:
        log = open(self.tmp_path / log_name, "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "cms", *args],
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.started.append(process)
        return process

    def worker(self) -> subprocess.Popen:
        from cms.celery import app

        name = f"h5c-{uuid.uuid4().hex[:8]}@%h"
        process = self._start(
            [
                "worker",
                "--pool=solo",
                "-n",
                name,
                "-Q",
                self.queue,
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            "worker.log",
        )
        hostname = name.replace("%h", os.uname().nodename)
        wait_for(
            lambda: (
                process.poll() is not None or app.control.ping(destination=[hostname], timeout=0.5)
            ),
            timeout=60,
            what="the Celery worker to start",
        )
        if process.poll() is not None:
            pytest.fail(f"the worker exited:\n{self.log('worker.log')}", pytrace=False)
        return process

    def beat(self) -> subprocess.Popen:
        schedule = self.tmp_path / "celerybeat-schedule"
        return self._start(
            ["beat", "-s", str(schedule), "--loglevel=INFO", "--max-interval=1"], "beat.log"
        )

    def log(self, name: str) -> str:
        path = self.tmp_path / name
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture
def processes(tmp_path, broker_url, django_db_blocker):
    started = []

    def start(**extra_env) -> Processes:
        with django_db_blocker.unblock():
            group = Processes(tmp_path, f"h5c-test-{uuid.uuid4().hex[:8]}", extra_env)
        started.append(group)
        return group

    yield start
    for group in started:
        group.stop()
