"""What only Facebook Pages do, through Meta's ``facebook-business`` SDK against the sandbox.

The shared contract and collection suites run on Facebook too (tests/connectors/conftest.py
``NETWORKS``); these cover the rest: the pinned Graph version and ``appsecret_proof`` on
every request, the link preview, two levels of comments, hidden comments, the usage
headers that stop us before Graph refuses, a reset given in whole minutes, an unreadable
comment, the Page token's expiry shown in the admin, and the posts that tag the Page.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from connectors.backends.facebook import FacebookConnector
from connectors.collection import StopReason, replies_collect
from connectors.exceptions import PermanentError, RateLimited
from connectors.models import CollectionState, QuarantinedPayload
from connectors.registry import connector_class
from connectors.sandbox import start_sandbox
from connectors.services import channel_account_connector, channel_account_verify
from connectors.types import ChannelCredentials, OutgoingPost
from engagement.record.models import Response
from tests.collection.conftest import announce
from tests.connectors.conftest import make_sandbox_channel

LINK = "https://consult.example.gov.uk/consultations/clean-air-zones/"


@pytest.fixture
def facebook(db, sandboxes):
    return make_sandbox_channel(sandboxes, "facebook")


@pytest.fixture
def own_sandbox():
    """A Facebook sandbox of this test's own, whose usage counters no other test moved."""
    server = start_sandbox("facebook")
    yield {"facebook": server}
    server.stop()


def _graph_paths(server, method: str) -> list[str]:
    return [path for logged_method, path in server.state.request_log if logged_method == method]


def _collect(announced):
    return replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)


# --- Requests -----------------------------------------------------------------------------


def test_every_request_names_the_pinned_graph_version(facebook, settings):
    connector = channel_account_connector(channel=facebook.channel)
    connector.verify()
    assert _graph_paths(facebook.server, "GET")[-2:] == ["/v23.0/me", "/v23.0/debug_token"]

    connectors = copy.deepcopy(settings.HUB_CONNECTORS)
    connectors["facebook"]["OPTIONS"]["GRAPH_API_VERSION"] = "v24.0"
    settings.HUB_CONNECTORS = connectors
    channel_account_connector(channel=facebook.channel).verify()

    assert _graph_paths(facebook.server, "GET")[-2:] == ["/v24.0/me", "/v24.0/debug_token"]


def test_the_page_token_goes_with_its_appsecret_proof_which_the_app_requires(facebook):
    token = facebook.account.credentials["page_access_token"]
    bare = requests.get(
        f"{facebook.server.base_url}/v23.0/me", params={"access_token": token}, timeout=10
    )

    account = channel_account_connector(channel=facebook.channel).verify()

    assert bare.status_code == 400
    assert bare.json()["error"]["code"] == 100
    assert set(bare.json()["error"]) >= {"message", "type", "code", "fbtrace_id"}
    assert account.id == facebook.account.id  # the SDK sent the proof


def test_a_refused_token_is_a_permanent_error_naming_the_token(facebook):
    secrets = {**facebook.account.credentials, "page_access_token": "EAAwrong"}
    connector = connector_class("facebook")(
        ChannelCredentials(network="facebook", base_url=facebook.server.base_url, secrets=secrets)
    )

    with pytest.raises(PermanentError) as refused:
        connector.verify()

    assert "Page access token" in refused.value.reason


def test_a_page_post_carries_the_consultation_link_for_its_preview(facebook):
    connector = channel_account_connector(channel=facebook.channel)

    published = connector.publish(OutgoingPost(text=f"Have your say: {LINK} #CleanAir"))

    stored = facebook.server.state.posts[published.id]
    assert stored["link"] == LINK
    assert stored["message"].startswith("Have your say")
    assert published.id.startswith(f"{facebook.account.id}_")


# --- The Page token's expiry ---------------------------------------------------------------


def test_the_page_tokens_expiry_is_kept_and_shown_in_the_admin(facebook, admin_client):
    page = facebook.server.state.pages[facebook.account.id]
    expected = datetime.fromtimestamp(page["data_access_expires_at"], tz=UTC)

    channel_account_verify(channel=facebook.channel)

    facebook.channel.refresh_from_db()
    assert facebook.channel.credentials_expire_at == expected
    listing = admin_client.get(reverse("channels:index")).content.decode()
    assert f"Token expires {expected.strftime('%-d %b %Y')}" in listing
    # Encrypted at rest like every channel's secrets.
    assert facebook.account.credentials["page_access_token"] not in (
        facebook.channel.credentials_ciphertext
    )


# --- Collecting ---------------------------------------------------------------------------


def test_a_token_past_its_expiry_is_shown_as_expired_not_as_due(facebook, admin_client):
    past = timezone.now() - timedelta(days=2)
    type(facebook.channel).objects.filter(pk=facebook.channel.pk).update(credentials_expire_at=past)

    listing = admin_client.get(reverse("channels:index")).content.decode()

    assert f"Token expired {timezone.localtime(past).strftime('%-d %b %Y')}" in listing
    assert "needs new credentials" in listing
    assert "Token expires" not in listing


def test_a_reply_to_a_reply_joins_its_top_level_comment_as_facebook_shows_it(facebook, home_page):
    announced = announce(home_page, facebook)
    top = announced.reply(announced.root_id, "ana", "Top-level comment.")
    reply = announced.reply(top, "ben", "A reply.")
    deeper = announced.reply(reply, "cy", "A reply to the reply.")

    _collect(announced)

    parents = dict(
        Response.objects.filter(consultation=announced.page).values_list(
            "external_id", "parent_external_id"
        )
    )
    assert parents == {top: announced.root_id, reply: top, deeper: top}


def test_a_comment_the_page_hid_is_never_collected(facebook, home_page):
    announced = announce(home_page, facebook)
    shown = announced.reply(announced.root_id, "open", "For everyone.")
    hidden = announced.reply(announced.root_id, "rude", "Something the Page hid.")
    announced.state.set_private(hidden)

    _collect(announced)

    assert set(
        Response.objects.filter(consultation=announced.page).values_list("external_id", flat=True)
    ) == {shown}


def test_a_comment_with_an_unreadable_time_is_quarantined_once(facebook, home_page):
    announced = announce(home_page, facebook)
    good = announced.reply(announced.root_id, "fine", "A fine comment.")
    bad = announced.reply(announced.root_id, "odd", "A comment from a broken clock.")
    original = announced.state.render_comment

    def broken_clock(comment):
        rendered = original(comment)
        if comment["id"] == bad:
            rendered["created_time"] = "yesterday-ish"
        return rendered

    announced.state.render_comment = broken_clock
    try:
        first = _collect(announced)
        second = _collect(announced)
    finally:
        del announced.state.render_comment

    assert first.complete and second.complete
    assert set(
        Response.objects.filter(consultation=announced.page).values_list("external_id", flat=True)
    ) == {good}
    quarantined = QuarantinedPayload.objects.get()
    assert "created_time" in quarantined.error
    assert quarantined.payload["id"] == bad


# --- Rate limits: the usage headers first, Graph's refusal if it comes ---------------------------


@pytest.mark.sandbox_only
def test_usage_headers_near_the_limit_stop_collection_before_graph_refuses(
    own_sandbox, home_page, settings
):
    server = own_sandbox["facebook"]
    server.rate_window.limit = 10  # each request is 10% of an endpoint's window
    settings.HUB_COLLECT_PAGE_SIZE = 1
    announced = announce(home_page, make_sandbox_channel(own_sandbox, "facebook"))
    for n in range(12):
        announced.reply(announced.root_id, f"c{n}", f"Comment {n}")
    before = timezone.now()

    outcome = _collect(announced)

    comment_reads = [p for p in _graph_paths(server, "GET") if p.endswith("/comments")]
    # The ninth read reported 90%: the tenth was never sent, so Graph never refused one.
    assert len(comment_reads) == 9
    assert outcome.stopped_by == StopReason.RATE_LIMITED
    assert outcome.created == 9
    state = CollectionState.objects.get(consultation=announced.page)
    assert state.rate_limited_until is not None
    assert state.rate_limited_until > before + timedelta(seconds=60)
    assert state.next_poll_at == state.rate_limited_until


@pytest.mark.sandbox_only
def test_a_graph_rate_limit_error_waits_the_whole_minutes_graph_asks(facebook):
    connector = channel_account_connector(channel=facebook.channel)
    facebook.server.inject_fault("rate_limit", path="/v23.0/", reset_in=90)

    with pytest.raises(RateLimited) as limited:
        connector.publish(OutgoingPost(text="Rate limited"))
    sent = len(facebook.server.state.request_log)
    with pytest.raises(RateLimited):
        connector.publish(OutgoingPost(text="Still paused"))

    wait = (limited.value.reset_at - datetime.now(tz=UTC)).total_seconds()
    # estimated_time_to_regain_access said 2 (minutes, rounded up from 90 s).
    assert 110 < wait <= 120
    assert "#80001" in str(limited.value)
    assert len(facebook.server.state.request_log) == sent  # paused: nothing more was sent
    assert facebook.posts == []


# --- Posts that tag the Page (its ``tagged`` edge) ---------------------------------------------


def test_a_post_tagging_the_page_with_the_hashtag_is_collected_its_author_unnamed(
    facebook, home_page
):
    state = facebook.server.state
    announced = announce(home_page, facebook)
    handle, hashtag = facebook.account.handle, announced.page.hashtag
    tagged = state.citizen_post(
        handle="sam", text=f"@{handle} the bus lane matters #{hashtag}", display_name="Sam Jones"
    )
    state.citizen_post(handle="kim", text=f"@{handle} about something else")
    state.citizen_post(handle="lee", text=f"Untagged, but #{hashtag}")

    assert _collect(announced).complete

    response = Response.objects.get(consultation=announced.page)
    assert response.external_id == tagged["id"]
    assert response.text == f"@{handle} the bus lane matters #{hashtag}"
    # Graph gives a person's post without ``from``: its id's owner prefix stands for them.
    assert response.respondent.external_id == tagged["id"].partition("_")[0]
    assert response.respondent.display_name == "Facebook user"
    assert "Sam Jones" not in str(response.raw_payload)
    assert f"/v23.0/{facebook.account.id}/tagged" in _graph_paths(facebook.server, "GET")


def test_the_next_poll_reads_the_tagged_edge_only_back_to_the_newest_post_it_saw(
    facebook, home_page, settings
):
    settings.HUB_COLLECT_PAGE_SIZE = 2
    state = facebook.server.state
    announced = announce(home_page, facebook)
    text = f"@{facebook.account.handle} #{announced.page.hashtag} view"
    first = {state.citizen_post(handle=f"t{n}", text=f"{text} {n}")["id"] for n in range(5)}
    tagged_path = f"/v23.0/{facebook.account.id}/tagged"
    _collect(announced)
    reads_before = _graph_paths(facebook.server, "GET").count(tagged_path)

    later = state.citizen_post(handle="late", text=f"{text} late")["id"]
    outcome = _collect(announced)

    assert {r.external_id for r in Response.objects.filter(consultation=announced.page)} == {
        *first,
        later,
    }
    assert outcome.created == 1
    # Five older posts at two a page would take three reads: one page reaches the mark.
    assert _graph_paths(facebook.server, "GET").count(tagged_path) - reads_before == 1


def test_a_mention_change_names_the_post_it_was_made_on():
    body = (
        b'{"object": "page", "entry": [{"id": "101", "time": 1767225600, "changes": ['
        b'{"field": "mention", "value": {"post_id": "101_7", "comment_id": "7_9",'
        b' "sender_name": "A citizen", "sender_id": "55", "item": "comment", "verb": "add"}},'
        b'{"field": "feed", "value": {"post_id": "101_8", "item": "reaction", "verb": "add"}}'
        b"]}]}"
    )

    (event,) = FacebookConnector.webhook_events(body)

    assert event.account_id == "101"
    assert event.post_ids == ("101_7",)
