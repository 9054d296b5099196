"""Responses from each of the six networks reach the open-data exports with their channel."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.connectors.conftest import NETWORKS
from tests.factories.connectors import DepartmentFactory, consultation_page
from tests.factories.search import PublicResponseFactory


@pytest.mark.django_db
def test_the_exports_carry_a_response_from_each_network_with_its_link(client, home_page):
    page = consultation_page(home_page, DepartmentFactory(), live=True)
    for network in NETWORKS:
        PublicResponseFactory(
            consultation=page,
            channel=network,
            published_text=f"Heard on {network}.",
            url=f"https://{network}.example/post/1",
        )

    body = b"".join(client.get(f"/consultations/{page.slug}/responses.csv").streaming_content)
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    listed = json.loads(
        b"".join(client.get(f"/consultations/{page.slug}/responses.json").streaming_content)
    )

    assert {row["channel"]: row["published_text"] for row in rows} == {
        network: f"Heard on {network}." for network in NETWORKS
    }
    assert {row["channel"]: row["url"] for row in rows} == {
        network: f"https://{network}.example/post/1" for network in NETWORKS
    }
    assert sorted(item["channel"] for item in listed) == sorted(NETWORKS)
