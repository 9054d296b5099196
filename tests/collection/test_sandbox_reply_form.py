"""The demo's path for a newcomer: reply on a sandbox post page's form, see it in the record."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
import requests

from connectors.collection import replies_collect
from engagement.record.models import Response
from tests.collection.conftest import announce
from tests.connectors.conftest import NETWORKS, make_sandbox_channel


def _submit(url: str, **fields) -> requests.Response:
    """What a browser does with the page's form: a form-encoded POST, answered 303."""
    answer = requests.post(url, data=fields, allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text
    return answer


@pytest.mark.django_db
@pytest.mark.parametrize("network", NETWORKS)
def test_a_reply_made_on_the_sandbox_post_page_reaches_the_record(sandboxes, home_page, network):
    announced = announce(home_page, make_sandbox_channel(sandboxes, network))
    server = announced.sandbox.server
    page_url = (
        f"{server.base_url}/_sandbox/posts/{requests.utils.quote(announced.root_id, safe='')}"
    )
    page = requests.get(page_url, timeout=10)
    assert "Reply as a citizen" in page.text
    assert f"action='{page_url.removeprefix(server.base_url)}/reply'" in page.text

    answer = _submit(
        f"{page_url}/reply",
        handle="asthma-mum",
        text="Please put the zone boundary past the school.",
    )
    reply_id = unquote(answer.headers["Location"].removeprefix("/_sandbox/posts/"))
    assert server.state.get_post(reply_id) is not None
    assert (
        "Delete this post"
        in requests.get(server.base_url + answer.headers["Location"], timeout=10).text
    )

    replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)
    response = Response.objects.get(
        consultation=announced.page, channel=network, external_id=reply_id
    )
    assert "zone boundary past the school" in response.text


@pytest.mark.parametrize("network", NETWORKS)
def test_the_sandbox_post_page_deletes_a_reply(sandboxes, network):
    server = sandboxes[network]
    root = server.state.citizen_post(handle="council-watch", text="Clean air zone meeting tonight")
    root_id = str(root.get("id") or root["uri"])
    reply = server.state.citizen_reply(root_id, handle="cyclist", text="I will be there.")
    reply_id = str(reply.get("id") or reply["uri"])
    url = f"{server.base_url}/_sandbox/posts/{requests.utils.quote(reply_id, safe='')}"
    _submit(f"{url}/delete")
    assert server.state.get_post(reply_id) is None
    assert "This post was deleted" in requests.get(url, timeout=10).text


@pytest.mark.parametrize("network", NETWORKS)
def test_the_sandbox_post_page_offers_an_edit_only_where_the_network_has_edits(sandboxes, network):
    server = sandboxes[network]
    post = server.state.citizen_post(handle="map-reader", text="Zone maps online please")
    post_id = str(post.get("id") or post["uri"])
    url = f"{server.base_url}/_sandbox/posts/{requests.utils.quote(post_id, safe='')}"

    page = requests.get(url, timeout=10).text

    # Bluesky posts cannot be edited, only deleted and written again; the others can.
    assert ("Edit this post" in page) == (network != "bluesky")
    if "Edit this post" in page:
        edited = _submit(f"{url}/edit", text="Zone maps online, big enough to read, please")
        shown = requests.get(server.base_url + edited.headers["Location"], timeout=10).text
        assert "big enough to read" in shown
    else:
        assert "/edit'" not in page
        assert requests.post(f"{url}/edit", data={"text": "x"}, timeout=10).status_code == 400
