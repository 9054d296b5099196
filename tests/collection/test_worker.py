"""Collection through real Celery processes: a worker killed mid-poll, and worker + beat end to end.

Each test starts its own worker (and beat) as separate OS processes on a queue of
its own, so it can kill them without touching the suite's shared worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.db import connection

from connectors.models import CollectionState
from connectors.tasks import collect_replies
from engagement.record.models import Respondent, Response
from tests.collection.conftest import announce, post_id
from tests.conftest import PROJECT_DIR, worker_environment
from tests.connectors.conftest import NETWORKS, make_sandbox_channel
from tests.factories.connectors import DepartmentFactory

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _wait_for(condition, *, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


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
        _wait_for(
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


def test_a_worker_killed_mid_poll_loses_nothing_and_duplicates_nothing_after_restart(
    processes, sandboxes, home_page
):
    sandbox = make_sandbox_channel(sandboxes, "x")
    announced = announce(home_page, sandbox)
    expected = {
        announced.reply(announced.root_id, f"voter{n}", f"Reply {n} from a citizen")
        for n in range(400)
    }
    group = processes(HUB_COLLECT_PAGE_SIZE="10", HUB_COLLECT_PAGES_PER_POLL="1000")
    worker = group.worker()
    page, channel = announced.page.pk, announced.channel.pk

    collect_replies.apply_async(args=[page, channel], queue=group.queue)
    _wait_for(
        lambda: Response.objects.filter(consultation_id=page).exists(),
        timeout=60,
        what="the first page to be committed",
        interval=0.01,
    )
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    at_kill = set(
        Response.objects.filter(consultation_id=page).values_list("external_id", flat=True)
    )
    # Killed part-way: some pages committed, not all of them.
    assert 0 < len(at_kill) < len(expected), group.log("worker.log")
    cursor_at_kill = CollectionState.objects.get(consultation_id=page).cursor
    assert cursor_at_kill

    group.worker()
    # The killed task's message stays unacknowledged; beat would enqueue the next poll.
    result = collect_replies.apply_async(args=[page, channel], queue=group.queue)
    assert result.get(timeout=120) == "caught_up", group.log("worker.log")

    recorded = list(
        Response.objects.filter(consultation_id=page).values_list("external_id", flat=True)
    )
    assert len(recorded) == len(set(recorded)) == len(expected)
    assert set(recorded) == expected
    assert at_kill <= set(recorded)
    assert Respondent.objects.filter(responses__consultation_id=page).distinct().count() == len(
        expected
    )


def _post_reply_over_http(base_url: str, parent_id: str, handle: str, text: str) -> dict:
    """What a person does on the demo's sandbox page: POST /_sandbox/replies."""
    answer = requests.post(
        f"{base_url}/_sandbox/replies",
        json={"parent_id": parent_id, "handle": handle, "text": text},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()


def test_with_worker_and_beat_running_a_reply_on_each_network_reaches_the_record(
    processes, sandboxes, home_page
):
    department = DepartmentFactory()
    announced = {
        network: announce(
            home_page, make_sandbox_channel(sandboxes, network, department=department)
        )
        for network in NETWORKS
    }
    group = processes(
        HUB_COLLECT_TICK="2",
        HUB_COLLECT_INTERVAL_X="3",
        HUB_COLLECT_INTERVAL_MASTODON="3",
        HUB_COLLECT_INTERVAL_BLUESKY="3",
    )
    group.worker()
    group.beat()

    replies = {
        network: post_id(
            network,
            _post_reply_over_http(
                item.sandbox.server.base_url,
                item.root_id,
                f"citizen-{network}",
                f"My view, posted on {network}.",
            ),
        )
        for network, item in announced.items()
    }

    def all_recorded():
        return all(
            Response.objects.filter(
                consultation=announced[network].page, channel=network, external_id=reply_id
            ).exists()
            for network, reply_id in replies.items()
        )

    # A functional deadline (the "within a minute"), not a timing measurement.
    _wait_for(
        all_recorded,
        timeout=60,
        what=f"the replies to be collected; beat log:\n{group.log('beat.log')}\n"
        f"worker log:\n{group.log('worker.log')}",
        interval=0.5,
    )
