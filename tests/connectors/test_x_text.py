"""X shows text HTML-escaped with t.co links; the hub works with the words as written."""

from __future__ import annotations

import pytest

from connectors.exceptions import OutcomeUnknown
from connectors.models import DeliveryKind, DeliveryStatus
from connectors.services import (
    channel_account_connector,
    delivery_schedule_for_consultation,
    delivery_send,
)
from tests.connectors.conftest import WRITE_PATHS
from tests.factories.connectors import consultation_page

pytestmark = pytest.mark.parametrize("network", ["x"])


def test_a_crashed_post_with_an_ampersand_is_found_again_not_reposted(
    home_page, sandbox_channel, network
):
    page = consultation_page(
        home_page,
        sandbox_channel.channel.department,
        channels=[sandbox_channel.channel],
        summary="Buses & trams: <your> views on fares.",
    )
    delivery = next(
        d for d in delivery_schedule_for_consultation(page=page) if d.kind == DeliveryKind.ANNOUNCE
    )
    sandbox_channel.server.inject_fault("crash_after_write", path=WRITE_PATHS[network])

    with pytest.raises(OutcomeUnknown):
        delivery_send(delivery_id=delivery.pk)
    assert len(sandbox_channel.posts) == 1  # the crashed write did happen

    delivered = delivery_send(delivery_id=delivery.pk)

    assert delivered.status == DeliveryStatus.DELIVERED, delivered.last_error
    (post,) = sandbox_channel.posts
    assert [p.external_id for p in delivered.posts.all()] == [post["id"]]


def test_recent_posts_give_the_text_as_written(sandbox_channel):
    written = "Fares & <zones>: https://consult.example.gov.uk/consultations/clean-air-zones/"
    connector = channel_account_connector(channel=sandbox_channel.channel)
    connector.client.create_tweet(text=written, user_auth=True)

    (found,) = connector.recent_posts(limit=5)

    assert found.text == written
