"""Bluesky posts as the reference servers shape them: quotes with media, shortened links,
hashtags, deep threads. Each test runs on the sandbox and on the reference stack."""

from __future__ import annotations

import pytest

from connectors.backends.bluesky import BlueskyConnector
from connectors.collection import StopReason, replies_collect, responses_sweep
from connectors.collection.scope import collection_scope
from connectors.models import CollectionState
from connectors.services import channel_account_connector
from engagement.record.models import Response

BLUESKY_TARGETS = ["bluesky", "bluesky-reference"]
pytestmark = pytest.mark.parametrize("target", BLUESKY_TARGETS)


def _collect(announced):
    announced.settle()
    return replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)


def _recorded(announced) -> dict[str, Response]:
    return {r.external_id: r for r in Response.objects.filter(consultation=announced.page)}


def _chain(announced, parent: str, length: int, name: str = "deep") -> list[str]:
    """Replies each under the one before (the first answers ``parent``), each written once
    the App View has indexed its parent, as on the network: the reference App View indexes
    each author's repository apart, and a reply indexed before its parent notifies less."""
    chain = []
    announced.settle()
    for level in range(length):
        parent = announced.reply(parent, f"{name}{level}", f"Level {level}: my view.")
        announced.settle()
        chain.append(parent)
    return chain


def test_a_quote_of_our_post_with_media_is_collected(announced):
    ours = announced.state.get_post(announced.root_id)
    embed = {
        "$type": "app.bsky.embed.recordWithMedia",
        "record": {
            "$type": "app.bsky.embed.record",
            "record": {"uri": ours["uri"], "cid": ours["cid"]},
        },
        "media": {
            "$type": "app.bsky.embed.external",
            "external": {
                "uri": "https://example.org/high-street.jpg",
                "title": "The high street at rush hour",
                "description": "",
            },
        },
    }
    quote = announced.state.citizen_post(
        handle="quoter", text="This is the street you mean.", embed=embed
    )

    _collect(announced)

    response = _recorded(announced)[quote["uri"]]
    assert response.parent_external_id == announced.root_id
    assert response.root_external_id == announced.root_id
    assert response.text == "This is the street you mean."


def test_a_shortened_link_is_recorded_as_the_full_url_of_its_facet(announced):
    full = "https://consult.example.gov.uk/consultations/clean-air-zones-in-market-towns/evidence/"
    shown = "consult.example.gov.uk/consultations/clea..."
    before = "My evidence is at "
    start = len(before.encode())
    facets = [
        {
            "index": {"byteStart": start, "byteEnd": start + len(shown.encode())},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": full}],
        }
    ]
    reply = announced.reply(
        announced.root_id, "linker", f"{before}{shown} – read it first.", facets=facets
    )

    _collect(announced)

    assert _recorded(announced)[reply].text == f"{before}{full} – read it first."


def test_posts_with_the_consultation_hashtag_are_collected(announced):
    text = f"Not a reply, but #{announced.page.hashtag} matters to me."
    tagged = announced.state.citizen_post(handle="tagger", text=text)
    announced.state.citizen_post(handle="other", text="#SomethingElse entirely")

    _collect(announced)

    recorded = _recorded(announced)
    assert list(recorded) == [tagged["uri"]]
    assert recorded[tagged["uri"]].text == text


def test_deep_replies_under_a_deleted_reply_are_collected(announced):
    chain = _chain(announced, announced.root_id, 6)
    announced.state.delete_post(chain[0])

    _collect(announced)

    assert set(_recorded(announced)) == set(chain[1:])


def test_the_app_view_notifies_four_levels_up_and_drops_a_deleted_replys_subtree(announced):
    """What collection relies on, the same on the sandbox as on the reference App View."""
    chain = _chain(announced, announced.root_id, 6)
    announced.settle()
    connector = channel_account_connector(channel=announced.channel)
    scope = collection_scope(consultation=announced.page, channel=announced.channel)

    def notified() -> list[str]:
        return [
            reply.id for reply in connector.fetch_route_page("notifications", {}, scope).replies
        ]

    assert sorted(notified()) == sorted(chain[:4])
    announced.state.delete_post(chain[1])
    announced.settle()
    assert sorted(notified()) == sorted([chain[0], *chain[2:4]])
    thread = connector.fetch_route_page(f"thread:{announced.root_id}", {}, scope)
    assert [reply.id for reply in thread.replies] == [chain[0]]


def test_a_later_reply_deep_under_a_reply_deleted_after_collection_is_collected(announced):
    chain = _chain(announced, announced.root_id, 6)
    _collect(announced)
    assert set(_recorded(announced)) == set(chain)
    announced.state.delete_post(chain[0])
    announced.settle()
    responses_sweep(consultation_id=announced.page.pk, channel_id=announced.channel.pk)
    # Seven levels down, under the deleted reply: in no thread of ours, notified to nobody of ours.
    later = announced.reply(chain[-1], "later", "Still thinking about it.")

    _collect(announced)

    assert later in _recorded(announced)


def test_a_detached_reply_is_walked_again_on_the_sweeps_schedule_not_every_poll(
    announced, settings
):
    chain = _chain(announced, announced.root_id, 5)
    announced.state.delete_post(chain[0])
    _collect(announced)
    assert set(_recorded(announced)) == set(chain[1:])
    first = announced.reply(chain[-1], "first", "First thought, six levels down.")

    settings.HUB_SWEEP_INTERVAL = 3600
    _collect(announced)
    assert first not in _recorded(announced)

    settings.HUB_SWEEP_INTERVAL = 0  # the next walk is due at once
    _collect(announced)
    assert first in _recorded(announced)


def test_a_thread_deeper_than_one_read_is_read_on_from_where_it_stopped(announced, monkeypatch):
    # bsky.social may cap a thread's depth below what is asked (BSKY_MAX_THREAD_DEPTH).
    monkeypatch.setattr(BlueskyConnector, "thread_depth", 2)
    chain = _chain(announced, announced.root_id, 7)
    detached = _chain(announced, chain[2], 3, name="aside")
    announced.state.delete_post(chain[2])

    _collect(announced)

    assert set(_recorded(announced)) == {*chain[:2], *chain[3:], *detached}


def test_a_detached_walk_cut_short_says_so_and_the_next_poll_finishes_it(announced):
    chain = _chain(announced, announced.root_id, 6)
    announced.state.delete_post(chain[0])
    announced.settle()
    scope = collection_scope(consultation=announced.page, channel=announced.channel)
    routes = channel_account_connector(channel=announced.channel).collection_routes(scope)

    # A page for each route but the last, the walk from the detached replies.
    cut = replies_collect(
        consultation_id=announced.page.pk,
        channel_id=announced.channel.pk,
        max_pages=len(routes) - 1,
    )

    assert cut.stopped_by == StopReason.PAGE_LIMIT
    assert set(_recorded(announced)) == set(chain[1:4])
    assert CollectionState.objects.get(consultation=announced.page).incomplete_since is not None

    assert _collect(announced).complete
    assert set(_recorded(announced)) == set(chain[1:])
    assert CollectionState.objects.get(consultation=announced.page).incomplete_since is None
