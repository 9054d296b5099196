"""Fixtures shared by the whole suite: the page tree and the real services."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale, Page

from tests.services import require_service, url_problem

PROJECT_DIR = Path(__file__).resolve().parent.parent


# --- Transactional tests -----------------------------------------------------------


def pytest_collection_modifyitems(config, items):
    _restore_migrated_data(items)
    _split_bluesky_targets(config, items)


def _split_bluesky_targets(config, items):
    """Mark the bluesky-reference variants; drop those of tests that need a sandbox's faults."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or callspec.params.get("target") != "bluesky-reference":
            kept.append(item)
        elif item.get_closest_marker("sandbox_only"):
            dropped.append(item)
        else:
            item.add_marker(pytest.mark.atproto_reference)
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _restore_migrated_data(items):
    """Every transactional test restores the migrated data (serialized rollback).

    A transactional test ends with a flush of every table, which also removes what
    the migrations created: Wagtail's root page, locale and collection, the
    default groups. Mixing flushed and serialized tests breaks both (content
    types are recreated with new ids, then collide with the restored ones), so
    the suite uses one rule for all of them.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            # Prepended: pytest-django reads the closest (first) django_db marker.
            item.add_marker(
                pytest.mark.django_db(**{**marker.kwargs, "serialized_rollback": True}),
                append=False,
            )


# --- Page tree ------------------------------------------------------------------


@pytest.fixture
def home_page(db):
    """A HomePage as the default site's root, built the way seed_demo builds it."""
    from cms.management.commands.seed_demo import ensure_home_page

    # A transactional test's flush empties every table, Wagtail's root page
    # included (migrations made it once); put a root back so the tree can grow.
    if Page.get_first_root_node() is None:
        Locale.objects.get_or_create(
            language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
        )
        Page.add_root(instance=Page(title="Root", slug="root", live=True))
    return ensure_home_page()


# --- Services --------------------------------------------------------------------


@pytest.fixture
def postgres(db):
    """The test database must be the real PostgreSQL under make test."""
    problem = None
    if connection.vendor != "postgresql":
        problem = f"the tests are running on {connection.vendor}, not PostgreSQL (DATABASE_URL)"
    require_service("PostgreSQL", problem)
    return connection


@pytest.fixture(scope="session")
def broker_url() -> str:
    url = settings.CELERY_BROKER_URL
    require_service("Redis (Celery broker)", url_problem(url, what="CELERY_BROKER_URL"))
    return url


@pytest.fixture(scope="session", autouse=True)
def _search_indices_current(request):
    """A search node left with indices from an older mapping (an earlier run, another
    checkout) would fail tests that never asked for a fresh index: build them once, now."""
    if settings.SEARCH.is_database or url_problem(settings.SEARCH.urls[0], what="SEARCH_URL"):
        return  # no node: the tests that need one fail on their own
    from django.core.management import call_command

    request.getfixturevalue("django_db_setup")
    if not connection.settings_dict["NAME"].startswith("test_"):
        return  # no collected test uses the database, so pytest-django set none up
    with request.getfixturevalue("django_db_blocker").unblock():
        call_command("update_index", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture
def search_backend(db):
    """The configured OpenSearch/Elasticsearch backend, with fresh test indices."""
    from django.core.management import call_command
    from modelsearch.backends import get_search_backend

    if settings.SEARCH.is_database:
        require_service("OpenSearch", "SEARCH_URL is not set (the database backend is in use)")
    require_service("OpenSearch", url_problem(settings.SEARCH.urls[0], what="SEARCH_URL"))
    call_command("update_index", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return get_search_backend()


def worker_environment(connection) -> dict[str, str]:
    """The environment for a Celery process that sees this test run's database.

    The worker must see pytest-django's ``test_`` database, not the configured one.
    """
    db = connection.settings_dict
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "cms.settings.test"
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env["PYTHONPATH"] = str(PROJECT_DIR)
    return env


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, broker_url):
    """A real Celery worker: a separate OS process consuming the Redis broker."""
    from cms.celery import app

    name = f"hubtest-{uuid.uuid4().hex[:8]}@%h"
    with django_db_blocker.unblock():
        env = worker_environment(connection)
    log_path = PROJECT_DIR / ".services" / "celery-test-worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cms",
            "worker",
            "--pool=solo",
            "-n",
            name,
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    hostname = name.replace("%h", os.uname().nodename)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if app.control.ping(destination=[hostname], timeout=0.5):
            break
    else:
        process.kill()
    if process.poll() is not None or not app.control.ping(destination=[hostname], timeout=1):
        process.kill()
        log.close()
        pytest.fail(
            f"The Celery worker did not start; its log:\n{log_path.read_text()[-3000:]}",
            pytrace=False,
        )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture
def reread_environment():
    """Let a test change environment variables: cms.env reads them once per process."""
    from cms import env

    env.environment.cache_clear()
    yield
    env.environment.cache_clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language. A request to a /cy/ page activates
    Welsh in the test's thread (LocaleMiddleware), and it would stay active for the next
    test's gettext calls."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
