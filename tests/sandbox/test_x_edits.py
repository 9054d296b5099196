"""Edits on the X sandbox, as X API v2 shows them: a new post id per version in one chain."""

from __future__ import annotations

import pytest
from xdk import schemas as x_models

from connectors.sandbox.server import SandboxError
from tests.sandbox.test_x import TWEET_FIELDS, raw_get


def _search(client, query):
    response = client.search_recent_tweets(query, tweet_fields=TWEET_FIELDS, user_auth=True)
    return list(response.data or [])


def test_an_edit_is_a_new_version_whose_history_lists_the_original_first(
    tweepy_client, x_sandbox, x_account
):
    root = tweepy_client.create_tweet(text="Tell us about #CleanAir", user_auth=True).data["id"]
    original = x_sandbox.state.citizen_reply(root, handle="alice", text="Buses every hour.")

    edited = x_sandbox.state.edit_post(original["id"], "Buses every half hour.")
    again = x_sandbox.state.edit_post(edited["id"], "Buses every quarter hour.")

    assert len({original["id"], edited["id"], again["id"]}) == 3
    assert again["conversation_id"] == original["conversation_id"] == root
    assert again["edit_history_tweet_ids"] == [original["id"], edited["id"], again["id"]]
    assert again["referenced_tweets"] == original["referenced_tweets"]
    assert (
        again["edit_controls"]["edits_remaining"]
        == original["edit_controls"]["edits_remaining"] - 2
    )
    assert again["edit_controls"]["editable_until"] == original["edit_controls"]["editable_until"]


def test_search_and_mentions_return_only_the_latest_version(tweepy_client, x_sandbox, x_account):
    root = tweepy_client.create_tweet(text="Tell us", user_auth=True).data["id"]
    original = x_sandbox.state.citizen_reply(root, handle="alice", text="First words.")
    edited = x_sandbox.state.edit_post(original["id"], "@cleanair Second words.")

    found = _search(tweepy_client, f"conversation_id:{root} is:reply")
    mentions = tweepy_client.get_users_mentions(x_account.id, user_auth=True).data or []

    assert [str(t.id) for t in found] == [edited["id"]]
    assert [str(t.id) for t in mentions] == [edited["id"]]
    assert [str(i) for i in found[0].edit_history_tweet_ids] == [original["id"], edited["id"]]
    assert found[0].text == "@cleanair Second words."


def test_a_lookup_of_an_old_version_returns_it_with_the_whole_chain(
    tweepy_client, x_sandbox, x_account
):
    post = x_sandbox.state.citizen_post(handle="bob", text="#cleanair old words")
    edited = x_sandbox.state.edit_post(post["id"], "#cleanair new words")

    old = tweepy_client.get_tweet(post["id"], user_auth=True).data
    body = raw_get(tweepy_client, "/2/tweets", ids=f"{post['id']},{edited['id']}")

    assert old.text == "#cleanair old words"
    assert [str(i) for i in old.edit_history_tweet_ids] == [post["id"], edited["id"]]
    x_models.GetPostsByIdsResponse.model_validate(body)
    assert [item["id"] for item in body["data"]] == [post["id"], edited["id"]]


def test_deleting_an_edited_post_deletes_every_version(tweepy_client, x_sandbox, x_account):
    post = x_sandbox.state.citizen_post(handle="bob", text="#cleanair words")
    edited = x_sandbox.state.edit_post(post["id"], "#cleanair other words")

    x_sandbox.state.delete_post(edited["id"])

    response = tweepy_client.get_tweets([post["id"], edited["id"]], user_auth=True)
    assert response.data is None
    assert {error["resource_id"] for error in response.errors} == {post["id"], edited["id"]}
    assert x_sandbox.state.get_post(post["id"]) is None


def test_an_edit_after_the_last_allowed_one_is_refused(x_sandbox, x_account):
    post = x_sandbox.state.citizen_post(handle="bob", text="v0")
    latest = post
    for version in range(1, 6):
        latest = x_sandbox.state.edit_post(latest["id"], f"v{version}")
    assert latest["edit_controls"]["edits_remaining"] == 0

    with pytest.raises(SandboxError) as refused:
        x_sandbox.state.edit_post(latest["id"], "v6")
    assert refused.value.status == 400
