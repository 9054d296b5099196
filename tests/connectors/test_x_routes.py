"""One X collection route that X refuses does not stop the routes behind it."""

from __future__ import annotations

import pytest

from connectors.services import channel_account_connector
from connectors.types import CollectionScope

pytestmark = pytest.mark.parametrize("network", ["x"])


def test_a_refused_route_is_skipped_and_the_others_are_read(sandbox_channel):
    state = sandbox_channel.server.state
    handle = sandbox_channel.account.handle
    root = state.citizen_post(handle=handle, text="Have your say on #BusFares")
    state.citizen_reply(root["id"], handle="replier", text="Cheaper fares.")
    state.citizen_post(handle="tagger", text="Trams too #BusFares")
    connector = channel_account_connector(channel=sandbox_channel.channel)
    # X refuses a conversation_id that is not a post id: that route's request fails.
    scope = CollectionScope(root_ids=("not-a-post-id", root["id"]), hashtag="BusFares")

    texts, cursor, more = [], None, True
    while more:
        result = connector.fetch_replies(scope, cursor=cursor)
        texts += [reply.text for reply in result.replies]
        cursor, more = result.cursor, result.has_more

    assert any(text.endswith("Cheaper fares.") for text in texts)
    assert "Trams too #BusFares" in texts
