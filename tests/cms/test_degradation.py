"""While PostgreSQL or the search node is away: the public pages answer from the cache or
with a clear 503, the form keeps what was typed, and beat does not pile up duplicate work.

The database is made "away" for this test's connection only (the shared PostgreSQL keeps
running for everyone else): a cursor wrapper first opens a real psycopg connection to a
closed port, so the error the hub sees is psycopg's own, wrapped by Django as it would be.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
from contextlib import contextmanager
from unittest import mock

import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.utils import OperationalError
from django.test import Client

from cms import caching
from connectors import tasks as connector_tasks
from engagement.moderation.services import response_moderate
from engagement.record.models import ModerationReason, ModerationState, Response
from tests.factories.moderation import moderator_create

pytestmark = pytest.mark.django_db

LISTING = "/consultations/quieter-streets/responses/"
FORM = "/consultations/quieter-streets/respond/"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once it is closed


@contextmanager
def database_away(*, statements: tuple[str, ...] = ()):
    """Every query of this connection (or only those starting with ``statements``) fails
    as a query does when PostgreSQL cannot be reached."""
    port = _closed_port()

    def refuse(execute, sql, params, many, context):
        if not statements or sql.lstrip().upper().startswith(statements):
            with connection.wrap_database_errors:
                psycopg.connect(host="127.0.0.1", port=port, user="hub", connect_timeout=2)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


def test_the_database_away_is_a_real_psycopg_operational_error(postgres):
    with database_away(), pytest.raises(OperationalError) as raised:
        Response.objects.count()

    assert isinstance(raised.value.__cause__, psycopg.OperationalError)
    assert "refused" in str(raised.value).lower()


def test_a_cached_page_past_its_freshness_answers_while_the_database_is_away(
    client, postgres, page_cache, published
):
    page_cache.HUB_PAGE_CACHE_SECONDS = 0  # every stored copy is stale at once
    for path in (LISTING, "/consultations/quieter-streets/"):
        assert client.get(path)[caching.HEADER] == "miss"

        with database_away():
            answer = client.get(path)

        assert answer.status_code == 200
        assert answer[caching.HEADER] == "stale"
        assert "no-cache" in answer["Cache-Control"]
        assert "Quieter streets" in answer.text
    assert "KEPTWORD" in client.get(LISTING).text


def test_a_page_never_cached_is_a_503_saying_try_again_in_a_few_minutes(
    client, postgres, page_cache, published
):
    with database_away():
        answer = client.get(LISTING)

    assert answer.status_code == 503
    assert "Sorry, the service is unavailable" in answer.text
    assert "Try again in a few minutes" in answer.text
    assert answer["Retry-After"] == "120"
    assert "no-store" in answer["Cache-Control"]
    assert "Traceback" not in answer.text


def test_the_database_away_outside_any_view_is_a_503_not_a_500(rf):
    request = rf.get("/consultations/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        answer = caching.server_error(request)

    assert answer.status_code == 503
    assert "Try again in a few minutes" in answer.content.decode()
    try:
        raise ValueError("a bug")
    except ValueError:
        assert caching.server_error(request).status_code == 500


def test_the_503_needs_no_page_cache(client, postgres, published, settings):
    settings.HUB_PAGE_CACHE = False

    with database_away():
        answer = client.get("/consultations/quieter-streets/")

    assert answer.status_code == 503
    assert "Sorry, the service is unavailable" in answer.text


def test_a_hidden_response_is_not_served_from_a_stale_copy_while_the_database_is_away(
    client, postgres, page_cache, published
):
    page_cache.HUB_PAGE_CACHE_SECONDS = 0
    assert "DOOMEDWORD" in client.get(LISTING).text
    response_moderate(
        response=published["doomed"],
        to_state=ModerationState.HIDDEN,
        by=moderator_create(department=published["consultation"].department),
        reason=ModerationReason.ABUSIVE,
    )

    with database_away():
        answer = client.get(LISTING)

    assert answer.status_code == 503
    assert "DOOMEDWORD" not in answer.text


def _answers(consultation, text: str) -> dict:
    questions = {question.kind: question for question in consultation.questions.all()}
    return {
        f"question_{questions['free_text'].pk}": text,
        f"question_{questions['single_choice'].pk}": "Bus",
        "name": "Ada Lovelace",
        "consent_to_publish": "on",
    }


def test_the_form_keeps_what_was_typed_when_the_database_fails_on_saving(
    client, postgres, published
):
    typed = "My street needs a crossing by the school & the park."
    before = Response.objects.count()
    answers = _answers(published["consultation"], typed)

    with database_away(statements=("INSERT", "UPDATE")):
        answer = client.post(FORM, answers)

    assert answer.status_code == 503
    assert answer["Retry-After"] == "120"
    assert "Try again in a few minutes" in answer.text
    assert "My street needs a crossing by the school &amp; the park." in answer.text
    assert 'value="Ada Lovelace"' in answer.text
    assert 'type="radio" value="Bus" checked' in answer.text
    assert Response.objects.count() == before

    resent = client.post(FORM, answers)
    assert resent.status_code == 302
    assert Response.objects.count() == before + 1


def test_a_form_sent_while_the_database_is_away_comes_back_to_send_again(
    client, postgres, published
):
    typed = "Please keep the bus lane <b>open</b>."
    answers = _answers(published["consultation"], typed)

    with database_away():
        answer = client.post(FORM, answers)

    assert answer.status_code == 503
    assert "Sorry, the service is unavailable" in answer.text
    assert "Please keep the bus lane &lt;b&gt;open&lt;/b&gt;." in answer.text
    assert 'name="csrfmiddlewaretoken"' in answer.text
    assert "Send again" in answer.text


# --- The search node away ------------------------------------------------------------


@pytest.fixture
def search_node_away(settings, page_cache):
    """The configured node's backend, pointed at a port where nothing listens."""
    if settings.SEARCH.is_database:
        pytest.skip("the database backend is in use: there is no search node to lose")
    backend = dict(settings.WAGTAILSEARCH_BACKENDS["default"])

    def away():
        settings.WAGTAILSEARCH_BACKENDS = {
            "default": {
                **backend,
                "BACKEND": settings.SEARCH.backend,
                "URLS": [f"http://127.0.0.1:{_closed_port()}"],
                "INDEX_PREFIX": "hubtest_away_",
                "TIMEOUT": 2,
            }
        }

    return away


def test_the_responses_page_says_search_is_unavailable_when_the_node_is_away(
    client, published, search_node_away
):
    search_node_away()

    answer = client.get(LISTING, {"q": "buses"})

    assert answer.status_code == 503
    assert "Search is not available at the moment" in answer.text
    # What the database still knows is shown: the consultation and its counts.
    assert 'data-count="published">3<' in answer.text
    assert caching.HEADER not in answer


def test_the_last_good_listing_answers_while_the_node_is_away(
    client, page_cache, published, search_node_away
):
    page_cache.HUB_PAGE_CACHE_SECONDS = 0
    assert client.get(LISTING, {"q": "buses"})[caching.HEADER] == "miss"
    search_node_away()

    answer = client.get(LISTING, {"q": "buses"})

    assert answer.status_code == 200
    assert answer[caching.HEADER] == "stale"
    assert "KEPTWORD" in answer.text


def test_site_search_says_search_is_unavailable_when_the_node_is_away(
    client, published, search_node_away
):
    search_node_away()

    answer = client.get("/search/", {"q": "buses"})

    assert answer.status_code == 503
    assert "Search is not available at the moment" in answer.text


# --- Beat ---------------------------------------------------------------------------------


def test_every_periodic_task_expires_before_its_next_run():
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert 0 < entry["options"]["expires"] < entry["schedule"], name


def test_two_deletion_sweeps_at_once_enqueue_each_batch_once(page_cache):
    pairs = [(1, 10), (2, 20), (3, 30)]
    inside, release = threading.Event(), threading.Event()

    def slow_pairs():
        inside.set()  # the first run holds the lock here
        assert release.wait(10)
        return pairs

    enqueued: list[tuple[int, int]] = []
    with (
        mock.patch.object(connector_tasks, "sweep_pairs", slow_pairs),
        mock.patch.object(
            connector_tasks.sweep_channel, "delay", lambda *ids: enqueued.append(ids)
        ),
    ):
        first_result: list[int] = []
        first = threading.Thread(
            target=lambda: first_result.append(connector_tasks.sweep_deletions())
        )
        first.start()
        assert inside.wait(10)
        second_result = connector_tasks.sweep_deletions()
        release.set()
        first.join(10)
        third_result = connector_tasks.sweep_deletions()  # the lock was released

    assert second_result == 0
    assert first_result == [3]
    assert third_result == 3
    assert enqueued == pairs + pairs  # the first run's and the third's, never the second's


# --- The search node recovering --------------------------------------------------------

# What OpenSearch answers a search while its shards recover after a restart (the system
# test's OpenSearch fault, tests/system/test_faults.py, saw it for minutes).
RECOVERING = {
    "error": {
        "root_cause": [],
        "type": "search_phase_execution_exception",
        "reason": "all shards failed",
        "phase": "query",
        "grouped": True,
        "failed_shards": [],
    },
    "status": 503,
}


@pytest.fixture
def search_node_recovering(settings, page_cache):
    """The configured node's backend, pointed at a node that answers every search 503."""
    if settings.SEARCH.is_database:
        pytest.skip("the database backend is in use: there is no search node")

    class Recovering(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = json.dumps(RECOVERING).encode()
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_HEAD = _answer

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recovering)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    backend = dict(settings.WAGTAILSEARCH_BACKENDS["default"])
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {
            **backend,
            "BACKEND": settings.SEARCH.backend,
            "URLS": [f"http://127.0.0.1:{server.server_address[1]}"],
            "INDEX_PREFIX": "hubtest_recovering_",
            "TIMEOUT": 2,
        }
    }
    yield
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", [LISTING, "/search/"])
def test_a_search_node_recovering_its_shards_is_search_unavailable_not_an_error(
    client, published, search_node_recovering, path
):
    answer = client.get(path, {"q": "buses"})

    assert answer.status_code == 503
    assert "Search is not available at the moment" in answer.text


# The public GETs the system test's load makes, and their neighbours.
PUBLIC_GETS = (
    FORM,
    "/cy/consultations/quieter-streets/respond/",
    "/consultations/quieter-streets/",
    LISTING,
    "/consultations/",
    "/consultations/feed/",
    "/consultations/feed/outcomes/",
    "/consultations/quieter-streets/summary/",
    "/search/?q=buses",
    "/api/v1/responses/",
)


def _queries_made(client: Client, path: str) -> int:
    made = 0

    def count(execute, sql, params, many, context):
        nonlocal made
        made += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        assert client.get(path).status_code == 200, path
    return made


def _get_while_postgres_stops(client: Client, path: str, *, after: int):
    """GET ``path``; after ``after`` queries the connection dies and reconnecting is refused."""
    working_port = connection.settings_dict["PORT"]
    reached = 0

    def stop_postgres(execute, sql, params, many, context):
        nonlocal reached
        reached += 1
        if reached > after and connection.settings_dict["PORT"] == working_port:
            connection.settings_dict["PORT"] = _closed_port()
            connection.close()
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(stop_postgres):
            return client.get(path)
    finally:
        connection.settings_dict["PORT"] = working_port
        connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("cached", [False, True], ids=["uncached", "page-cache"])
def test_the_database_going_away_at_any_point_of_a_public_get_is_the_503(
    postgres, published, settings, cached
):
    """PostgreSQL stops in the middle of a request: the query under way fails on its dead
    connection and every later one is refused on reconnecting (a closed port), as under
    gunicorn. Wherever that happens, the answer is the GOV.UK 503: never a 500 (errors
    outside the views go to Django's handler; this client does not raise them), and never
    a page built on (Django's ``{% if %}`` turns the refusal into False: the listing lost
    its language links so), nor a copy of one kept in the page cache."""
    settings.HUB_PAGE_CACHE = cached
    client = Client(raise_request_exception=False)
    answers: dict[str, set[int]] = {}
    for path in PUBLIC_GETS:
        client.get(path)  # a first visit stores what later ones read (the summary's figures)
        cache.clear()
        for fail_from in range(_queries_made(client, path)):
            cache.clear()
            answer = _get_while_postgres_stops(client, path, after=fail_from)
            answers.setdefault(path, set()).add(answer.status_code)
            if answer.status_code == 503:  # the GOV.UK page, in the address's language
                assert answer["Retry-After"] == "120", path
                assert "govuk-template" in answer.text, path
            if cached:
                assert client.get(path).get(caching.HEADER) in ("miss", None), path

    assert answers == {path: {503} for path in PUBLIC_GETS}


# --- Redis away -------------------------------------------------------------------------


def test_a_form_sent_while_redis_is_away_comes_back_to_send_again(client, settings, published):
    """The rate limit's count lives in the shared cache; with Redis restarting the form is
    neither taken unchecked nor lost (the system test's Redis fault)."""
    working = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "cms.cache_backends.OutageTolerantRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    typed = "Please keep the number 7 bus running past the hospital."
    before = Response.objects.count()
    answers = _answers(published["consultation"], typed)

    answer = client.post(FORM, answers)

    assert answer.status_code == 503
    assert "Try again in a few minutes" in answer.text
    assert typed in answer.text
    assert Response.objects.count() == before

    settings.CACHES = working
    resent = client.post(FORM, answers)
    assert resent.status_code == 302
    assert Response.objects.count() == before + 1


def test_a_status_lookup_while_redis_is_away_waits_rather_than_going_uncounted(
    client, settings, published
):
    working = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "cms.cache_backends.OutageTolerantRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    answer = client.get("/response-status/", {"reference": published["pending"].reference})
    settings.CACHES = working

    assert answer.status_code == 429
    # The lookup was not made: no state of the response is told.
    assert "waiting" not in answer.text.lower()
    assert (
        client.get("/response-status/", {"reference": published["pending"].reference}).status_code
        == 200
    )
