"""Sandbox servers and the real client libraries pointed at them."""

from __future__ import annotations

import pytest
import requests

from connectors.sandbox import start_sandbox

CLIENT_TIMEOUT = 1.0
TWEEPY_HOSTS = ("https://api.twitter.com", "https://api.x.com")


class SandboxSession(requests.Session):
    """tweepy 4.17 hard-codes https://api.twitter.com; send its requests to the sandbox instead."""

    def __init__(self, base_url: str, timeout: float = CLIENT_TIMEOUT):
        super().__init__()
        self.sandbox_base_url = base_url
        self.timeout = timeout

    def request(self, method, url, *args, **kwargs):
        for host in TWEEPY_HOSTS:
            if url.startswith(host):
                url = self.sandbox_base_url + url[len(host) :]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def x_sandbox():
    server = start_sandbox("x")
    yield server
    server.stop()


@pytest.fixture
def mastodon_sandbox():
    server = start_sandbox("mastodon")
    yield server
    server.stop()


@pytest.fixture
def bluesky_sandbox():
    server = start_sandbox("bluesky")
    yield server
    server.stop()


@pytest.fixture
def x_account(x_sandbox):
    return x_sandbox.state.create_account(
        handle="cleanair", display_name="Department for Clean Air"
    )


@pytest.fixture
def mastodon_account(mastodon_sandbox):
    return mastodon_sandbox.state.create_account(
        handle="cleanair", display_name="Department for Clean Air"
    )


@pytest.fixture
def bluesky_account(bluesky_sandbox):
    return bluesky_sandbox.state.create_account(
        handle="cleanair", display_name="Department for Clean Air", password="correct horse"
    )


def make_tweepy_client(server, account):
    import tweepy

    client = tweepy.Client(**account.credentials)
    client.session = SandboxSession(server.base_url)
    return client


def make_mastodon_client(server, account):
    from mastodon import Mastodon

    return Mastodon(
        api_base_url=server.base_url,
        access_token=account.credentials["access_token"],
        ratelimit_method="throw",
        request_timeout=CLIENT_TIMEOUT,
    )


def make_atproto_client(server, account):
    from atproto import Client
    from atproto_client.request import Request

    client = Client(base_url=server.base_url + "/xrpc", request=Request(timeout=CLIENT_TIMEOUT))
    client.login(account.credentials["identifier"], account.credentials["password"])
    return client


@pytest.fixture
def tweepy_client(x_sandbox, x_account):
    return make_tweepy_client(x_sandbox, x_account)


@pytest.fixture
def mastodon_client(mastodon_sandbox, mastodon_account):
    return make_mastodon_client(mastodon_sandbox, mastodon_account)


@pytest.fixture
def atproto_client(bluesky_sandbox, bluesky_account):
    return make_atproto_client(bluesky_sandbox, bluesky_account)
