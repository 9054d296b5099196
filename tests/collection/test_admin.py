"""Administrators see where the record is incomplete and what was quarantined."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from connectors.collection import replies_collect
from connectors.models import QuarantinedPayload
from tests.connectors.conftest import connector_options_set


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser(username="admin", password="x" * 12)
    client.force_login(user)
    return client


@pytest.mark.parametrize("network", ["bluesky"])
def test_the_admin_shows_an_incomplete_collection_and_a_quarantined_payload(
    admin_client, announced, settings
):
    reply = announced.reply(announced.root_id, "odd", "A reply without its text")
    del announced.state.posts[reply]["record"]["text"]
    # One request: the thread is read (and its bad item quarantined), notifications are not.
    connector_options_set(settings, "bluesky", REQUEST_BUDGET=1)
    replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)
    item = QuarantinedPayload.objects.get()

    listing = admin_client.get(reverse("collection:index"))
    quarantine = admin_client.get(reverse("quarantine:index"))
    inspect = admin_client.get(reverse("quarantine:inspect", args=[item.pk]))

    assert listing.status_code == 200
    assert "Incomplete since" in listing.content.decode()
    assert "request budget" in listing.content.decode()
    assert quarantine.status_code == 200
    assert "text: Field required" in quarantine.content.decode()
    assert inspect.status_code == 200
    assert reply in inspect.content.decode()
    assert admin_client.get(reverse("quarantine:edit", args=[item.pk])).status_code in (302, 403)
