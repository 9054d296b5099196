"""The API keeps its own OpenAPI promises: schemathesis generates requests from the schema
(valid and invalid ones) and checks every answer against it, in-process over WSGI."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from tests.opendata.conftest import FORBIDDEN

# Served by the app itself (no database involved), so it can be read at collection time.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@pytest.fixture(autouse=True)
def keep_the_test_transactions_connection():
    # As Django's test client does: a request must not close the connection that holds
    # the test's transaction (and its data).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_as_its_openapi_schema_says(case, record):
    response = case.call_and_validate()

    for marker in FORBIDDEN.values():
        assert marker not in response.text
