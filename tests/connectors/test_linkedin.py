"""What only LinkedIn does, through LinkedIn's ``linkedin-api-client`` against the sandbox.

The shared contract and collection suites run on LinkedIn too (tests/connectors/conftest.py
``NETWORKS``); these cover the rest: the little text format of a post's commentary, the
pinned ``LinkedIn-Version`` header, replies to comments read through the comment's own
``socialActions``, a deleted comment withdrawn by the sweep, the daily limits' 429, the
access token refreshed through LinkedIn's OAuth endpoint (kept encrypted, its expiry shown in
the admin), and commenters' names where LinkedIn gives them.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import pytest
from django.conf import settings as settings_module
from django.urls import reverse

from connectors.backends.linkedin import little_text_escape, little_text_plain
from connectors.collection import StopReason, replies_collect, responses_sweep
from connectors.exceptions import PermanentError, RateLimited
from connectors.models import CollectionState
from connectors.sandbox import start_sandbox
from connectors.sandbox.linkedin import little_text_shown, version_active
from connectors.services import channel_account_connector, channel_account_verify
from connectors.types import OutgoingPost
from engagement.record.models import Response, WithdrawalReason
from tests.collection.conftest import announce
from tests.connectors.conftest import connector_options_set, make_sandbox_channel


@pytest.fixture
def linkedin(db, sandboxes):
    return make_sandbox_channel(sandboxes, "linkedin")


@pytest.fixture
def own_sandbox():
    """A LinkedIn sandbox of this test's own, whose daily counts no other test spent."""
    server = start_sandbox("linkedin")
    yield {"linkedin": server}
    server.stop()


def _connector(sandbox):
    return channel_account_connector(channel=sandbox.channel)


def _collect(announced):
    return replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)


def _recorded(announced) -> set[str]:
    return set(
        Response.objects.filter(consultation=announced.page).values_list("external_id", flat=True)
    )


def _next_midnight_utc(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


def test_little_text_escapes_every_reserved_character():
    reserved = "\\|{}@[]()<>#*_~"

    escaped = little_text_escape(f"a{reserved}b")

    assert escaped == "a" + "".join(f"\\{char}" for char in reserved) + "b"
    assert little_text_plain(escaped) == f"a{reserved}b"
    # Unescaped, LinkedIn cuts the text at the first stray reserved character.
    assert little_text_shown("Buses on the (A40) corridor") == "Buses on the "


def test_a_hashtag_stays_littles_hashtag_element_and_any_other_hash_is_escaped():
    text = "Say #CleanAir or #AerGlân2026 (C# #1 a#b #clean_air)."

    escaped = little_text_escape(text)

    assert escaped == r"Say #CleanAir or #AerGlân2026 \(C\# \#1 a\#b \#clean\_air\)."
    assert little_text_shown(escaped) == text
    assert little_text_plain(escaped) == text


def test_a_post_with_brackets_and_a_hashtag_survives_whole(linkedin):
    text = "Have your say on the clean air zone (A40 corridor) #CleanAir @council_team"
    published = _connector(linkedin).publish(OutgoingPost(text=text))

    (post,) = linkedin.posts
    assert post["id"] == published.id
    assert post["author"] == f"urn:li:organization:{linkedin.account.id}"
    assert post["lifecycleState"] == "PUBLISHED" and post["visibility"] == "PUBLIC"
    assert "\\(A40 corridor\\)" in post["commentary"]
    assert post["commentary"].endswith(" #CleanAir \\@council\\_team")  # a hashtag, still
    assert little_text_shown(post["commentary"]) == text


def test_every_request_carries_the_pinned_linkedin_version(linkedin, settings):
    # Last month's version: served today whatever today is, and not the default.
    version = (datetime.now(tz=UTC).replace(day=1) - timedelta(days=1)).strftime("%Y%m")
    connector_options_set(settings, "linkedin", LINKEDIN_VERSION=version)
    state = linkedin.server.state
    seen_before = len(state.versions_seen)

    connector = _connector(linkedin)
    connector.verify()
    connector.publish(OutgoingPost(text="Versioned post about school streets"))

    assert state.versions_seen[seen_before:] == [version, version]


def test_the_sandbox_serves_a_version_for_the_year_linkedins_migrations_table_gives():
    # learn.microsoft.com/linkedin/marketing/integrations/migrations: 202411 sunset on
    # 17 November 2025, 202510 on 15 October 2026, 202603 on 16 March 2027.
    assert version_active("202411", date(2025, 11, 14))
    assert not version_active("202411", date(2025, 11, 18))
    assert version_active("202510", date(2026, 10, 14))
    assert not version_active("202510", date(2026, 10, 16))
    assert version_active("202603", date(2027, 3, 14))
    assert not version_active("202603", date(2026, 2, 27))  # not released yet
    assert not version_active("2026-03", date(2026, 5, 1))


def test_the_pinned_linkedin_version_is_one_linkedin_serves_today():
    pinned = settings_module.HUB_CONNECTORS["linkedin"]["OPTIONS"]["LINKEDIN_VERSION"]

    assert version_active(pinned, datetime.now(tz=UTC).date()), (
        f"LinkedIn-Version {pinned} is sunset: move LINKEDIN_VERSION on (LinkedIn's migrations page)"
    )


def test_a_retired_linkedin_version_is_refused_for_good(linkedin, settings):
    connector_options_set(settings, "linkedin", LINKEDIN_VERSION="202301")

    with pytest.raises(PermanentError) as refused:
        _connector(linkedin).verify()

    assert "202301 is not active" in refused.value.reason


def test_replies_to_comments_are_read_through_the_comments_own_social_actions(
    linkedin, home_page, settings
):
    settings.HUB_COLLECT_PAGE_SIZE = 2
    announced = announce(home_page, linkedin)
    comments = [announced.reply(announced.root_id, f"c{n}", f"Comment {n}") for n in range(3)]
    replies = {announced.reply(comments[0], f"r{n}", f"Reply {n}") for n in range(3)}
    # A reply to a reply joins its top-level comment, as on LinkedIn.
    deeper = announced.reply(next(iter(replies)), "deep", "And a reply to that.")

    outcome = _collect(announced)

    assert outcome.complete
    assert _recorded(announced) == {*comments, *replies, deeper}
    parents = dict(
        Response.objects.filter(consultation=announced.page).values_list(
            "external_id", "parent_external_id"
        )
    )
    assert {parents[c] for c in comments} == {announced.root_id}
    assert {parents[r] for r in (*replies, deeper)} == {comments[0]}
    log = linkedin.server.state.request_log
    assert ("GET", f"/rest/socialActions/{quote(comments[0], safe='')}/comments") in log


def test_a_comment_deleted_on_linkedin_is_withdrawn_by_the_sweep(linkedin, home_page):
    announced = announce(home_page, linkedin)
    kept = announced.reply(announced.root_id, "stays", "I stand by this.")
    gone = announced.reply(announced.root_id, "regrets", "I take this back.")
    _collect(announced)
    linkedin.server.state.delete_post(gone)

    outcome = responses_sweep(consultation_id=announced.page.pk, channel_id=announced.channel.pk)

    assert outcome.withdrawn == 1
    assert Response.objects.get(external_id=gone).withdrawn_reason == (
        WithdrawalReason.DELETED_AT_SOURCE
    )
    assert Response.objects.get(external_id=kept).withdrawn_at is None


@pytest.mark.sandbox_only
def test_the_daily_member_limit_pauses_collection_until_midnight_utc(own_sandbox, home_page):
    server = own_sandbox["linkedin"]
    announced = announce(home_page, make_sandbox_channel(own_sandbox, "linkedin"))
    announced.reply(announced.root_id, "late", "Too late today.")
    server.state.member_day_limit = sum(server.state.calls.values()) // 2
    before = datetime.now(tz=UTC)

    outcome = _collect(announced)

    assert outcome.stopped_by == StopReason.RATE_LIMITED
    state = CollectionState.objects.get(consultation=announced.page)
    assert state.rate_limited_until == _next_midnight_utc(before)
    assert "MEMBER DAY" in state.last_error


@pytest.mark.sandbox_only
def test_the_daily_application_limit_refuses_a_post_until_midnight_utc(own_sandbox, db):
    server = own_sandbox["linkedin"]
    sandbox = make_sandbox_channel(own_sandbox, "linkedin")
    server.state.application_day_limit = 0
    before = datetime.now(tz=UTC)

    with pytest.raises(RateLimited) as limited:
        _connector(sandbox).publish(OutgoingPost(text="Cycling lanes consultation"))

    assert limited.value.reset_at == _next_midnight_utc(before)
    assert server.state.posts == {}


# --- The access token's refresh --------------------------------------------------------------

OAUTH = ("POST", "/oauth/v2/accessToken")


def _refreshes(sandbox) -> int:
    return sandbox.server.state.request_log.count(OAUTH)


def _minted(sandbox) -> str:
    sandbox.channel.refresh_from_db()
    return json.loads(sandbox.channel.credentials["session"])["access_token"]


def test_verifying_refreshes_once_and_shows_when_the_refresh_token_runs_out(linkedin, admin_client):
    state = linkedin.server.state
    before = _refreshes(linkedin)
    grant = state.refresh_tokens[linkedin.account.credentials["refresh_token"]]
    expected = datetime.fromtimestamp(grant["expires_at"], tz=UTC)

    channel_account_verify(channel=linkedin.channel)
    channel_account_verify(channel=linkedin.channel)

    # The refresh token's year, not the access token's 60 days: that is when a person acts.
    linkedin.channel.refresh_from_db()
    assert abs(linkedin.channel.credentials_expire_at - expected) <= timedelta(seconds=2)
    assert _refreshes(linkedin) - before == 1
    minted = _minted(linkedin)
    assert minted != linkedin.account.credentials["access_token"]
    assert state.access_tokens[minted]["organization"] == linkedin.account.id
    # Kept encrypted with the channel's other secrets.
    assert minted not in linkedin.channel.credentials_ciphertext
    listing = admin_client.get(reverse("channels:index")).content.decode()
    assert f"Token expires {linkedin.channel.credentials_expire_at.strftime('%-d %b %Y')}" in (
        listing
    )


def test_without_a_refresh_token_the_access_tokens_own_expiry_is_shown(db, sandboxes):
    sandbox = make_sandbox_channel(sandboxes, "linkedin")
    credentials = {**sandbox.account.credentials, "refresh_token": ""}
    sandbox.channel.set_credentials(credentials)
    sandbox.channel.save()
    grant = sandbox.server.state.access_tokens[credentials["access_token"]]
    before = _refreshes(sandbox)

    channel_account_verify(channel=sandbox.channel)

    sandbox.channel.refresh_from_db()
    assert sandbox.channel.credentials_expire_at == datetime.fromtimestamp(
        grant["expires_at"], tz=UTC
    )
    assert _refreshes(sandbox) == before
    assert ("POST", "/oauth/v2/introspectToken") in sandbox.server.state.request_log


def test_an_access_token_that_expired_is_refreshed_and_collection_goes_on(linkedin, home_page):
    announced = announce(home_page, linkedin)
    reply = announced.reply(announced.root_id, "late", "Still heard.")
    linkedin.server.state.expire_access_token(linkedin.account.credentials["access_token"])
    before = _refreshes(linkedin)

    outcome = _collect(announced)
    again = _collect(announced)

    assert outcome.complete and again.complete
    assert _recorded(announced) == {reply}
    # One refresh; the next poll uses the stored token.
    assert _refreshes(linkedin) - before == 1
    assert (
        linkedin.server.state.access_tokens[_minted(linkedin)]["expires_at"]
        > (datetime.now(tz=UTC) + timedelta(days=59)).timestamp()
    )


def test_an_access_token_is_refreshed_a_week_before_it_runs_out(linkedin, home_page):
    announced = announce(home_page, linkedin)
    channel_account_verify(channel=linkedin.channel)
    old = _minted(linkedin)
    # Day 55 of 60: still valid, but within the week before it runs out.
    linkedin.server.state.expire_access_token(old, in_seconds=5 * 86_400)
    session = json.loads(linkedin.channel.credentials["session"])
    credentials = {
        **linkedin.channel.credentials,
        "session": json.dumps(
            {**session, "access_token_expires_at": int(time.time()) + 5 * 86_400}
        ),
    }
    linkedin.channel.set_credentials(credentials)
    linkedin.channel.save()
    before = _refreshes(linkedin)

    assert _collect(announced).complete

    assert _refreshes(linkedin) - before == 1
    assert _minted(linkedin) != old


def test_a_refused_refresh_stops_with_a_reason_a_person_can_act_on(linkedin, home_page):
    state = linkedin.server.state
    announced = announce(home_page, linkedin)
    announced.reply(announced.root_id, "anyone", "Hello.")
    state.expire_access_token(linkedin.account.credentials["access_token"])
    state.refresh_tokens[linkedin.account.credentials["refresh_token"]]["expires_at"] = 0

    outcome = _collect(announced)

    assert outcome.stopped_by == StopReason.ERROR
    error = CollectionState.objects.get(consultation=announced.page).last_error
    assert "invalid_grant" in error and "connect the channel again" in error
    assert _recorded(announced) == set()


# --- Commenters' names -------------------------------------------------------------------------


def test_an_organisations_comment_bears_its_name_and_a_members_the_kind_of_author(
    linkedin, home_page, sandboxes
):
    state = linkedin.server.state
    announced = announce(home_page, linkedin)
    member = announced.reply(announced.root_id, "jo", "As a resident...", display_name="Jo Bloggs")
    other = state.create_account(handle="chamber", display_name="Market Towns Chamber")
    organisation = state.render_for_control(
        state.add_comment(announced.root_id, f"urn:li:organization:{other.id}", "Our members...")
    )["id"]

    assert _collect(announced).complete

    names = dict(
        Response.objects.filter(consultation=announced.page).values_list(
            "external_id", "respondent__display_name"
        )
    )
    # LinkedIn gives an application no member's name, only the organisation's.
    assert names == {member: "LinkedIn member", organisation: "Market Towns Chamber"}
    assert "Jo Bloggs" not in str(Response.objects.get(external_id=member).raw_payload)
