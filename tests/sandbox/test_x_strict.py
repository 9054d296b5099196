"""The X sandbox holds to X's published API description (checked with X's own SDK, xdk).

Recent search refuses a since_id/start_time older than seven days (the mentions timeline
has no such window: it reaches the 800 most recent mentions, and its start_time only has
to be on or after 2010-11-06, as X's OpenAPI document says), every query parameter and
field value is one X's document lists, an endpoint outside the app's access level
answers X's 403 client-forbidden problem, text comes HTML-escaped
with t.co links, long posts are cut unless asked for whole, protected and withheld
content is marked as X marks it.
"""

from __future__ import annotations

import typing
from datetime import UTC, datetime, timedelta

import pytest
import requests
import time_machine
import tweepy
import tweepy.tweet
from xdk.posts.client import PostsClient
from xdk.users.client import UsersClient

from connectors.sandbox.x import API_PARAMETERS, LEGACY_TWEET_FIELDS
from tests.sandbox.conftest import make_tweepy_client


def _problem(response: requests.Response) -> dict:
    assert response.status_code == 400, response.text
    body = response.json()
    # X's InvalidRequestProblem (its OpenAPI document), with the `errors` list X sends beside it.
    assert body["type"] == "https://api.x.com/2/problems/invalid-request"
    assert body["title"] == "Invalid Request"
    assert body["detail"]
    assert body["errors"][0]["message"]
    return body


def _get(client: tweepy.Client, path: str, **params) -> requests.Response:
    return client.session.get(
        f"https://api.twitter.com{path}",
        params=params,
        headers={"Authorization": f"Bearer {client.bearer_token}"},
    )


@pytest.fixture
def week_old_post(x_sandbox, x_account):
    with time_machine.travel(datetime.now(UTC) - timedelta(days=8), tick=True):
        return x_sandbox.state.citizen_post(handle="early", text="@cleanair #CleanAir old news")


def test_a_since_id_older_than_seven_days_is_refused_by_recent_search(tweepy_client, week_old_post):
    response = _get(
        tweepy_client, "/2/tweets/search/recent", since_id=week_old_post["id"], query="#CleanAir"
    )

    body = _problem(response)
    assert body["errors"][0]["parameters"] == {"since_id": [week_old_post["id"]]}
    assert "'since_id' must be a tweet id created after" in body["errors"][0]["message"]


def test_a_start_time_older_than_seven_days_is_refused_by_recent_search(tweepy_client):
    eight_days_ago = (datetime.now(UTC) - timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%SZ")

    response = _get(
        tweepy_client, "/2/tweets/search/recent", start_time=eight_days_ago, query="#CleanAir"
    )

    assert "'start_time' must be on or after" in _problem(response)["errors"][0]["message"]


def test_mentions_take_a_since_id_or_start_time_older_than_seven_days(
    tweepy_client, x_sandbox, x_account, week_old_post
):
    fresh = x_sandbox.state.citizen_post(handle="late", text="@cleanair buses please")
    eight_days_ago = datetime.now(UTC) - timedelta(days=8, minutes=1)

    by_id = tweepy_client.get_users_mentions(
        x_account.id, since_id=week_old_post["id"], user_auth=True
    )
    by_time = tweepy_client.get_users_mentions(
        x_account.id, start_time=eight_days_ago, user_auth=True
    )

    assert [str(tweet.id) for tweet in by_id.data] == [fresh["id"]]
    assert [str(tweet.id) for tweet in by_time.data] == [fresh["id"], week_old_post["id"]]


def test_mentions_refuse_a_start_time_before_2010_11_06(tweepy_client, x_account):
    response = _get(
        tweepy_client, f"/2/users/{x_account.id}/mentions", start_time="2010-11-05T23:59:59Z"
    )

    assert "on or after 2010-11-06" in _problem(response)["errors"][0]["message"]


def test_mentions_reach_the_800_most_recent(tweepy_client, x_sandbox, x_account):
    ids = [
        x_sandbox.state.citizen_post(handle=f"m{n % 7}", text=f"@cleanair zone {n}")["id"]
        for n in range(805)
    ]

    seen, token = [], None
    while True:
        page = tweepy_client.get_users_mentions(
            x_account.id, max_results=100, pagination_token=token, user_auth=True
        )
        seen += [str(tweet.id) for tweet in page.data or []]
        token = page.meta.get("next_token")
        if not token:
            break
    # An older since_id reaches no further back.
    oldest = tweepy_client.get_users_mentions(x_account.id, since_id=ids[0], user_auth=True)

    assert seen == list(reversed(ids))[:800]
    assert oldest.meta["result_count"] == 10


def test_an_endpoint_outside_the_apps_access_level_is_forbidden(
    tweepy_client, x_sandbox, x_account
):
    x_sandbox.state.refuse_access("mentions")

    response = _get(tweepy_client, f"/2/users/{x_account.id}/mentions")

    assert response.status_code == 403
    body = response.json()
    assert body["type"] == "https://api.x.com/2/problems/client-forbidden"
    assert body["reason"] == "client-not-enrolled"
    with pytest.raises(tweepy.Forbidden):
        tweepy_client.get_users_mentions(x_account.id, user_auth=True)
    assert tweepy_client.search_recent_tweets("#CleanAir", user_auth=True).meta is not None


def test_recent_search_leaves_out_posts_older_than_seven_days(
    tweepy_client, x_sandbox, week_old_post
):
    fresh = x_sandbox.state.citizen_post(handle="late", text="#CleanAir new news")

    found = tweepy_client.search_recent_tweets("#CleanAir", user_auth=True)

    assert [str(tweet.id) for tweet in found.data] == [fresh["id"]]


def test_tweepy_raises_bad_request_for_a_stale_since_id(tweepy_client, week_old_post):
    with pytest.raises(tweepy.BadRequest, match="since_id"):
        tweepy_client.search_recent_tweets(
            "#CleanAir", since_id=week_old_post["id"], user_auth=True
        )


# --- text as X shows it -------------------------------------------------------------------


def test_text_is_html_escaped_with_t_co_links_and_their_expansions(tweepy_client, x_sandbox):
    written = (
        "Fares & <zones> at https://consult.example.gov.uk/consultations/clean-air-zones/ #CleanAir"
    )
    post = x_sandbox.state.citizen_post(handle="writer", text=written)

    found = tweepy_client.get_tweet(post["id"], tweet_fields=["entities"], user_auth=True)

    (link,) = found.data.entities["urls"]
    assert link["url"].startswith("https://t.co/")
    assert link["expanded_url"] == "https://consult.example.gov.uk/consultations/clean-air-zones/"
    assert link["display_url"] == "consult.example.gov.uk/con…"
    assert found.data.text == (f"Fares &amp; &lt;zones&gt; at {link['url']} #CleanAir")
    # Offsets are into the text as shown, unescaped.
    shown = f"Fares & <zones> at {link['url']} #CleanAir"
    assert shown[link["start"] : link["end"]] == link["url"]
    (tag,) = found.data.entities["hashtags"]
    assert shown[tag["start"] : tag["end"]] == "#CleanAir"


LONG = " ".join(f"Point {n}: buses & trams." for n in range(1, 40))


@pytest.mark.parametrize("field", ["note_tweet", "note_post"])
def test_a_long_post_is_cut_unless_note_tweet_is_asked_for(tweepy_client, x_sandbox, field):
    post = x_sandbox.state.citizen_post(handle="essayist", text=LONG)
    parameter = "tweet.fields" if field == "note_tweet" else "post.fields"

    plain = _get(tweepy_client, f"/2/tweets/{post['id']}").json()["data"]
    whole = _get(tweepy_client, f"/2/tweets/{post['id']}", **{parameter: field}).json()["data"]

    assert len(LONG) > 280
    assert plain["text"].endswith("…")
    assert len(plain["text"].replace("&amp;", "&")) == 280
    assert LONG.replace("&", "&amp;").startswith(plain["text"][:-1])
    assert field not in plain
    assert whole[field]["text"] == LONG.replace("&", "&amp;")
    assert whole["text"] == plain["text"]


# --- every parameter and value checked against X's published description -------------------

# The xdk method (X's SDK, generated from X's OpenAPI document) for each endpoint in
# connectors/sandbox/x_api_parameters.json.
XDK_METHODS = {
    "search_recent": (PostsClient.search_recent, "/2/tweets/search/recent"),
    "lookup": (PostsClient.get_by_ids, "/2/tweets"),
    "lookup_one": (PostsClient.get_by_id, "/2/tweets/{id}"),
    "user_tweets": (UsersClient.get_posts, "/2/users/{id}/tweets"),
    "mentions": (UsersClient.get_mentions, "/2/users/{id}/mentions"),
    "user": (UsersClient.get_by_id, "/2/users/{id}"),
    "me": (UsersClient.get_me, "/2/users/me"),
}


def _literal_values(annotation) -> list[str] | None:
    """The values of the Literal inside ``Optional[List[Literal[...]]]`` and the like."""
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    for inner in typing.get_args(annotation):
        found = _literal_values(inner)
        if found is not None:
            return found
    return None


@pytest.mark.parametrize("endpoint", sorted(XDK_METHODS))
def test_the_parameter_table_is_the_one_x_sdk_encodes(endpoint):
    method, path = XDK_METHODS[endpoint]
    table = API_PARAMETERS[endpoint]
    # xdk's annotations name Literal without importing it.
    hints = typing.get_type_hints(method, localns={"Literal": typing.Literal})
    expected = {
        name.replace("_fields", ".fields"): _literal_values(hint)
        for name, hint in hints.items()
        if name not in ("return", "id")
    }

    assert table["path"] == path
    assert set(table["parameters"]) == set(expected)
    for name, values in expected.items():
        if values is not None:
            assert table["parameters"][name]["enum"] == values, name


def test_the_legacy_tweet_names_are_x_v2_names_the_document_renamed():
    document_fields = set(API_PARAMETERS["search_recent"]["parameters"]["post.fields"]["enum"])

    assert not document_fields & set(LEGACY_TWEET_FIELDS)
    # note_tweet is note_post's v2 name; the rest are tweepy's list of X v2 tweet fields.
    assert set(LEGACY_TWEET_FIELDS) - {"note_tweet"} <= set(tweepy.tweet.TWEET_FIELDS)
    assert set(tweepy.tweet.TWEET_FIELDS) <= document_fields | set(LEGACY_TWEET_FIELDS)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"query": "#CleanAir", "tweet.fields": "created_at,favourites"}, "tweet.fields"),
        ({"query": "#CleanAir", "post.fields": "author_id"}, "post.fields"),
        ({"query": "#CleanAir", "expansions": "author"}, "expansions"),
        ({"query": "#CleanAir", "user.fields": "username,followers"}, "user.fields"),
        ({"query": "#CleanAir", "max_results": "101"}, "max_results"),
        ({"query": "#CleanAir", "max_results": "9"}, "max_results"),
        ({"query": "#CleanAir", "since_id": "12ab"}, "since_id"),
        ({"query": "#CleanAir", "sort_order": "newest"}, "sort_order"),
        ({"query": "#CleanAir", "count": "10"}, "count"),
        ({"query": "#CleanAir", "start_time": "yesterday"}, "start_time"),
    ],
)
def test_a_parameter_or_value_x_does_not_list_is_refused(tweepy_client, params, parameter):
    body = _problem(_get(tweepy_client, "/2/tweets/search/recent", **params))

    assert list(body["errors"][0]["parameters"]) == [parameter]


def test_mentions_take_five_results_but_search_takes_ten(tweepy_client, x_account):
    assert _get(tweepy_client, f"/2/users/{x_account.id}/mentions", max_results=5).ok
    _problem(_get(tweepy_client, "/2/tweets/search/recent", query="#CleanAir", max_results=5))


def test_the_fields_the_hub_asks_for_are_accepted(tweepy_client, x_account):
    found = tweepy_client.search_recent_tweets(
        "#CleanAir",
        tweet_fields=[*LEGACY_TWEET_FIELDS, "created_at", "lang", "entities", "withheld"],
        expansions=["author_id"],
        user_fields=["username", "name", "protected"],
        user_auth=True,
    )

    assert found.meta["result_count"] == 0


# --- protected accounts and withheld posts --------------------------------------------------


def test_a_protected_accounts_posts_are_seen_only_by_approved_followers(
    x_sandbox, x_account, tweepy_client
):
    outsider = x_sandbox.state.create_account(handle="outsider")
    x_sandbox.state.set_protected("guarded", followers=(x_account.id,))
    post = x_sandbox.state.citizen_post(handle="guarded", text="@cleanair #CleanAir private views")

    seen = tweepy_client.search_recent_tweets(
        "#CleanAir", expansions=["author_id"], user_fields=["protected"], user_auth=True
    )
    unseen = make_tweepy_client(x_sandbox, outsider).get_tweet(post["id"], user_auth=True)

    assert [str(tweet.id) for tweet in seen.data] == [post["id"]]
    assert seen.includes["users"][0].protected is True
    assert unseen.data is None
    assert "not-authorized-for-resource" in unseen.errors[0]["type"]


def test_a_withheld_post_says_where_when_asked(x_sandbox, tweepy_client):
    post = x_sandbox.state.citizen_post(handle="reporter", text="#CleanAir withheld words")
    x_sandbox.state.set_withheld(post["id"], country_codes=("DE", "FR"))

    plain = tweepy_client.get_tweet(post["id"], user_auth=True)
    asked = tweepy_client.get_tweet(post["id"], tweet_fields=["withheld"], user_auth=True)

    assert plain.data.withheld is None
    assert asked.data.withheld == {"copyright": False, "country_codes": ["DE", "FR"]}
