"""No 500s from input: Hypothesis over the query parameters of every public route.

The routes come from the URL resolver and the page tree (``tests/security/routes.py``),
each with the parameters its view reads (from its form or the API's own schema), plus
one it does not know. The search backend is the configured one (OpenSearch under
``make test``), where a stray quote or operator used to be query syntax.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.security.routes import public_routes

pytestmark = pytest.mark.django_db

# Words that mean something to a query parser, a number parser or a date parser.
AWKWARD = [
    '"',
    "'",
    '"lanterns',
    "lanterns AND",
    "OR",
    "NOT lanterns",
    "*",
    "?",
    "(",
    ")",
    "[",
    "{",
    "}",
    "/",
    "\\",
    ":",
    "~",
    "^2",
    "+-",
    "&&",
    "||",
    "!",
    "<",
    "title:x",
    "-1",
    "0",
    "1e400",
    "99999999999999999999999",
    "2026-13",
    "2026-02-30T25:61:00Z",
    "NaN",
    "%",
    "_",
    "\u200b",
    "٣",
]
VALUE = st.one_of(
    st.sampled_from(AWKWARD),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
)


@pytest.fixture
def routes(planted):
    slugs = [planted["public"].page.slug, planted["password"].page.slug, "no-such-consultation"]
    references = [*planted["public"].references, "HUB-NONE-0000"]
    return public_routes(slugs=slugs, references=references)


@st.composite
def requests_for(draw, routes):
    route = draw(st.sampled_from(routes))
    names = st.sampled_from([*route.parameters, "unexpected"])
    pairs = draw(st.lists(st.tuples(names, VALUE), max_size=4))
    return route, pairs


def _check(client, route, pairs):
    url = f"{route.path}?{urlencode(pairs)}" if pairs else route.path
    response = client.get(url)
    assert response.status_code < 500, f"{url} ({route.route}) answered {response.status_code}"


def test_a_lone_quote_is_not_a_server_error_on_any_search(client, routes):
    for route in routes:
        if "q" in route.parameters:
            _check(client, route, [("q", '"')])


def test_no_query_parameter_makes_a_public_route_answer_5xx(client, routes):
    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(st.data())
    @example(data=None)
    def check(data):
        if data is None:
            return
        route, pairs = data.draw(requests_for(routes))
        _check(client, route, pairs)

    check()


@pytest.fixture
def database_search(settings, planted):
    """The embedded default's search: the database backend (PostgreSQL full text here)."""
    import os

    from django.core.management import call_command

    settings.WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "modelsearch.backends.database"}}
    settings.HUB_SEARCH_DRAIN_ON_COMMIT = False
    call_command("update_index", stdout=open(os.devnull, "w"))  # noqa: SIM115


def test_a_lone_quote_is_not_a_server_error_on_the_database_backend(
    client, routes, database_search
):
    for route in routes:
        if "q" in route.parameters:
            _check(client, route, [("q", '"')])
