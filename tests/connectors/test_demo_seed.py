"""seed_demo turns the sandbox command's credentials file into working channels for the demo."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from connectors.models import (
    ChannelAccount,
    ConsultationChannel,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
)
from connectors.services import channel_account_verify
from consultations.models import ConsultationPage
from tests.connectors.conftest import NETWORKS, SandboxChannel
from tests.connectors.test_outcome_replies import own_replies_on_network


def _credentials_file(tmp_path, sandboxes, handle: str):
    """The JSON `manage.py sandbox --seed-accounts --credentials-file` writes (see its README)."""
    data = {}
    for network in NETWORKS:
        server = sandboxes[network]
        account = server.state.create_account(
            handle=handle, display_name="Department for Clean Air"
        )
        data[network] = {
            "base_url": server.base_url,
            "account": {
                "id": account.id,
                "handle": account.handle,
                "display_name": account.display_name,
            },
            "credentials": account.credentials,
        }
    path = tmp_path / f"{handle}.json"
    path.write_text(json.dumps(data))
    return path, data


def test_seed_demo_creates_a_working_channel_per_sandbox_and_links_the_demo_consultation(
    home_page, sandboxes, tmp_path, settings
):
    path, data = _credentials_file(tmp_path, sandboxes, "seeded")
    settings.HUB_SANDBOX_CREDENTIALS = str(path)

    call_command("seed_demo", stdout=io.StringIO())

    consultation = ConsultationPage.objects.get(
        slug="clean-air-zones", locale__language_code="en-gb"
    )
    channels = ChannelAccount.objects.filter(department=consultation.department)
    assert sorted(c.network for c in channels) == sorted(NETWORKS)
    assert ConsultationChannel.objects.filter(page=consultation).count() == len(NETWORKS)
    for channel in channels:
        assert channel.base_url == data[channel.network]["base_url"]
        assert channel_account_verify(channel=channel).id == data[channel.network]["account"]["id"]


def test_seed_demo_again_after_a_sandbox_restart_refreshes_the_credentials(
    home_page, sandboxes, tmp_path, settings
):
    first, _ = _credentials_file(tmp_path, sandboxes, "first")
    settings.HUB_SANDBOX_CREDENTIALS = str(first)
    call_command("seed_demo", stdout=io.StringIO())
    second, data = _credentials_file(tmp_path, sandboxes, "second")
    settings.HUB_SANDBOX_CREDENTIALS = str(second)

    call_command("seed_demo", stdout=io.StringIO())

    channels = ChannelAccount.objects.all()
    assert channels.count() == len(NETWORKS)
    for channel in channels:
        # seed_demo collects through the channel, so a session it logged in with may be kept.
        expected = data[channel.network]["credentials"]
        assert {key: channel.credentials.get(key) for key in expected} == expected
        assert set(channel.credentials) - set(expected) <= {"session"}
        assert channel.account_id == data[channel.network]["account"]["id"]


def test_seed_demo_without_the_sandbox_file_says_so_and_seeds_the_rest(
    home_page, tmp_path, settings
):
    settings.HUB_SANDBOX_CREDENTIALS = str(tmp_path / "missing.json")
    errors = io.StringIO()

    call_command("seed_demo", stdout=io.StringIO(), stderr=errors)

    assert "does not exist" in errors.getvalue()
    assert ConsultationPage.objects.filter(slug="clean-air-zones").exists()
    assert not ChannelAccount.objects.exists()


@pytest.mark.parametrize("content", ["not json", '{"x": {"base_url": "http://127.0.0.1:1"}}'])
def test_seed_demo_reports_a_malformed_sandbox_file(home_page, tmp_path, settings, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    settings.HUB_SANDBOX_CREDENTIALS = str(path)
    errors = io.StringIO()

    call_command("seed_demo", stdout=io.StringIO(), stderr=errors)

    assert "No sandbox channels" in errors.getvalue()
    assert not ChannelAccount.objects.exists()


def test_seed_demo_publish_outcome_replies_once_in_each_sandbox_announcement_thread(
    home_page, sandboxes, tmp_path, settings
):
    path, data = _credentials_file(tmp_path, sandboxes, "outcome")
    settings.HUB_SANDBOX_CREDENTIALS = str(path)
    call_command("seed_demo", stdout=io.StringIO())

    out = io.StringIO()
    call_command("seed_demo", "--publish-outcome", stdout=out)
    call_command("seed_demo", "--publish-outcome", stdout=io.StringIO())  # says it once only

    consultation = ConsultationPage.objects.get(
        slug="clean-air-zones", locale__language_code="en-gb"
    )
    assert consultation.outcome_is_public
    for channel in ChannelAccount.objects.filter(department=consultation.department):
        # The English announcement's thread (a Welsh one, where posted, has its own reply).
        announcement = Delivery.objects.get(
            consultation=consultation, channel=channel, kind=DeliveryKind.ANNOUNCE, language=""
        )
        reply = Delivery.objects.get(
            consultation=consultation, channel=channel, kind=DeliveryKind.OUTCOME, language=""
        )
        assert reply.status == DeliveryStatus.DELIVERED, (channel.network, reply.last_error)
        sandbox = SandboxChannel(
            server=sandboxes[channel.network],
            account=SimpleNamespace(id=data[channel.network]["account"]["id"]),
            channel=channel,
        )
        last_part = announcement.posts.order_by("position").last().external_id
        replies = own_replies_on_network(sandbox, channel.network, last_part)
        assert len(replies) == 1, (channel.network, replies)
        assert "/consultations/clean-air-zones/summary/" in replies[0]
        assert reply.first_url in out.getvalue()
    # Each Welsh announcement gets the outcome in Welsh, in its own thread.
    welsh = Delivery.objects.filter(
        consultation=consultation,
        kind=DeliveryKind.ANNOUNCE,
        language="cy",
        status=DeliveryStatus.DELIVERED,
    )
    assert welsh.exists()
    for announcement in welsh:
        reply = Delivery.objects.get(
            consultation=consultation,
            channel=announcement.channel,
            kind=DeliveryKind.OUTCOME,
            language="cy",
        )
        assert reply.status == DeliveryStatus.DELIVERED, (reply.channel.network, reply.last_error)
        assert reply.first_url in out.getvalue()
