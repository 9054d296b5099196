"""The Bluesky sandbox through atproto's Client, shapes checked with atproto's generated models."""

from __future__ import annotations

import time

import pytest
import requests
from atproto import Client, client_utils, models
from atproto.exceptions import BadRequestError, UnauthorizedError
from atproto_client.models.utils import get_or_create

from tests.sandbox.conftest import make_atproto_client


def validated(server, client, nsid, model, **params):
    """The raw XRPC JSON, validated against atproto's model with string formats checked."""
    response = requests.get(
        f"{server.base_url}/xrpc/{nsid}",
        params=params,
        headers={"Authorization": f"Bearer {client._session.access_jwt}"},
        timeout=2,
    )
    assert response.status_code == 200, response.text
    return get_or_create(response.json(), model, strict=True, strict_string_format=True)


def reply_to(post_ref, root_ref=None):
    parent = models.create_strong_ref(post_ref)
    root = models.create_strong_ref(root_ref) if root_ref else parent
    return models.AppBskyFeedPost.ReplyRef(root=root, parent=parent)


def test_login_creates_a_session_with_expiring_jwts(
    atproto_client, bluesky_sandbox, bluesky_account
):
    session = atproto_client._session
    assert atproto_client.me.did == bluesky_account.id
    assert atproto_client.me.handle == "cleanair.sandbox.test"
    assert session.access_jwt_payload.exp > time.time()
    assert session.refresh_jwt_payload.scope == "com.atproto.refresh"

    current = atproto_client.com.atproto.server.get_session()
    assert (current.did, current.handle) == (bluesky_account.id, "cleanair.sandbox.test")
    profile = validated(
        bluesky_sandbox,
        atproto_client,
        "app.bsky.actor.getProfile",
        models.AppBskyActorDefs.ProfileViewDetailed,
        actor=bluesky_account.id,
    )
    assert profile.display_name == "Department for Clean Air"


def test_a_wrong_password_is_refused(bluesky_sandbox, bluesky_account):
    client = Client(base_url=bluesky_sandbox.base_url + "/xrpc")
    with pytest.raises(UnauthorizedError):
        client.login(bluesky_account.credentials["identifier"], "wrong")


def test_an_exported_session_is_reused_without_logging_in_again(atproto_client, bluesky_sandbox):
    exported = atproto_client.export_session_string()
    before = bluesky_sandbox.state.request_log.count(
        ("POST", "/xrpc/com.atproto.server.createSession")
    )

    other = Client(base_url=bluesky_sandbox.base_url + "/xrpc")
    other.login(session_string=exported)
    other.send_post("From a restored session")

    after = bluesky_sandbox.state.request_log.count(
        ("POST", "/xrpc/com.atproto.server.createSession")
    )
    assert after == before


def test_an_expired_access_token_is_refused_then_refreshed(bluesky_sandbox, bluesky_account):
    bluesky_sandbox.state.access_token_ttl = 1
    client = make_atproto_client(bluesky_sandbox, bluesky_account)
    stale = client._session.access_jwt
    time.sleep(max(0.0, client._session.access_jwt_payload.exp - time.time()) + 0.05)

    response = requests.get(
        f"{bluesky_sandbox.base_url}/xrpc/com.atproto.server.getSession",
        headers={"Authorization": f"Bearer {stale}"},
        timeout=2,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "ExpiredToken"

    bluesky_sandbox.state.access_token_ttl = 7200
    client.send_post("After the refresh")  # atproto refreshes the session itself first
    assert ("POST", "/xrpc/com.atproto.server.refreshSession") in bluesky_sandbox.state.request_log
    assert client._session.access_jwt != stale


def test_a_refresh_token_works_once(atproto_client, bluesky_sandbox):
    refresh = atproto_client._session.refresh_jwt
    url = f"{bluesky_sandbox.base_url}/xrpc/com.atproto.server.refreshSession"
    first = requests.post(url, headers={"Authorization": f"Bearer {refresh}"}, timeout=2)
    second = requests.post(url, headers={"Authorization": f"Bearer {refresh}"}, timeout=2)
    assert first.status_code == 200
    assert get_or_create(first.json(), models.ComAtprotoServerRefreshSession.Response, strict=True)
    assert (second.status_code, second.json()["error"]) == (400, "ExpiredToken")


def test_send_post_with_facets_stores_a_valid_record(
    atproto_client, bluesky_sandbox, bluesky_account
):
    text = (
        client_utils.TextBuilder()
        .text("Have your say 🌍 ")
        .link("hub.example/c/1", "https://hub.example/c/1")
        .text(" ")
        .tag("#CleanAir", "CleanAir")
    )
    post = atproto_client.send_post(text)

    assert post.uri.startswith(f"at://{bluesky_account.id}/app.bsky.feed.post/")
    stored = bluesky_sandbox.state.get_post(post.uri)
    assert stored["cid"] == post.cid
    record = get_or_create(
        stored["record"], models.AppBskyFeedPost.Record, strict=True, strict_string_format=True
    )
    link, tag = record.facets
    encoded = record.text.encode()
    assert encoded[link.index.byte_start : link.index.byte_end] == b"hub.example/c/1"
    assert encoded[tag.index.byte_start : tag.index.byte_end] == b"#CleanAir"
    listed = atproto_client.com.atproto.repo.list_records(
        {"repo": bluesky_account.id, "collection": "app.bsky.feed.post"}
    )
    assert [r.uri for r in listed.records] == [post.uri]


def test_text_over_300_graphemes_is_invalid(atproto_client, bluesky_sandbox):
    family = "👨\u200d👩\u200d👧"  # one grapheme, 18 bytes
    atproto_client.send_post("e\u0301" * 300)  # 300 graphemes of two code points each
    with pytest.raises(BadRequestError) as raised:
        atproto_client.send_post("a" * 301)
    assert raised.value.response.content.error == "InvalidRequest"
    assert "grapheme too big (maximum 300, got 301)" in raised.value.response.content.message
    with pytest.raises(BadRequestError):
        atproto_client.send_post(family * 167)  # 167 graphemes but 3006 bytes
    assert len(bluesky_sandbox.state.posts) == 1


def test_facet_ranges_outside_the_text_are_invalid(atproto_client, bluesky_sandbox):
    facet = models.AppBskyRichtextFacet.Main(
        index=models.AppBskyRichtextFacet.ByteSlice(byte_start=2, byte_end=99),
        features=[models.AppBskyRichtextFacet.Tag(tag="CleanAir")],
    )
    with pytest.raises(BadRequestError) as raised:
        atproto_client.send_post("short", facets=[facet])
    assert "facets/0/index" in raised.value.response.content.message


def test_reply_refs_need_uri_and_cid(atproto_client, bluesky_sandbox):
    response = requests.post(
        f"{bluesky_sandbox.base_url}/xrpc/com.atproto.repo.createRecord",
        json={
            "repo": atproto_client.me.did,
            "collection": "app.bsky.feed.post",
            "record": {
                "$type": "app.bsky.feed.post",
                "text": "reply",
                "createdAt": "2026-01-01T00:00:00Z",
                "reply": {"root": {"uri": "at://did:plc:x/app.bsky.feed.post/3k"}, "parent": {}},
            },
        },
        headers={"Authorization": f"Bearer {atproto_client._session.access_jwt}"},
        timeout=2,
    )
    assert response.status_code == 400
    assert "reply/root" in response.json()["message"]


def test_thread_several_levels_deep_in_get_post_thread(atproto_client, bluesky_sandbox):
    root = atproto_client.send_post("Part 1")
    part2 = atproto_client.send_post("Part 2", reply_to=reply_to(root))
    alice = bluesky_sandbox.state.citizen_reply(root.uri, handle="alice", text="Level one")
    bob = bluesky_sandbox.state.citizen_reply(alice["uri"], handle="bob", text="Level two")
    carol = bluesky_sandbox.state.citizen_reply(bob["uri"], handle="carol", text="Level three")

    thread = atproto_client.get_post_thread(root.uri, depth=10).thread
    assert [r.post.uri for r in thread.replies] == [part2.uri, alice["uri"]]
    level_three = thread.replies[1].replies[0].replies[0]
    assert level_three.post.uri == carol["uri"]
    assert level_three.post.record.reply.root.uri == root.uri

    shallow = atproto_client.get_post_thread(root.uri, depth=1).thread
    assert shallow.replies[1].replies is None

    from_leaf = validated(
        bluesky_sandbox,
        atproto_client,
        "app.bsky.feed.getPostThread",
        models.AppBskyFeedGetPostThread.Response,
        uri=carol["uri"],
    )
    assert from_leaf.thread.parent.parent.post.uri == alice["uri"]
    assert from_leaf.thread.parent.parent.parent.post.uri == root.uri


def test_deleted_replies_with_their_subtree_and_blocked_replies_leave_the_thread(
    atproto_client, bluesky_sandbox
):
    """As the reference App View answers (checked against @atproto/dev-env 0.6.7)."""
    root = atproto_client.send_post("Tell us")
    kept = bluesky_sandbox.state.citizen_reply(root.uri, handle="erin", text="still here")
    gone = bluesky_sandbox.state.citizen_reply(root.uri, handle="alice", text="I will delete this")
    child = bluesky_sandbox.state.citizen_reply(gone["uri"], handle="bob", text="replying to alice")
    leaf = bluesky_sandbox.state.citizen_reply(root.uri, handle="carol", text="gone without trace")
    blocked = bluesky_sandbox.state.citizen_reply(root.uri, handle="dave", text="blocked")
    bluesky_sandbox.state.delete_post(gone["uri"])
    bluesky_sandbox.state.delete_post(leaf["uri"])
    bluesky_sandbox.state.set_blocked(blocked["uri"])

    thread = validated(
        bluesky_sandbox,
        atproto_client,
        "app.bsky.feed.getPostThread",
        models.AppBskyFeedGetPostThread.Response,
        uri=root.uri,
    ).thread
    assert [reply.post.uri for reply in thread.replies] == [kept["uri"]]

    from_child = atproto_client.get_post_thread(child["uri"]).thread
    assert isinstance(from_child.parent, models.AppBskyFeedDefs.NotFoundPost)
    with pytest.raises(BadRequestError) as raised:
        atproto_client.get_post_thread(gone["uri"])
    assert raised.value.response.content.error == "NotFound"


def test_delete_post_removes_it_and_get_posts_leaves_it_out(atproto_client, bluesky_sandbox):
    kept = atproto_client.send_post("kept")
    gone = atproto_client.send_post("gone")

    assert atproto_client.delete_post(gone.uri) is True
    assert bluesky_sandbox.state.get_post(gone.uri) is None

    posts = validated(
        bluesky_sandbox,
        atproto_client,
        "app.bsky.feed.getPosts",
        models.AppBskyFeedGetPosts.Response,
        uris=[kept.uri, gone.uri],
    )
    assert [p.uri for p in posts.posts] == [kept.uri]
    assert [p.uri for p in atproto_client.get_posts([kept.uri, gone.uri]).posts] == [kept.uri]


def test_notifications_hold_replies_mentions_and_quotes(
    atproto_client, bluesky_sandbox, bluesky_account
):
    root = atproto_client.send_post("Tell us")
    reply = bluesky_sandbox.state.citizen_reply(root.uri, handle="alice", text="Cleaner buses")
    nested = bluesky_sandbox.state.citizen_reply(reply["uri"], handle="bob", text="Agreed")
    mention = bluesky_sandbox.state.citizen_post(
        handle="carol", text="@cleanair.sandbox.test trains?"
    )
    quote = bluesky_sandbox.state.citizen_post(handle="dan", text="Read this", quote_of=root.uri)
    bluesky_sandbox.state.citizen_post(handle="erin", text="unrelated")

    listed = atproto_client.app.bsky.notification.list_notifications()
    assert [(n.reason, n.uri) for n in listed.notifications] == [
        ("quote", quote["uri"]),
        ("mention", mention["uri"]),
        ("reply", nested["uri"]),  # the root's author hears of replies deep in the thread
        ("reply", reply["uri"]),
    ]
    raw = validated(
        bluesky_sandbox,
        atproto_client,
        "app.bsky.notification.listNotifications",
        models.AppBskyNotificationListNotifications.Response,
    )
    assert raw.notifications[1].record.facets[0].features[0].did == bluesky_account.id

    replies_only = atproto_client.app.bsky.notification.list_notifications({"reasons": ["reply"]})
    assert {n.uri for n in replies_only.notifications} == {reply["uri"], nested["uri"]}


def test_notifications_page_with_a_cursor(atproto_client, bluesky_sandbox):
    root = atproto_client.send_post("Tell us")
    made = [
        bluesky_sandbox.state.citizen_reply(root.uri, handle=f"c{i}", text=f"reply {i}")["uri"]
        for i in range(12)
    ]

    seen, cursor = [], None
    while True:
        page = atproto_client.app.bsky.notification.list_notifications(
            {"limit": 5, "cursor": cursor}
        )
        seen.extend(n.uri for n in page.notifications)
        cursor = page.cursor
        if not cursor:
            break
    assert seen == list(reversed(made))


def test_every_response_carries_the_ratelimit_headers(atproto_client, bluesky_sandbox):
    response = requests.get(
        f"{bluesky_sandbox.base_url}/xrpc/app.bsky.actor.getProfile",
        params={"actor": "cleanair.sandbox.test"},
        timeout=2,
    )
    assert response.headers["ratelimit-policy"] == "3000;w=300"
    assert int(response.headers["ratelimit-remaining"]) < int(response.headers["ratelimit-limit"])
    assert int(response.headers["ratelimit-reset"]) > time.time()


def test_an_unknown_method_is_not_implemented(bluesky_sandbox):
    response = requests.get(f"{bluesky_sandbox.base_url}/xrpc/app.bsky.feed.getTimeline", timeout=2)
    assert (response.status_code, response.json()["error"]) == (501, "MethodNotImplemented")
