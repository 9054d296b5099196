"""A fourth network is one backend, one sandbox and one settings entry: nothing else changes.

"Pigeon" exists only in this module: a tiny backend speaking plain JSON over
HTTP, and its sandbox on the shared sandbox server. Registered in
``HUB_CONNECTORS`` for these tests only, it shows up in the admin's choices,
in the record's channels, in the demo seeding and in the collection schedule.
"""

from __future__ import annotations

import io
import json
import secrets
from datetime import timedelta

import pytest
import requests
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pydantic import Field

from connectors.base import Connector, RoutePage, parse_time
from connectors.collection import collection_claim, replies_collect
from connectors.exceptions import (
    ConnectorError,
    NotFound,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    TransientError,
)
from connectors.formatting import NetworkRules
from connectors.models import ChannelAccount, CollectionState, ConsultationChannel
from connectors.registry import connector_options, network_choices
from connectors.sandbox import sandbox_names, start_sandbox
from connectors.sandbox.server import NetworkApi, NetworkState, Request, Response, SandboxAccount
from connectors.schemas import SecretsSchema
from connectors.selectors import collection_due
from connectors.types import ExternalAccount, ExternalPost, IncomingReply, OutgoingPost
from consultations.models import ConsultationPage
from engagement.record.channels import channel_choices
from engagement.record.models import Response as RecordResponse
from tests.factories.connectors import ChannelAccountFactory, DepartmentFactory, consultation_page

# --- The sandbox -------------------------------------------------------------------------


class PigeonState(NetworkState):
    network = "pigeon"

    def __init__(self) -> None:
        super().__init__()
        self.accounts: dict[str, SandboxAccount] = {}
        self.posts: list[dict] = []

    def create_account(self, *, handle, display_name=None, password=None):
        account = SandboxAccount(
            id=f"p{len(self.accounts) + 1}",
            handle=handle,
            display_name=display_name or handle,
            credentials={"token": secrets.token_urlsafe(16)},
        )
        self.accounts[account.credentials["token"]] = account
        return account

    def citizen_post(self, *, handle, text, display_name=None):
        with self.lock:
            post = {
                "id": str(len(self.posts) + 1),
                "author": handle,
                "text": text,
                "created_at": timezone.now().isoformat(),
                "parent_id": "",
                "deleted": False,
            }
            self.posts.append(post)
        return post

    def snapshot(self):
        return {"posts": list(self.posts)}

    def post_summaries(self):
        return list(reversed(self.posts))


class PigeonApi(NetworkApi):
    network = "pigeon"
    state_class = PigeonState
    state: PigeonState

    def routes(self):
        return [
            ("GET", r"/me", self.me),
            ("GET", r"/posts", self.search),
            ("POST", r"/posts", self.create),
        ]

    def rate_limit_headers(self, limit, remaining, reset):
        return {"x-remaining": str(remaining)}

    def rate_limited(self, reset):
        return Response(429, {"error": "slow down"})

    def _account(self, req: Request) -> SandboxAccount:
        account = self.state.accounts.get(req.bearer_token() or "")
        if account is None:
            from connectors.sandbox.server import SandboxError

            raise SandboxError(401, {"error": "unknown token"})
        return account

    def me(self, req, match):
        account = self._account(req)
        return Response(body={"id": account.id, "handle": account.handle})

    def search(self, req, match):
        self._account(req)
        tag = "#" + (req.arg("tag") or "")
        return Response(body=[post for post in self.state.posts if tag in post["text"]])

    def create(self, req, match):
        account = self._account(req)
        post = self.state.citizen_post(handle=account.handle, text=req.json()["text"])
        return Response(201, post)


# --- The backend ---------------------------------------------------------------------------


class PigeonSecrets(SecretsSchema):
    token: str = Field(min_length=1, title="Pigeon token")


class PigeonConnector(Connector):
    network = "pigeon"
    label = "Pigeon post"
    default_base_url = "https://pigeon.invalid"
    secrets_schema = PigeonSecrets
    text_rules = NetworkRules(network="Pigeon post", limit=120)
    poll_interval = 33
    request_budget = 5
    client_errors = (requests.RequestException,)

    def translate_error(self, error, what) -> ConnectorError:
        response = getattr(error, "response", None)
        status = response.status_code if response is not None else None
        if status == 429:
            return RateLimited(timezone.now(), f"Pigeon rate limit on {what}")
        if status == 404:
            return NotFound(f"Pigeon could not find what {what} needs")
        if status is not None and status < 500:
            return PermanentError(f"Pigeon refused {what}")
        if status is not None:
            return TransientError(f"Pigeon server error on {what}")
        return OutcomeUnknown(f"no answer from Pigeon to {what}: {error}")

    def _request(self, method: str, path: str, **kwargs):
        response = requests.request(
            method,
            self.base_url + path,
            headers={"Authorization": f"Bearer {self.secrets.token}"},
            timeout=self.timeout,
            **kwargs,
        )
        response.raise_for_status()
        return response.json()

    def verify(self):
        me = self._call("me", self._request, "GET", "/me")
        return ExternalAccount(id=me["id"], handle=me["handle"])

    def publish(self, post: OutgoingPost):
        created = self._call(
            "post", self._request, "POST", "/posts", json={"text": post.text}, write=True
        )
        return ExternalPost(id=created["id"], text=created["text"])

    def delete(self, post):
        return None

    def recent_posts(self, *, limit=50):
        return []

    def collection_routes(self, scope):
        return [f"hashtag:{scope.hashtag}"] if scope.hashtag else []

    def fetch_route_page(self, route, state, scope):
        tag = route.partition(":")[2]
        posts = self._call("search", self._request, "GET", "/posts", params={"tag": tag})
        replies = []
        for raw in posts:
            fields = {
                "id": raw["id"],
                "author_id": raw["author"],
                "author_handle": raw["author"],
                "text": raw["text"],
                "created_at": parse_time(raw["created_at"]),
            }
            item = self.reply_validate("hashtag", fields, raw)
            if isinstance(item, IncomingReply):
                replies.append(item)
        return RoutePage(replies=tuple(replies), state={}, done=True, posts_read=len(posts))


# --- Registering it for these tests only -------------------------------------------------------


@pytest.fixture
def pigeon(settings):
    settings.HUB_CONNECTORS = {
        **settings.HUB_CONNECTORS,
        "pigeon": {
            "BACKEND": f"{__name__}.PigeonConnector",
            "OPTIONS": {"REQUEST_BUDGET": 7},
            "SANDBOX": f"{__name__}.PigeonApi",
        },
    }
    server = start_sandbox("pigeon")
    yield server
    server.stop()


def test_the_network_is_in_the_admin_choices_and_the_records_channels(pigeon, admin_client):
    assert ("pigeon", "Pigeon post") in network_choices()
    assert ("pigeon", "Pigeon post") in channel_choices()
    assert "pigeon" in sandbox_names()
    ChannelAccountFactory(network="pigeon", handle="coo")

    add_page = admin_client.get(reverse("channels:add")).content.decode()
    listing = admin_client.get(reverse("channels:index")).content.decode()

    assert '<option value="pigeon">Pigeon post</option>' in add_page
    assert "Pigeon post @coo" in listing or "Pigeon post" in listing


def test_the_demo_seeding_makes_a_channel_and_responses_on_it(
    pigeon, home_page, tmp_path, settings
):
    account = pigeon.state.create_account(handle="cleanair", display_name="Clean Air")
    path = tmp_path / "sandboxes.json"
    path.write_text(
        json.dumps(
            {
                "pigeon": {
                    "base_url": pigeon.base_url,
                    "account": account.as_dict(),
                    "credentials": account.credentials,
                }
            }
        )
    )
    settings.HUB_SANDBOX_CREDENTIALS = str(path)

    call_command("seed_demo", stdout=io.StringIO())

    consultation = ConsultationPage.objects.get(
        slug="clean-air-zones", locale__language_code="en-gb"
    )
    channel = ChannelAccount.objects.get(department=consultation.department, network="pigeon")
    assert ConsultationChannel.objects.filter(page=consultation, channel=channel).exists()
    assert channel.get_network_display() == "Pigeon post"
    assert RecordResponse.objects.filter(consultation=consultation, channel="pigeon").exists()


def test_the_collection_schedule_polls_it_at_its_own_interval_and_collects(pigeon, home_page):
    account = pigeon.state.create_account(handle="cleanair")
    channel = ChannelAccountFactory(
        network="pigeon",
        handle="cleanair",
        base_url=pigeon.base_url,
        credentials=account.credentials,
        department=DepartmentFactory(),
    )
    page = consultation_page(
        home_page, channel.department, channels=[channel], live=True, hashtag="Roost"
    )
    pigeon.state.citizen_post(handle="jo", text="More perches please #Roost")
    now = timezone.now()

    assert (page.pk, channel.pk) in collection_due(now=now)
    assert collection_claim(consultation_id=page.pk, channel_id=channel.pk, now=now)
    state = CollectionState.objects.get(consultation=page, channel=channel)
    assert state.next_poll_at == now + timedelta(seconds=PigeonConnector.poll_interval)
    assert (page.pk, channel.pk) not in collection_due(now=now)
    assert connector_options("pigeon").request_budget == 7

    outcome = replies_collect(consultation_id=page.pk, channel_id=channel.pk)

    assert outcome.complete and outcome.created == 1
    (response,) = RecordResponse.objects.filter(consultation=page, channel="pigeon")
    assert response.text == "More perches please #Roost"
    assert response.get_channel_display() == "Pigeon post"
