"""The X sandbox through tweepy's API v2 Client, shapes checked with X's own SDK models (xdk)."""

from __future__ import annotations

import pytest
import requests
import tweepy
from xdk import schemas as x_models

from tests.sandbox.conftest import make_tweepy_client

TWEET_FIELDS = [
    "author_id",
    "conversation_id",
    "created_at",
    "in_reply_to_user_id",
    "entities",
    "referenced_tweets",
]


def raw_get(client, path, **params):
    """The same request tweepy makes, but the JSON as sent, for the xdk models."""
    response = client.session.get(
        f"https://api.twitter.com{path}",
        params=params,
        headers={"Authorization": f"Bearer {client.bearer_token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_create_tweet_answers_with_the_official_create_response_shape(
    tweepy_client, x_sandbox, x_account
):
    response = tweepy_client.create_tweet(
        text="Have your say on #CleanAir https://hub.example/c/1", user_auth=True
    )

    created = x_models.CreatePostsResponse.model_validate({"data": response.data}, strict=True)
    stored = x_sandbox.state.get_post(response.data["id"])
    (link,) = stored["entities"]["urls"]
    # X answers with the text as it shows it: the link is a t.co link.
    assert created.data.text == f"Have your say on #CleanAir {link['url']}"
    assert link["url"].startswith("https://t.co/")
    assert link["expanded_url"] == "https://hub.example/c/1"
    assert stored["author_id"] == x_account.id
    assert stored["entities"]["hashtags"][0]["tag"] == "CleanAir"
    assert ("POST", "/2/tweets") in x_sandbox.state.request_log


def test_a_thread_replies_to_the_previous_part_in_one_conversation(
    tweepy_client, x_sandbox, x_account
):
    first = tweepy_client.create_tweet(text="Part 1 of the consultation", user_auth=True).data["id"]
    second = tweepy_client.create_tweet(
        text="Part 2", in_reply_to_tweet_id=first, user_auth=True
    ).data["id"]
    third = tweepy_client.create_tweet(
        text="Part 3", in_reply_to_tweet_id=second, user_auth=True
    ).data["id"]

    posts = x_sandbox.state.posts_by(x_account.id)
    assert [p["id"] for p in posts] == [third, second, first]
    assert {p["conversation_id"] for p in posts} == {first}
    assert posts[0]["referenced_tweets"] == [{"type": "replied_to", "id": second}]
    assert x_models.Post.model_validate(posts[0]).referenced_posts[0].id == second


def test_get_me_identifies_the_account_by_oauth1_and_by_bearer_token(tweepy_client, x_account):
    me = tweepy_client.get_me(user_auth=True, user_fields=["created_at", "public_metrics"])
    assert (str(me.data.id), me.data.username) == (x_account.id, "cleanair")

    body = raw_get(tweepy_client, "/2/users/me", **{"user.fields": "created_at,public_metrics"})
    user = x_models.GetUsersMeResponse.model_validate(body).data
    assert (user.id, user.username, user.name) == (
        x_account.id,
        "cleanair",
        "Department for Clean Air",
    )
    assert user.created_at


def test_unknown_credentials_are_unauthorized(x_sandbox, x_account):
    client = tweepy.Client(
        consumer_key=x_account.credentials["consumer_key"],
        consumer_secret="whatever",
        access_token="1-not-a-token",
        access_token_secret="whatever",
    )
    client.session = make_tweepy_client(x_sandbox, x_account).session
    with pytest.raises(tweepy.Unauthorized):
        client.create_tweet(text="hello", user_auth=True)


def test_text_over_280_weighted_characters_is_forbidden_with_the_problem_shape(
    tweepy_client, x_sandbox
):
    # CJK characters weigh 2: 140 of them fill the limit exactly, one more is too long.
    tweepy_client.create_tweet(text="語" * 140, user_auth=True)
    with pytest.raises(tweepy.Forbidden) as raised:
        tweepy_client.create_tweet(text="語" * 141, user_auth=True)

    body = raised.value.response.json()
    assert body["status"] == 403 and body["title"] == "Forbidden"
    assert "too long" in body["detail"]
    assert len(x_sandbox.state.tweets) == 1


def test_each_url_counts_23_characters_whatever_its_length(tweepy_client):
    long_url = "https://hub.example/consultations/" + "a" * 200
    text = "x" * (280 - 24) + " " + long_url
    assert tweepy_client.create_tweet(text=text, user_auth=True).data["id"]
    with pytest.raises(tweepy.Forbidden):
        tweepy_client.create_tweet(text="y" + text, user_auth=True)


def test_duplicate_content_is_forbidden(tweepy_client):
    tweepy_client.create_tweet(text="Same words", user_auth=True)
    with pytest.raises(tweepy.Forbidden) as raised:
        tweepy_client.create_tweet(text="Same words", user_auth=True)
    assert "duplicate content" in raised.value.response.json()["detail"]


def test_delete_removes_the_tweet_and_lookup_reports_it_not_found(
    tweepy_client, x_sandbox, x_account
):
    kept = tweepy_client.create_tweet(text="kept", user_auth=True).data["id"]
    gone = tweepy_client.create_tweet(text="gone", user_auth=True).data["id"]

    assert tweepy_client.delete_tweet(gone, user_auth=True).data == {"deleted": True}
    assert tweepy_client.delete_tweet(gone, user_auth=True).data == {"deleted": True}

    assert x_sandbox.state.get_post(gone) is None
    lookup = tweepy_client.get_tweets([kept, gone], user_auth=True)
    assert [t.id for t in lookup.data] == [int(kept)]
    assert lookup.errors[0]["resource_id"] == gone

    body = raw_get(tweepy_client, "/2/tweets", ids=f"{kept},{gone}")
    parsed = x_models.GetPostsByIdsResponse.model_validate(body)
    problem = x_models.ResourceNotFoundProblem.model_validate(body["errors"][0])
    assert [p.id for p in parsed.data] == [kept]
    assert (problem.resource_id, problem.resource_type) == (gone, "tweet")


def test_deleting_someone_elses_tweet_is_forbidden(tweepy_client, x_sandbox):
    citizen = x_sandbox.state.citizen_post(handle="alice", text="mine")
    with pytest.raises(tweepy.Forbidden):
        tweepy_client.delete_tweet(citizen["id"], user_auth=True)
    assert x_sandbox.state.get_post(citizen["id"]) is not None


def test_conversation_search_finds_replies_several_levels_deep(tweepy_client, x_sandbox, x_account):
    root = tweepy_client.create_tweet(text="Consultation open #CleanAir", user_auth=True).data["id"]
    first = x_sandbox.state.citizen_reply(root, handle="alice", text="Level one")
    second = x_sandbox.state.citizen_reply(first["id"], handle="bob", text="Level two")
    third = x_sandbox.state.citizen_reply(second["id"], handle="carol", text="Level three")
    x_sandbox.state.citizen_post(handle="dave", text="Unrelated")

    response = tweepy_client.search_recent_tweets(
        f"conversation_id:{root}",
        tweet_fields=TWEET_FIELDS,
        expansions=["author_id"],
        user_auth=True,
    )

    # The root is in its own conversation too, as on X.
    assert [t.id for t in response.data] == [
        int(third["id"]),
        int(second["id"]),
        int(first["id"]),
        int(root),
    ]
    assert {u.username for u in response.includes["users"]} == {"alice", "bob", "carol", "cleanair"}
    assert response.data[0].in_reply_to_user_id == int(second["author_id"])
    assert response.data[0].text == "@bob Level three"

    body = raw_get(
        tweepy_client,
        "/2/tweets/search/recent",
        query=f"conversation_id:{root}",
        **{"tweet.fields": ",".join(TWEET_FIELDS), "expansions": "author_id"},
    )
    parsed = x_models.SearchPostsRecentResponse.model_validate(body)
    assert parsed.meta.result_count == 4 and parsed.meta.newest_id == third["id"]
    assert {u.username for u in parsed.includes.users} == {"alice", "bob", "carol", "cleanair"}


def test_reads_return_only_the_default_fields_unless_asked(tweepy_client, x_sandbox):
    root = tweepy_client.create_tweet(text="Plain", user_auth=True).data["id"]
    body = raw_get(tweepy_client, "/2/tweets", ids=root)
    assert set(body["data"][0]) == {"id", "text", "edit_history_tweet_ids", "edit_history_post_ids"}


def test_search_understands_hashtags_mentions_from_and_or(tweepy_client, x_sandbox):
    tagged = x_sandbox.state.citizen_post(handle="alice", text="I support #CleanAir")
    mention = x_sandbox.state.citizen_post(handle="bob", text="@cleanair what about buses?")
    x_sandbox.state.citizen_post(handle="carol", text="nothing to see")

    def ids(query):
        response = tweepy_client.search_recent_tweets(query, user_auth=True)
        return {str(t.id) for t in response.data or []}

    assert ids("#cleanair") == {tagged["id"]}
    assert ids("@cleanair") == {mention["id"]}
    assert ids("from:bob") == {mention["id"]}
    assert ids("#CleanAir OR @cleanair") == {tagged["id"], mention["id"]}
    assert ids("(#CleanAir OR @cleanair) -from:alice") == {mention["id"]}
    assert ids("buses") == {mention["id"]}


def test_search_pages_through_many_results_with_next_token(tweepy_client, x_sandbox):
    root = tweepy_client.create_tweet(text="Tell us", user_auth=True).data["id"]
    replies = [
        x_sandbox.state.citizen_reply(root, handle=f"citizen{i}", text=f"reply {i}")["id"]
        for i in range(25)
    ]

    seen = []
    for page in tweepy.Paginator(
        tweepy_client.search_recent_tweets,
        f"conversation_id:{root} -from:cleanair",
        max_results=10,
        user_auth=True,
    ):
        seen.append([str(t.id) for t in page.data])

    assert [len(page) for page in seen] == [10, 10, 5]
    assert sum(seen, []) == list(reversed(replies))


def test_since_id_returns_only_newer_posts(tweepy_client, x_sandbox):
    root = tweepy_client.create_tweet(text="Tell us", user_auth=True).data["id"]
    old = x_sandbox.state.citizen_reply(root, handle="alice", text="first")
    new = x_sandbox.state.citizen_reply(root, handle="bob", text="second")

    response = tweepy_client.search_recent_tweets(
        f"conversation_id:{root}", since_id=old["id"], user_auth=True
    )
    assert [str(t.id) for t in response.data] == [new["id"]]
    assert response.meta["newest_id"] == new["id"]


def test_max_results_outside_the_documented_range_is_rejected(tweepy_client):
    with pytest.raises(tweepy.BadRequest) as raised:
        tweepy_client.search_recent_tweets("#CleanAir", max_results=5, user_auth=True)
    problem = raised.value.response.json()
    assert problem["type"] == "https://api.x.com/2/problems/invalid-request"


def test_mentions_timeline_holds_replies_and_mentions_with_pagination(
    tweepy_client, x_sandbox, x_account
):
    root = tweepy_client.create_tweet(text="Tell us", user_auth=True).data["id"]
    made = [
        x_sandbox.state.citizen_reply(root, handle=f"c{i}", text=f"reply {i}")["id"]
        for i in range(6)
    ]
    made.append(x_sandbox.state.citizen_post(handle="dora", text="hey @cleanair")["id"])
    since = made[0]

    pages = list(
        tweepy.Paginator(
            tweepy_client.get_users_mentions,
            x_account.id,
            max_results=5,
            since_id=since,
            user_auth=True,
        )
    )
    assert [str(t.id) for page in pages for t in page.data] == list(reversed(made[1:]))

    body = raw_get(tweepy_client, f"/2/users/{x_account.id}/mentions", max_results=5)
    parsed = x_models.GetUsersMentionsResponse.model_validate(body)
    assert parsed.meta.result_count == 5 and parsed.meta.next_token


def test_user_tweets_lists_the_accounts_recent_posts(tweepy_client, x_sandbox, x_account):
    posted = [
        tweepy_client.create_tweet(text=f"post {i}", user_auth=True).data["id"] for i in range(3)
    ]
    x_sandbox.state.citizen_post(handle="alice", text="not the department's")

    response = tweepy_client.get_users_tweets(x_account.id, max_results=5, user_auth=True)
    assert [str(t.id) for t in response.data] == list(reversed(posted))
    body = raw_get(tweepy_client, f"/2/users/{x_account.id}/tweets", max_results=5)
    assert x_models.GetUsersPostsResponse.model_validate(body).meta.result_count == 3


def test_every_response_carries_the_rate_limit_headers(tweepy_client, x_sandbox):
    response = tweepy_client.session.get(
        "https://api.twitter.com/2/users/me",
        headers={"Authorization": f"Bearer {tweepy_client.bearer_token}"},
    )
    limit = int(response.headers["x-rate-limit-limit"])
    remaining = int(response.headers["x-rate-limit-remaining"])
    assert remaining == limit - 1
    assert int(response.headers["x-rate-limit-reset"]) > 0


def test_unknown_path_is_a_404_problem(x_sandbox):
    response = requests.get(f"{x_sandbox.base_url}/2/nothing", timeout=2)
    assert response.status_code == 404


def test_start_time_limits_search_to_newer_posts(tweepy_client, x_sandbox):
    import datetime as dt

    old = x_sandbox.state.citizen_post(handle="alice", text="old #CleanAir")
    x_sandbox.state.tweets[old["id"]]["created_at"] -= dt.timedelta(hours=2)
    new = x_sandbox.state.citizen_post(handle="bob", text="new #CleanAir")

    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    response = tweepy_client.search_recent_tweets("#CleanAir", start_time=since, user_auth=True)
    assert [str(t.id) for t in response.data] == [new["id"]]


def test_a_post_made_private_is_an_authorization_error_in_lookups(tweepy_client, x_sandbox):
    root = tweepy_client.create_tweet(text="Tell us", user_auth=True).data["id"]
    reply = x_sandbox.state.citizen_reply(root, handle="alice", text="my view")
    x_sandbox.state.set_private(reply["id"])

    body = raw_get(tweepy_client, "/2/tweets", ids=reply["id"])
    problem = x_models.NotAuthorizedForResourceProblem.model_validate(body["errors"][0])
    assert problem.resource_id == reply["id"] and "data" not in body
    search = tweepy_client.search_recent_tweets(
        f"conversation_id:{root} -from:cleanair", user_auth=True
    )
    assert search.data is None and search.meta["result_count"] == 0


def test_a_citizen_reply_shows_its_text_after_the_leading_mention(tweepy_client, x_sandbox):
    root = tweepy_client.create_tweet(text="Tell us", user_auth=True).data["id"]
    reply = x_sandbox.state.citizen_reply(root, handle="alice", text="Cleaner buses")
    start, end = reply["display_text_range"]
    assert reply["text"][start:end] == "Cleaner buses"
