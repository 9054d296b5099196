"""Mastodon collection against a sandbox that follows Mastodon's own source (issue 13).

Each test is one defect found by reading Mastodon's code: notification ids are a
plain sequence, statuses carry content warnings, remote servers send lists, remote
mentions show only the username in ``content``, media-only statuses have empty
content, and ``context`` stops at 4,096 descendants.
"""

from __future__ import annotations

import pytest

from connectors.backends.mastodon import CONTEXT_LIMIT
from connectors.collection import replies_collect
from connectors.models import CollectionState
from engagement.record.models import Response
from tests.collection.conftest import announce
from tests.connectors.conftest import make_sandbox_channel


@pytest.fixture
def announced(db, home_page, sandboxes):
    return announce(home_page, make_sandbox_channel(sandboxes, "mastodon"))


def _collect(announced):
    return replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)


def _texts(announced) -> dict[str, str]:
    return {
        response.external_id: response.text
        for response in Response.objects.filter(consultation=announced.page, channel="mastodon")
    }


def test_mentions_are_collected_though_notification_ids_are_a_plain_sequence(announced):
    """With our post deleted on the instance its context is gone: replies come as mentions."""
    handle = announced.channel.handle
    first = announced.state.citizen_reply(announced.root_id, handle="ann", text="Buses?")
    announced.state.delete_post(announced.root_id)

    _collect(announced)
    later = announced.state.citizen_status(
        handle="ben", parent_id=first["id"], text=f"@ann @{handle} and bikes?"
    )
    _collect(announced)

    assert set(_texts(announced)) == {first["id"], later["id"]}


def test_a_content_warning_is_kept_in_front_of_the_text(announced):
    status = announced.state.citizen_status(
        handle="ann",
        parent_id=announced.root_id,
        text="My street is choked every morning.",
        spoiler_text="traffic, health",
    )

    _collect(announced)

    assert _texts(announced)[status["id"]] == (
        "CW: traffic, health\n\nMy street is choked every morning."
    )


def test_list_items_from_a_remote_server_are_one_per_line(announced):
    status = announced.state.citizen_status(
        handle="lister@lists.example",
        parent_id=announced.root_id,
        text="Three things: buses, bikes, trams. Thanks",
        content_html=(
            "<p>Three things:</p><ul><li>buses</li><li>bikes</li><li>trams</li></ul><p>Thanks</p>"
        ),
    )

    _collect(announced)

    assert _texts(announced)[status["id"]] == "Three things:\n\n- buses\n- bikes\n- trams\n\nThanks"


def test_a_remote_mention_keeps_its_domain(announced):
    announced.state.citizen_status(handle="bob@other.example", text="Hello from elsewhere.")
    status = announced.state.citizen_status(
        handle="ann",
        parent_id=announced.root_id,
        text="I agree with @bob@other.example on this.",
    )

    _collect(announced)

    assert _texts(announced)[status["id"]] == "I agree with @bob@other.example on this."


def test_a_long_link_is_stored_whole_though_mastodon_shows_it_shortened(announced):
    """TextFormatter hides the scheme and all but 30 characters of a link in spans."""
    link = "https://www.example.gov.uk/consultations/clean-air-zones/annex-b-traffic-modelling.pdf"
    status = announced.state.citizen_status(
        handle="ann", parent_id=announced.root_id, text=f"The modelling is here: {link} (p. 14)"
    )
    assert 'class="ellipsis"' in announced.state.get_post(status["id"])["content"]

    _collect(announced)

    assert _texts(announced)[status["id"]] == f"The modelling is here: {link} (p. 14)"


def test_a_media_only_reply_is_recorded_with_a_placeholder_naming_the_media(announced):
    status = announced.state.citizen_status(
        handle="snapper", parent_id=announced.root_id, media=("image", "image", "video")
    )

    _collect(announced)

    assert _texts(announced)[status["id"]] == "[media only: 2 images, 1 video]"


def test_a_thread_over_the_context_cap_is_walked_below_it_and_marked_incomplete(announced):
    """Over 4,096 descendants Mastodon cuts the thread in tree order. What hangs below the
    last one returned is reached through the contexts of the deepest ones; later replies
    beside them cannot be asked for, so the collection says it may be incomplete."""
    state = announced.state
    crowd = state._new_account("crowd", "Crowd")
    with state.lock:
        first = state._create_status(crowd, "First!", in_reply_to_id=announced.root_id)
        for n in range(CONTEXT_LIMIT - 1):
            last = state._create_status(crowd, f"Reply {n}", in_reply_to_id=first["id"])
        deep = state._create_status(crowd, "Deep below the cap", in_reply_to_id=last["id"])
        deeper = state._create_status(crowd, "Deeper still", in_reply_to_id=deep["id"])

    _collect(announced)

    texts = _texts(announced)
    assert len(texts) == CONTEXT_LIMIT + 2
    assert texts[deep["id"]] == "Deep below the cap"
    assert texts[deeper["id"]] == "Deeper still"
    collection = CollectionState.objects.get(consultation=announced.page, channel=announced.channel)
    assert collection.incomplete_since is not None
    assert "4,096" in collection.incomplete_reason
    assert "gaps" not in collection.cursor  # the next cycle starts clean
