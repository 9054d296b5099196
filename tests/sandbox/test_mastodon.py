"""The Mastodon sandbox through Mastodon.py."""

from __future__ import annotations

import pytest
import requests
from mastodon import MastodonAPIError, MastodonNotFoundError, MastodonUnauthorizedError

from tests.sandbox.conftest import make_mastodon_client


def test_instance_reports_version_and_status_limits(mastodon_client):
    v1 = mastodon_client.instance_v1()
    v2 = mastodon_client.instance_v2()

    assert v1.version == v2.version == "4.3.0"
    assert v2.configuration.statuses.max_characters == 500
    assert v2.configuration.statuses.characters_reserved_per_url == 23
    assert v1.configuration.statuses.max_characters == 500
    assert mastodon_client.retrieve_mastodon_version() == "4.3.0"


def test_verify_credentials_returns_the_account_with_its_source(mastodon_client, mastodon_account):
    me = mastodon_client.account_verify_credentials()
    assert (str(me.id), me.acct, me.display_name) == (
        mastodon_account.id,
        "cleanair",
        "Department for Clean Air",
    )
    assert me.source.privacy == "public"


def test_a_bad_token_is_unauthorized(mastodon_sandbox, mastodon_account):
    from mastodon import Mastodon

    client = Mastodon(
        api_base_url=mastodon_sandbox.base_url, access_token="nope", ratelimit_method="throw"
    )
    with pytest.raises(MastodonUnauthorizedError):
        client.status_post("hello")


def test_status_post_renders_tags_and_links_as_html(
    mastodon_client, mastodon_sandbox, mastodon_account
):
    status = mastodon_client.status_post("Have your say on #CleanAir: https://hub.example/c/1")

    assert [t.name for t in status.tags] == ["cleanair"]
    assert 'class="mention hashtag"' in status.content
    assert 'href="https://hub.example/c/1"' in status.content
    assert status.account.acct == "cleanair"
    assert mastodon_sandbox.state.posts_by(mastodon_account.id)[0]["id"] == str(status.id)


def test_the_same_idempotency_key_returns_the_first_status(
    mastodon_client, mastodon_sandbox, mastodon_account
):
    first = mastodon_client.status_post("Consultation open", idempotency_key="delivery-1")
    again = mastodon_client.status_post("Consultation open", idempotency_key="delivery-1")
    other = mastodon_client.status_post("Consultation open", idempotency_key="delivery-2")

    assert again.id == first.id
    assert other.id != first.id
    assert len(mastodon_sandbox.state.posts_by(mastodon_account.id)) == 2


def test_idempotency_keys_belong_to_one_account(mastodon_client, mastodon_sandbox):
    other_account = mastodon_sandbox.state.create_account(handle="health", display_name="Health")
    other_client = make_mastodon_client(mastodon_sandbox, other_account)

    mine = mastodon_client.status_post("Same key", idempotency_key="shared")
    theirs = other_client.status_post("Same key", idempotency_key="shared")
    assert mine.id != theirs.id


def test_text_over_500_characters_is_rejected_with_422(mastodon_client, mastodon_sandbox):
    mastodon_client.status_post("é" * 500)
    with pytest.raises(MastodonAPIError) as raised:
        mastodon_client.status_post("é" * 501)
    assert raised.value.args[1] == 422
    assert "character limit of 500" in raised.value.args[3]
    assert len(mastodon_sandbox.state.statuses) == 1


def test_graphemes_and_urls_count_as_mastodon_counts_them(mastodon_client):
    family = "👨\u200d👩\u200d👧"  # one grapheme cluster of five code points
    long_url = "https://hub.example/" + "a" * 300
    assert mastodon_client.status_post(family * 476 + " " + long_url)
    with pytest.raises(MastodonAPIError):
        mastodon_client.status_post(family * 477 + " " + long_url)


def test_thread_replies_and_context_lists_descendants_in_tree_order(
    mastodon_client, mastodon_sandbox
):
    root = mastodon_client.status_post("Part 1")
    part2 = mastodon_client.status_post("Part 2", in_reply_to_id=root.id)
    alice = mastodon_sandbox.state.citizen_reply(str(root.id), handle="alice", text="Level one")
    bob = mastodon_sandbox.state.citizen_reply(alice["id"], handle="bob", text="Level two")
    carol = mastodon_sandbox.state.citizen_reply(bob["id"], handle="carol", text="Level three")

    context = mastodon_client.status_context(root.id)
    assert [str(s.id) for s in context.descendants] == [
        str(part2.id),
        alice["id"],
        bob["id"],
        carol["id"],
    ]
    assert context.ancestors == []

    deep = mastodon_client.status_context(carol["id"])
    assert [str(s.id) for s in deep.ancestors] == [str(root.id), alice["id"], bob["id"]]
    assert str(context.descendants[3].in_reply_to_id) == bob["id"]


def test_a_deleted_reply_and_its_subtree_leave_the_context(mastodon_client, mastodon_sandbox):
    root = mastodon_client.status_post("Tell us")
    alice = mastodon_sandbox.state.citizen_reply(str(root.id), handle="alice", text="one")
    mastodon_sandbox.state.citizen_reply(alice["id"], handle="bob", text="two")
    kept = mastodon_sandbox.state.citizen_reply(str(root.id), handle="carol", text="three")

    mastodon_sandbox.state.delete_post(alice["id"])

    assert [str(s.id) for s in mastodon_client.status_context(root.id).descendants] == [kept["id"]]
    with pytest.raises(MastodonNotFoundError):
        mastodon_client.status(alice["id"])


def test_status_delete_returns_the_source_text_and_the_status_is_gone(
    mastodon_client, mastodon_sandbox
):
    status = mastodon_client.status_post("Going away #CleanAir")
    deleted = mastodon_client.status_delete(status.id)

    assert deleted.text == "Going away #CleanAir"
    assert mastodon_sandbox.state.get_post(str(status.id)) is None
    with pytest.raises(MastodonNotFoundError):
        mastodon_client.status(status.id)
    with pytest.raises(MastodonNotFoundError):
        mastodon_client.status_delete(status.id)


def test_deleting_someone_elses_status_is_not_allowed(mastodon_client, mastodon_sandbox):
    citizen = mastodon_sandbox.state.citizen_post(handle="alice", text="mine")
    with pytest.raises(MastodonAPIError) as raised:
        mastodon_client.status_delete(citizen["id"])
    assert raised.value.args[1] == 403


def test_citizen_replies_mention_the_department_and_arrive_as_notifications(
    mastodon_client, mastodon_sandbox
):
    root = mastodon_client.status_post("Tell us")
    reply = mastodon_sandbox.state.citizen_reply(
        str(root.id), handle="alice", text="Cleaner buses please"
    )
    mention = mastodon_sandbox.state.citizen_post(handle="bob", text="@cleanair what about trains?")
    mastodon_sandbox.state.citizen_post(handle="carol", text="unrelated")

    notifications = mastodon_client.notifications(types=["mention"])

    assert [str(n.status.id) for n in notifications] == [mention["id"], reply["id"]]
    assert notifications[1].status.in_reply_to_id == root.id
    assert notifications[1].account.acct == "alice"
    assert reply["content"].startswith('<p><span class="h-card"')


def test_notifications_page_through_link_headers(mastodon_client, mastodon_sandbox):
    root = mastodon_client.status_post("Tell us")
    made = [
        mastodon_sandbox.state.citizen_reply(str(root.id), handle=f"c{i}", text=f"reply {i}")["id"]
        for i in range(12)
    ]

    page = mastodon_client.notifications(types=["mention"], limit=5)
    seen = []
    while page:
        seen.extend(str(n.status.id) for n in page)
        page = mastodon_client.fetch_next(page)
    assert seen == list(reversed(made))


def test_since_id_and_min_id_return_only_newer_notifications(mastodon_client, mastodon_sandbox):
    root = mastodon_client.status_post("Tell us")
    for i in range(5):
        mastodon_sandbox.state.citizen_reply(str(root.id), handle=f"c{i}", text=f"reply {i}")
    everything = mastodon_client.notifications(types=["mention"])
    oldest = everything[-1].id

    newer = mastodon_client.notifications(types=["mention"], since_id=oldest)
    assert [n.id for n in newer] == [n.id for n in everything[:-1]]
    forward = mastodon_client.notifications(types=["mention"], min_id=oldest, limit=2)
    assert [n.id for n in forward] == [everything[-3].id, everything[-2].id]


def test_tag_timeline_pages_across_several_pages(mastodon_client, mastodon_sandbox):
    made = [
        mastodon_sandbox.state.citizen_post(handle=f"c{i}", text=f"Idea {i} #CleanAir")["id"]
        for i in range(9)
    ]
    mastodon_sandbox.state.citizen_post(handle="x", text="#OtherTag")

    page = mastodon_client.timeline_hashtag("cleanair", limit=4)
    seen = []
    while page:
        seen.extend(str(s.id) for s in page)
        page = mastodon_client.fetch_next(page)
    assert seen == list(reversed(made))


def test_account_statuses_lists_the_departments_posts(
    mastodon_client, mastodon_sandbox, mastodon_account
):
    posted = [mastodon_client.status_post(f"post {i}").id for i in range(3)]
    mastodon_sandbox.state.citizen_post(handle="alice", text="not theirs")
    statuses = mastodon_client.account_statuses(mastodon_account.id)
    assert [s.id for s in statuses] == list(reversed(posted))


def test_an_edit_sets_edited_at_and_keeps_history(mastodon_client, mastodon_sandbox):
    status = mastodon_client.status_post("First wording")
    edited = mastodon_client.status_update(status.id, "Second wording")

    assert edited.edited_at is not None
    assert "Second wording" in mastodon_client.status(status.id).content
    history = mastodon_client.status_history(status.id)
    assert ["First wording" in history[0].content, "Second wording" in history[1].content] == [
        True,
        True,
    ]

    reply = mastodon_sandbox.state.citizen_reply(str(status.id), handle="alice", text="old words")
    mastodon_sandbox.state.edit_post(reply["id"], "@cleanair new words")
    assert "new words" in mastodon_client.status(reply["id"]).content
    assert mastodon_client.status(reply["id"]).edited_at is not None


def test_every_response_carries_iso8601_rate_limit_headers(mastodon_client, mastodon_sandbox):
    response = requests.get(f"{mastodon_sandbox.base_url}/api/v1/instance", timeout=2)
    assert (
        int(response.headers["X-RateLimit-Remaining"])
        == int(response.headers["X-RateLimit-Limit"]) - 1
    )
    assert response.headers["X-RateLimit-Reset"].endswith("Z")
    mastodon_client.account_verify_credentials()
    assert mastodon_client.ratelimit_reset is not None
    assert mastodon_client.ratelimit_remaining < mastodon_client.ratelimit_limit


def test_a_status_made_private_disappears_for_strangers_but_not_for_the_mentioned(
    mastodon_client, mastodon_sandbox
):
    root = mastodon_client.status_post("Tell us")
    reply = mastodon_sandbox.state.citizen_reply(str(root.id), handle="alice", text="my view")
    tagged = mastodon_sandbox.state.citizen_post(handle="bob", text="#CleanAir thoughts")
    stranger = mastodon_sandbox.state.create_account(handle="stranger", display_name="S")
    stranger_client = make_mastodon_client(mastodon_sandbox, stranger)

    mastodon_sandbox.state.set_private(reply["id"])
    mastodon_sandbox.state.set_private(tagged["id"])

    with pytest.raises(MastodonNotFoundError):
        stranger_client.status(reply["id"])
    assert stranger_client.status_context(root.id).descendants == []
    assert mastodon_client.timeline_hashtag("cleanair") == []
    # The department is mentioned in the reply, so it still sees it, as on Mastodon.
    assert mastodon_client.status(reply["id"]).visibility == "private"
