"""Collection from X under X's own rules, as the strict sandbox enforces them.

Recent search refuses a since_id or start_time older than seven days (the mentions
timeline does not, so a quiet week loses no mention); text comes
HTML-escaped with t.co links; long posts are cut unless ``note_tweet`` is asked for;
protected accounts' posts are not public; withheld posts are withheld somewhere on a
legal demand; a route X refuses leaves the record incomplete.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from connectors.collection import replies_collect
from connectors.models import CollectionState
from connectors.selectors import collection_gaps_for
from engagement.record.models import ModerationReason, ModerationState, Response
from engagement.record.selectors import accountability_counts, public_responses
from tests.collection.conftest import announce
from tests.connectors.conftest import make_sandbox_channel

pytestmark = pytest.mark.parametrize("network", ["x"])


def _collect(announced):
    return replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)


def _texts(announced) -> list[str]:
    return sorted(
        Response.objects.filter(consultation=announced.page, channel="x").values_list(
            "text", flat=True
        )
    )


def test_x_collection_carries_on_after_a_quiet_week(db, home_page, servers, network):
    state = servers["x"].state
    # Every clock in the process moves, the sandbox's included: the announcement and the
    # first reply are eight days old when the next poll comes.
    with time_machine.travel(timezone.now() - timedelta(days=8), tick=True):
        announced = announce(home_page, make_sandbox_channel(servers, "x"))
        announced.reply(announced.root_id, "early", "Buses first, please.")
        assert _collect(announced).created == 1
    handle = announced.channel.handle
    hashtag = announced.page.hashtag

    # A week later: a reply, a quote that mentions us and a hashtag post, one per route.
    announced.reply(announced.root_id, "late", "Still waiting for buses.")
    state.citizen_post(
        handle="mentioner", text=f"@{handle} cycle lanes too", quote_of=announced.root_id
    )
    state.citizen_post(handle="tagger", text=f"Trams would help #{hashtag}")
    outcome = _collect(announced)

    collection = CollectionState.objects.get(consultation=announced.page, channel=announced.channel)
    assert collection.last_error == ""
    texts = _texts(announced)
    assert outcome.created == 3, texts
    assert any(text.endswith("Still waiting for buses.") for text in texts)
    assert any("cycle lanes too" in text for text in texts)
    assert any(text.startswith("Trams would help") for text in texts)
    # The next poll is an ordinary one again: nothing new, nothing refused.
    assert _collect(announced).created == 0
    collection.refresh_from_db()
    assert collection.last_error == ""


def test_a_mention_made_during_a_quiet_week_is_still_collected(db, home_page, servers, network):
    state = servers["x"].state
    with time_machine.travel(timezone.now() - timedelta(days=8), tick=True):
        announced = announce(home_page, make_sandbox_channel(servers, "x"))
        announced.reply(announced.root_id, "early", "Buses first, please.")
        assert _collect(announced).created == 1
        # After that poll, and more than seven days before the next: recent search no longer
        # reaches it, the mentions timeline does.
        state.citizen_post(
            handle="quoter",
            text=f"@{announced.channel.handle} and cycle lanes",
            quote_of=announced.root_id,
        )

    outcome = _collect(announced)

    assert outcome.created == 1, _texts(announced)
    assert any(text.endswith("and cycle lanes") for text in _texts(announced))
    assert _state(announced).incomplete_since is None


def _state(announced) -> CollectionState:
    return CollectionState.objects.get(consultation=announced.page, channel=announced.channel)


def test_a_route_x_refuses_is_skipped_and_the_record_says_it_is_incomplete(announced):
    announced.state.refuse_access("mentions")
    announced.reply(announced.root_id, "replier", "Park and ride on Sundays.")

    outcome = _collect(announced)

    # The thread and the hashtag were still read.
    assert outcome.created == 1
    assert _texts(announced)[0].endswith("Park and ride on Sundays.")
    state = _state(announced)
    assert state.incomplete_since is not None
    assert state.incomplete_reason == "mentions refused by the network (HTTP 403)"
    (gap,) = collection_gaps_for(announced.page)
    assert gap.reason == "mentions refused by the network (HTTP 403)"

    # Access granted again: the next poll reads mentions and the record is complete.
    announced.state.refused_endpoints.clear()
    assert _collect(announced).complete
    assert _state(announced).incomplete_since is None
    assert collection_gaps_for(announced.page) == []


def test_x_replies_are_stored_unescaped_with_their_links_expanded(announced):
    link = "https://consult.example.org/evidence/clean-air-in-market-towns"
    announced.reply(announced.root_id, "writer", f"Fares & <zones> matter, see {link}")

    _collect(announced)

    (text,) = _texts(announced)
    assert text.endswith(f"Fares & <zones> matter, see {link}")


def test_a_long_x_reply_is_stored_whole(announced):
    long_text = " ".join(f"Point {n}: buses & trams every hour." for n in range(1, 30))
    announced.reply(announced.root_id, "essayist", long_text)

    _collect(announced)

    (text,) = _texts(announced)
    assert len(long_text) > 280
    assert text.endswith(long_text)


def test_a_reply_from_a_protected_x_account_stays_out_of_the_record(announced):
    # The department follows the citizen, so X shows it the protected replies.
    announced.state.set_protected("guarded", followers=(announced.channel.account_id,))
    announced.reply(announced.root_id, "guarded", "Only my followers see this.")
    announced.reply(announced.root_id, "open", "Everyone sees this.")

    _collect(announced)

    (text,) = _texts(announced)
    assert text.endswith("Everyone sees this.")


@pytest.mark.parametrize(
    ("withheld", "said"),
    [
        ({"country_codes": ("DE", "FR")}, "in DE, FR on a legal demand"),
        ({"country_codes": (), "copyright": True}, "on a copyright claim"),
    ],
)
def test_a_reply_x_withholds_is_recorded_but_held_for_legal_reasons(announced, withheld, said):
    announced.page.auto_approve_responses = True
    announced.page.save()
    held_id = announced.reply(announced.root_id, "reporter", "The zone map names the landlord.")
    announced.state.set_withheld(held_id, **withheld)
    announced.reply(announced.root_id, "open", "Everyone sees this.")

    _collect(announced)

    held = Response.objects.get(channel="x", external_id=held_id)
    assert held.moderation_state == ModerationState.HIDDEN
    assert held.moderation_reason == ModerationReason.LEGAL
    decision = held.decisions.get()
    assert decision.automatic and decision.decided_by is None
    assert said in decision.note
    public = list(public_responses(consultation=announced.page))
    assert [r.text for r in public] == [f"@{announced.channel.handle} Everyone sees this."]
    counts = accountability_counts(consultation=announced.page)
    assert counts.hidden_by_reason[ModerationReason.LEGAL] == 1
    assert counts.collected == 2
