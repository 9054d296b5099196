"""Search outage: the node stops, responses are recorded and approved, it returns, the index converges."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from engagement.record.models import ModerationState, Response
from engagement.record.services import RespondentInput, response_record
from search.models import SearchIndexQueue
from search.services import search_index_drain

pytestmark = [pytest.mark.search_node, pytest.mark.django_db]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "services" / "opensearch.sh"


def _node(command: str) -> None:
    subprocess.run(["bash", str(SCRIPT), command], check=True, timeout=300, capture_output=True)


def test_index_converges_with_no_loss_after_the_search_node_comes_back(
    search_backend, record, settings
):
    settings.HUB_SEARCH_DRAIN_ON_COMMIT = False
    assert not search_index_drain().failed
    consultation = record["consultation"]
    hidden = record["bus"]
    try:
        _node("stop")
        recorded = []
        for number in range(25):
            response = response_record(
                consultation=consultation,
                channel="mastodon",
                text=f"outagecheck original {number}",
                received_at=timezone.now(),
                respondent=RespondentInput(external_id=f"outage-user-{number}"),
                external_id=f"outage-post-{number}",
                url=f"https://social.example/@x/{number}",
            )
            response.published_text = f"outagecheck published {number}"
            response.moderation_state = ModerationState.APPROVED
            response.save()
            recorded.append(response.reference)
        hidden.moderation_state = ModerationState.HIDDEN
        hidden.moderation_reason = "abusive"
        hidden.save()

        down = search_index_drain()

        assert down.failed
        assert SearchIndexQueue.objects.count() == down.left >= 26
    finally:
        _node("start")

    up = search_index_drain()
    search_backend.get_index_for_model(Response).refresh()

    assert not up.failed
    assert SearchIndexQueue.objects.count() == 0
    found = {r.reference for r in search_backend.search("outagecheck", Response)}
    assert found == set(recorded)
    assert hidden.reference not in {r.reference for r in search_backend.search("buses", Response)}
