"""Injected faults, seen through each network's real client library."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import requests
import tweepy
from atproto_client import exceptions as atproto_errors
from mastodon import (
    MastodonAPIError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonServiceUnavailableError,
)

from tests.sandbox.conftest import (
    CLIENT_TIMEOUT,
    make_atproto_client,
    make_mastodon_client,
    make_tweepy_client,
)

HOLD = CLIENT_TIMEOUT + 1


@dataclass
class Network:
    name: str
    server: Any
    account: Any
    client: Any
    write_path: str

    def post(self, text: str) -> str:
        if self.name == "x":
            return self.client.create_tweet(text=text, user_auth=True).data["id"]
        if self.name == "mastodon":
            return str(self.client.status_post(text).id)
        return self.client.send_post(text).uri

    def read_me(self) -> Any:
        if self.name == "x":
            return self.client.get_me(user_auth=True).data.username
        if self.name == "mastodon":
            return self.client.account_verify_credentials().acct
        return self.client.com.atproto.server.get_session().handle

    def texts(self) -> list[str]:
        posts = self.server.state.posts_by(self.account.id)
        if self.name == "x":
            return [p["text"] for p in posts]
        if self.name == "mastodon":
            return [p["content"].removeprefix("<p>").removesuffix("</p>") for p in posts]
        return [p["record"]["text"] for p in posts]


WRITE_PATHS = {
    "x": "/2/tweets",
    "mastodon": "/api/v1/statuses",
    "bluesky": "/xrpc/com.atproto.repo.createRecord",
}
RATE_LIMITED = {
    "x": tweepy.TooManyRequests,
    "mastodon": MastodonRatelimitError,
    "bluesky": atproto_errors.RateLimitExceededError,
}
SERVER_ERROR = {
    "x": tweepy.TwitterServerError,
    "mastodon": MastodonServiceUnavailableError,
    "bluesky": atproto_errors.RequestException,
}
MALFORMED = {
    "x": requests.exceptions.JSONDecodeError,
    "mastodon": MastodonAPIError,
    "bluesky": ValueError,
}
TIMED_OUT = {
    "x": requests.exceptions.Timeout,
    "mastodon": MastodonNetworkError,
    "bluesky": atproto_errors.InvokeTimeoutError,
}
CONNECTION_LOST = {
    "x": requests.exceptions.ConnectionError,
    "mastodon": MastodonNetworkError,
    "bluesky": httpx.RemoteProtocolError,
}


@pytest.fixture(params=["x", "mastodon", "bluesky"])
def network(request):
    from connectors.sandbox import start_sandbox

    server = start_sandbox(request.param)
    account = server.state.create_account(
        handle="cleanair", display_name="Clean Air", password="pw"
    )
    make = {
        "x": make_tweepy_client,
        "mastodon": make_mastodon_client,
        "bluesky": make_atproto_client,
    }
    client = make[request.param](server, account)
    yield Network(request.param, server, account, client, WRITE_PATHS[request.param])
    server.stop()


def reset_time_of(network: Network, error: Exception) -> float:
    """The reset moment each client library reads from the 429's headers, as epoch seconds."""
    if network.name == "x":
        return float(error.reset_time or int(error.response.headers["x-rate-limit-reset"]))
    if network.name == "mastodon":
        return float(network.client.ratelimit_reset)
    return error.reset_at.timestamp()


def test_rate_limit_answers_429_with_a_reset_time_then_succeeds(network):
    network.server.inject_fault("rate_limit", path=network.write_path, reset_in=2)
    before = time.time()

    with pytest.raises(RATE_LIMITED[network.name]) as raised:
        network.post("Consultation open")

    reset = reset_time_of(network, raised.value)
    assert before + 1 <= reset <= before + 4
    assert network.texts() == []
    network.post("Consultation open")
    assert network.texts() == ["Consultation open"]


def test_x_rate_limit_headers_are_what_tweepy_reads(x_sandbox, tweepy_client):
    x_sandbox.inject_fault("rate_limit", reset_in=30)
    with pytest.raises(tweepy.TooManyRequests) as raised:
        tweepy_client.get_me(user_auth=True)
    headers = raised.value.response.headers
    assert headers["x-rate-limit-remaining"] == "0"
    assert int(headers["x-rate-limit-reset"]) >= time.time() + 29


def test_mastodon_rate_limit_reset_header_is_iso8601(mastodon_sandbox):
    mastodon_sandbox.inject_fault("rate_limit", reset_in=30)
    response = requests.get(f"{mastodon_sandbox.base_url}/api/v1/instance", timeout=2)
    assert response.status_code == 429
    reset = datetime.fromisoformat(response.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
    assert reset > datetime.now(UTC)
    assert response.headers["X-RateLimit-Remaining"] == "0"


def test_server_error_answers_503_and_writes_nothing(network):
    network.server.inject_fault("server_error", times=2, path=network.write_path)

    for _ in range(2):
        with pytest.raises(SERVER_ERROR[network.name]):
            network.post("Consultation open")
    assert network.texts() == []
    network.post("Consultation open")
    assert network.texts() == ["Consultation open"]


def test_malformed_json_reaches_the_client_as_a_parse_error_after_the_write(network):
    network.server.inject_fault("malformed", path=network.write_path)
    with pytest.raises(MALFORMED[network.name]):
        network.post("Consultation open")
    assert network.texts() == ["Consultation open"]


def test_timeout_leaves_the_client_waiting_past_its_timeout_and_writes_nothing(network):
    network.server.inject_fault("timeout", path=network.write_path, hold=HOLD)
    started = time.monotonic()
    with pytest.raises(TIMED_OUT[network.name]):
        network.post("Consultation open")
    assert time.monotonic() - started >= CLIENT_TIMEOUT
    assert network.texts() == []


def test_crash_after_write_keeps_the_post_but_the_client_loses_the_answer(network):
    network.server.inject_fault("crash_after_write", path=network.write_path)
    with pytest.raises(CONNECTION_LOST[network.name]):
        network.post("Consultation open")
    assert network.texts() == ["Consultation open"]


def test_after_a_crash_the_client_can_find_the_post_it_did_not_hear_about(network):
    network.server.inject_fault("crash_after_write", path=network.write_path)
    with pytest.raises(CONNECTION_LOST[network.name]):
        if network.name == "mastodon":
            network.client.status_post("Consultation open", idempotency_key="delivery-7")
        else:
            network.post("Consultation open")

    if network.name == "x":
        recent = network.client.get_users_tweets(network.account.id, max_results=5, user_auth=True)
        found = [str(t.id) for t in recent.data if t.text == "Consultation open"]
    elif network.name == "mastodon":
        retried = network.client.status_post("Consultation open", idempotency_key="delivery-7")
        found = [str(retried.id)]
    else:
        listed = network.client.com.atproto.repo.list_records(
            {"repo": network.account.id, "collection": "app.bsky.feed.post", "limit": 5}
        )
        found = [r.uri for r in listed.records if r.value.text == "Consultation open"]

    stored = network.server.state.posts_by(network.account.id)
    assert len(stored) == 1
    assert found == [stored[0]["uri" if network.name == "bluesky" else "id"]]


def test_a_fault_only_hits_requests_under_its_path(network):
    network.server.inject_fault("server_error", path=network.write_path)
    assert network.read_me() in ("cleanair", "cleanair.sandbox.test")
    with pytest.raises(SERVER_ERROR[network.name]):
        network.post("Consultation open")


def test_unknown_fault_kinds_are_refused(network):
    with pytest.raises(ValueError, match="unknown fault kind"):
        network.server.inject_fault("gremlins")
