"""How the hub asks the node: counts the node can keep, and errors inside an ``_msearch``.

The counts (total and facets) go in their own ``size: 0`` request, which the node's shard
request cache answers again until the index changes; a change must never be hidden by it.
An ``_msearch`` answers 200 even when a request in it failed, so each answer is read for
its own error: a node shedding load is an outage the pages explain, a refused query a bug.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from engagement.record.models import Response
from search.engine import SearchRefused
from search.selectors import SEARCH_NODE_AWAY, ResponseFilters, responses_search
from search.services import search_index_drain
from tests.factories.search import PublicResponseFactory

pytestmark = pytest.mark.django_db


def _drained(backend) -> None:
    result = search_index_drain()
    assert not result.failed, result.error
    backend.get_index_for_model(Response).refresh()


def _request_cache_hits(backend) -> int:
    index = backend.get_index_for_model(Response).name
    stats = backend.es.indices.stats(index=index, metric="request_cache")
    return stats["_all"]["total"]["request_cache"]["hit_count"]


def test_the_same_counts_are_answered_again_by_the_node_until_the_index_changes(
    search_backend, record
):
    consultation = record["consultation"]
    _drained(search_backend)
    first = responses_search(filters=ResponseFilters(q="buses"), consultation=consultation)
    hits_before = _request_cache_hits(search_backend)

    again = responses_search(filters=ResponseFilters(q="buses"), consultation=consultation)

    assert _request_cache_hits(search_backend) > hits_before
    assert again.total == first.total == 5
    assert again.facets == first.facets
    # A new response is counted at once: the refresh that makes it searchable also
    # retires the cached counts.
    PublicResponseFactory(
        consultation=consultation, channel="x", published_text="Buses after midnight, please."
    )
    _drained(search_backend)
    after = responses_search(filters=ResponseFilters(q="buses"), consultation=consultation)
    assert after.total == 6
    channels = {option.value: option.count for option in after.facets["channel"]}
    before = {option.value: option.count for option in first.facets["channel"]}
    assert channels["x"] == before.get("x", 0) + 1


class _Node(BaseHTTPRequestHandler):
    """A node that answers every ``_msearch`` with the ``answers`` given, whatever it asked."""

    answers: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"took": 1, "responses": self.answers}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def node_answering():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Node)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def answering(*answers: dict):
        _Node.answers = list(answers)
        return override_settings(
            WAGTAILSEARCH_BACKENDS={
                "default": {
                    "BACKEND": "modelsearch.backends.opensearch3",
                    "URLS": [f"http://127.0.0.1:{server.server_port}"],
                    "TIMEOUT": 5,
                }
            }
        )

    yield answering
    server.shutdown()
    server.server_close()


COUNTS = {
    "took": 1,
    "hits": {"total": {"value": 0, "relation": "eq"}, "hits": []},
    "aggregations": {},
}
SHEDDING = {
    "error": {
        "type": "es_rejected_execution_exception",
        "reason": "rejected execution of coordinating operation",
    },
    "status": 429,
}
REFUSED = {
    "error": {"type": "parsing_exception", "reason": "unknown query [mtch]"},
    "status": 400,
}


def test_a_node_shedding_load_inside_an_msearch_is_an_outage_the_page_explains(
    client, record, node_answering
):
    consultation = record["consultation"]
    with node_answering(COUNTS, SHEDDING):
        with pytest.raises(SEARCH_NODE_AWAY):
            responses_search(filters=ResponseFilters(q="buses"), consultation=consultation)
        page = client.get(f"/consultations/{consultation.slug}/responses/", {"q": "buses"})

    assert page.status_code == 503
    assert "Search is not available at the moment" in page.content.decode()


def test_a_query_the_node_refuses_inside_an_msearch_is_a_bug_not_an_outage(record, node_answering):
    with node_answering(REFUSED, COUNTS), pytest.raises(SearchRefused, match="unknown query"):
        responses_search(filters=ResponseFilters(q="buses"), consultation=record["consultation"])
    assert not issubclass(SearchRefused, SEARCH_NODE_AWAY)
