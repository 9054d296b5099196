"""The Mastodon sandbox behaves as Mastodon's own source says, through Mastodon.py.

Sources (github.com/mastodon/mastodon): notifications have a plain bigserial id
(db/schema.rb; statuses alone use timestamp ids); Statuses::ContextsController
caps descendants at CONTEXT_LIMIT = 4_096 in tree order (StatusThreadingConcern
"ORDER BY path LIMIT"); PostStatusService keeps an Idempotency-Key with
``setex ..., 3_600``; TextFormatter renders <p>/<br />, h-card mentions showing
only the username while ``mentions[].acct`` keeps the domain.
"""

from __future__ import annotations

import time

import time_machine
from mastodon import Mastodon

from connectors.sandbox.mastodon import CONTEXT_LIMIT


def test_notification_ids_are_a_plain_sequence_not_snowflakes(
    mastodon_sandbox, mastodon_account, mastodon_client
):
    state = mastodon_sandbox.state
    for n in range(3):
        state.citizen_post(handle=f"citizen{n}", text=f"@cleanair point {n}")

    ids = sorted(int(n.id) for n in mastodon_client.notifications(types=["mention"]))

    assert ids == [1, 2, 3]
    status_ids = [int(s["id"]) for s in state.posts_by(state.account_by_username("citizen0")["id"])]
    assert status_ids[0] > 2**40  # statuses keep time-based snowflake ids


def test_an_idempotency_key_is_honoured_for_one_hour_only(mastodon_client):
    first = mastodon_client.status_post("Our consultation opens.", idempotency_key="k-1")
    with time_machine.travel(time.time() + 59 * 60, tick=True):
        again = mastodon_client.status_post("Our consultation opens.", idempotency_key="k-1")
    with time_machine.travel(time.time() + 61 * 60, tick=True):
        later = mastodon_client.status_post("Our consultation opens.", idempotency_key="k-1")

    assert again.id == first.id
    assert later.id != first.id


def test_context_returns_at_most_the_cap_of_descendants_in_tree_order(
    mastodon_sandbox, mastodon_account
):
    # Four thousand statuses take longer than the other tests' one-second client timeout.
    mastodon_client = Mastodon(
        api_base_url=mastodon_sandbox.base_url,
        access_token=mastodon_account.credentials["access_token"],
        request_timeout=30,
    )
    state = mastodon_sandbox.state
    root = mastodon_client.status_post("A popular consultation.")
    citizen = state._new_account("crowd", "Crowd")
    with state.lock:
        first = state._create_status(citizen, "first", in_reply_to_id=str(root.id))
        for n in range(CONTEXT_LIMIT):
            state._create_status(citizen, f"reply {n}", in_reply_to_id=first["id"])
        last = state._create_status(citizen, "late and deep", in_reply_to_id=first["id"])

    descendants = mastodon_client.status_context(root.id).descendants

    assert len(descendants) == CONTEXT_LIMIT == 4096
    assert str(descendants[0].id) == first["id"]
    assert str(last["id"]) not in {str(s.id) for s in descendants}


def test_content_is_rendered_as_mastodon_renders_it(
    mastodon_sandbox, mastodon_account, mastodon_client
):
    state = mastodon_sandbox.state
    state.citizen_status(handle="bob@other.example", text="hello")
    status = state.citizen_status(
        handle="ann",
        text="@cleanair first line\nsecond line\n\n@bob@other.example agrees",
        spoiler_text="traffic",
    )

    seen = mastodon_client.status(status["id"])

    assert seen.content == (
        '<p><span class="h-card" translate="no"><a href="'
        f'{mastodon_sandbox.base_url}/@cleanair" class="u-url mention">@<span>cleanair</span></a>'
        "</span> first line<br />second line</p>"
        '<p><span class="h-card" translate="no"><a href="https://other.example/@bob" '
        'class="u-url mention">@<span>bob</span></a></span> agrees</p>'
    )
    assert seen.spoiler_text == "traffic"
    assert seen.sensitive is True
    assert {m.acct for m in seen.mentions} == {"cleanair", "bob@other.example"}


def test_a_media_only_status_has_empty_content_and_its_attachments(
    mastodon_sandbox, mastodon_account, mastodon_client
):
    status = mastodon_sandbox.state.citizen_status(handle="snapper", media=("image", "image"))

    seen = mastodon_client.status(status["id"])

    assert seen.content == ""
    assert [a.type for a in seen.media_attachments] == ["image", "image"]


def test_a_remote_servers_html_is_passed_on_as_it_came(mastodon_sandbox, mastodon_client):
    html = "<p>Two things:</p><ul><li>buses</li><li>bikes</li></ul>"
    status = mastodon_sandbox.state.citizen_status(
        handle="lister@lists.example", text="Two things: buses bikes", content_html=html
    )

    assert mastodon_client.status(status["id"]).content == html
    assert mastodon_client.status(status["id"]).account.acct == "lister@lists.example"
