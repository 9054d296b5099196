"""With a broker, a commit asks the real Celery worker to drain the outbox into the node."""

from __future__ import annotations

import time

import pytest

from engagement.record.models import ModerationState, Response
from search.models import SearchIndexQueue
from tests.factories.consultations import ConsultationPageFactory
from tests.factories.search import PublicResponseFactory

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.search_node,
    pytest.mark.django_db(transaction=True),
]


def test_commit_sends_the_drain_to_the_worker_which_indexes_the_response(
    celery_worker, search_backend, home_page
):
    consultation = ConsultationPageFactory(title="Harbour walls")

    response = PublicResponseFactory(
        consultation=consultation,
        published_text="Zeppelinmoorings belong at the harbour.",
        moderation_state=ModerationState.APPROVED,
    )

    # Nothing drains in this process (a broker is configured): only the worker can.
    deadline = time.monotonic() + 60
    found: list[str] = []
    while time.monotonic() < deadline:
        search_backend.get_index_for_model(Response).refresh()
        found = [r.reference for r in search_backend.search("zeppelinmoorings", Response)]
        if found and not SearchIndexQueue.objects.exists():
            break
        time.sleep(0.5)
    assert found == [response.reference]
    assert not SearchIndexQueue.objects.exists()
