"""All six networks by their labels where people choose among them: the admin's channel
listing (and its network filter) and the public responses page's channel facet."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from search.services import search_index_drain
from tests.factories.connectors import ChannelAccountFactory, DepartmentFactory, consultation_page
from tests.factories.search import PublicResponseFactory

pytestmark = pytest.mark.django_db

# Written out, not read from the registry: the labels the networks give themselves.
LABELS = {
    "x": "X",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "facebook": "Facebook",
    "youtube": "YouTube",
    "linkedin": "LinkedIn",
}


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_admin_channel_listing_shows_each_network_by_its_label(admin_client):
    department = DepartmentFactory()
    for network in LABELS:
        ChannelAccountFactory(department=department, network=network, handle=f"dept-{network}")

    html = admin_client.get(reverse("channels:index")).content.decode()

    rows = {}
    for row in re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.DOTALL):
        handle = re.search(r">\s*(dept-[a-z]+)\s*</a>", row)
        if handle:
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.DOTALL)
            rows[handle[1]] = [_text(cell) for cell in cells]
    assert set(rows) == {f"dept-{network}" for network in LABELS}
    for network, label in LABELS.items():
        # The network column (the second) shows the label, not the stored value.
        assert rows[f"dept-{network}"][1] == label, rows[f"dept-{network}"]
    # The listing's network filter offers each of them by its label.
    offered = dict(re.findall(r'name="network" value="([a-z]+)"[^>]*>\s*([^<]+?)\s*</label>', html))
    assert offered == LABELS


def test_the_responses_page_channel_facet_shows_each_network_by_its_label(
    client, home_page, database_search
):
    page = consultation_page(home_page, DepartmentFactory(), live=True)
    for count, network in enumerate(LABELS, start=1):
        for number in range(count):
            PublicResponseFactory(
                consultation=page, channel=network, published_text=f"{network} {number}."
            )
    search_index_drain()

    html = client.get(f"/consultations/{page.slug}/responses/").content.decode()

    facet = re.search(r'<div[^>]*id="filter-channel".*?</fieldset>', html, flags=re.DOTALL)
    assert facet is not None
    inputs = dict(
        re.findall(
            r'id="(filter-channel-\d+)" name="channel" type="checkbox" value="([^"]+)"', facet[0]
        )
    )
    labels = {
        inputs[for_id]: _text(text)
        for for_id, text in re.findall(
            r'<label[^>]*for="(filter-channel-\d+)">(.*?)</label>', facet[0], flags=re.DOTALL
        )
    }
    # Each network by its label, with its own count (one response from x, two from
    # mastodon, ...): the label belongs to the right value.
    assert labels == {
        network: f"{label} ({count})"
        for count, (network, label) in enumerate(LABELS.items(), start=1)
    }
