"""Publishing to Mastodon when its Idempotency-Key has expired (issue 13).

Mastodon keeps a key for one hour (PostStatusService: ``redis.setex(..., 3_600, ...)``).
Automatic retries 7-10 and an administrator's later retry come after that, so a
retry after an unknown outcome must look at the account's statuses first.
"""

from __future__ import annotations

import time

import pytest
import time_machine

from connectors.exceptions import OutcomeUnknown
from connectors.models import DeliveryStatus
from connectors.services import delivery_send
from tests.connectors.conftest import WRITE_PATHS, make_sandbox_channel
from tests.connectors.test_contract import LONG_SUMMARY, _announcement


@pytest.mark.parametrize("hours_later", [0, 2, 30])
def test_a_retry_after_an_unknown_outcome_does_not_post_twice_once_the_key_expired(
    db, home_page, sandboxes, hours_later
):
    sandbox = make_sandbox_channel(sandboxes, "mastodon")
    delivery = _announcement(home_page, sandbox, summary=LONG_SUMMARY)
    sandbox.server.inject_fault("crash_after_write", path=WRITE_PATHS["mastodon"])
    with pytest.raises(OutcomeUnknown):
        delivery_send(delivery_id=delivery.pk)
    assert len(sandbox.posts) == 1

    with time_machine.travel(time.time() + hours_later * 3600, tick=True):
        delivered = delivery_send(delivery_id=delivery.pk)

    assert delivered.status == DeliveryStatus.DELIVERED
    posts = sandbox.posts
    assert len(posts) == len(delivered.planned_parts) > 1
    assert [p.external_id for p in delivered.posts.order_by("position")] == [
        str(post["id"]) for post in posts
    ]
