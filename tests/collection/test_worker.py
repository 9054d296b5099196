"""Collection through real Celery processes: a worker killed mid-poll, and worker + beat end to end.

Each test starts its own worker (and beat) as separate OS processes on a queue of
its own, so it can kill them without touching the suite's shared worker.
"""

from __future__ import annotations

import signal

import pytest
import requests

from connectors.backends.facebook import GRAPH_API_VERSION
from connectors.models import CollectionState, DeliveryPost
from connectors.tasks import collect_replies
from engagement.record.models import Respondent, Response
from tests.collection.conftest import announce, post_id
from tests.connectors.conftest import NETWORKS, make_sandbox_channel
from tests.factories.connectors import LONG_SUMMARY, DepartmentFactory
from tests.worker_processes import wait_for

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_worker_killed_mid_poll_loses_nothing_and_duplicates_nothing_after_restart(
    processes,
    sandboxes,
    home_page,
):
    sandbox = make_sandbox_channel(sandboxes, "x")
    announced = announce(home_page, sandbox)
    expected = {
        announced.reply(announced.root_id, f"voter{n}", f"Reply {n} from a citizen")
        for n in range(400)
    }
    group = processes(HUB_COLLECT_PAGE_SIZE="10", HUB_COLLECT_PAGES_PER_POLL="1000")
    worker = group.worker()
    page, channel = announced.page.pk, announced.channel.pk

    collect_replies.apply_async(args=[page, channel], queue=group.queue)
    wait_for(
        lambda: Response.objects.filter(consultation_id=page).exists(),
        timeout=60,
        what="the first page to be committed",
        interval=0.01,
    )
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    at_kill = set(
        Response.objects.filter(consultation_id=page).values_list("external_id", flat=True)
    )
    # Killed part-way: some pages committed, not all of them.
    assert 0 < len(at_kill) < len(expected), group.log("worker.log")
    cursor_at_kill = CollectionState.objects.get(consultation_id=page).cursor
    assert cursor_at_kill

    group.worker()
    # The killed task's message stays unacknowledged; beat would enqueue the next poll.
    result = collect_replies.apply_async(args=[page, channel], queue=group.queue)
    assert result.get(timeout=120) == "caught_up", group.log("worker.log")

    recorded = list(
        Response.objects.filter(consultation_id=page).values_list("external_id", flat=True)
    )
    assert len(recorded) == len(set(recorded)) == len(expected)
    assert set(recorded) == expected
    assert at_kill <= set(recorded)
    assert Respondent.objects.filter(responses__consultation_id=page).distinct().count() == len(
        expected
    )


# The read that walks one of our posts' threads; the second such read is held back.
THREAD_READS = {
    "mastodon": lambda root: f"/api/v1/statuses/{root}/context",
    "bluesky": lambda root: "/xrpc/app.bsky.feed.getPostThread",
}


@pytest.mark.parametrize("network", sorted(THREAD_READS))
def test_a_worker_killed_mid_thread_walk_loses_nothing_and_duplicates_nothing_after_restart(
    processes,
    sandboxes,
    home_page,
    network,
):
    """Killed while reading the second part's thread: the first part's thread (and all
    the replies under it) committed; the mentions and hashtag posts still to come."""
    sandbox = make_sandbox_channel(sandboxes, network)
    announced = announce(home_page, sandbox, summary=LONG_SUMMARY)
    roots = list(
        DeliveryPost.objects.filter(delivery__consultation=announced.page)
        .order_by("position")
        .values_list("external_id", flat=True)
    )
    assert len(roots) >= 2, "the announcement must be a thread for its walk to be cut"
    expected = {
        announced.reply(root, f"walker{n}x{part}", f"Reply {n} to part {part + 1}")
        for part, root in enumerate(roots)
        for n in range(6)
    }
    state = sandbox.server.state
    handle = sandbox.account.handle
    hashtag = announced.page.hashtag
    expected |= {
        # A mention belongs to the consultation by its hashtag (it comes by both routes).
        post_id(
            network,
            state.citizen_post(handle=f"mentioner{n}", text=f"@{handle} #{hashtag} view {n}"),
        )
        for n in range(15)
    }
    expected |= {
        post_id(network, state.citizen_post(handle=f"tagger{n}", text=f"#{hashtag} view {n}"))
        for n in range(15)
    }
    held = THREAD_READS[network](roots[1])
    # The first thread read passes; the next one is held until the worker is dead.
    skip = 0 if held.endswith("/context") else 1
    sandbox.server.inject_fault("timeout", path=held, method="GET", skip=skip, hold=120)
    group = processes(HUB_COLLECT_PAGE_SIZE="10", HUB_COLLECT_PAGES_PER_POLL="1000")
    page, channel = announced.page.pk, announced.channel.pk
    try:
        worker = group.worker()
        collect_replies.apply_async(args=[page, channel], queue=group.queue)
        wait_for(
            lambda: (
                sum(path == held for _, path in list(state.request_log)) > skip
                and Response.objects.filter(consultation_id=page).exists()
            ),
            timeout=60,
            what=lambda: f"the second thread read\n{group.log('worker.log')}",
            interval=0.01,
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        sandbox.server.clear_faults()
    at_kill = set(
        Response.objects.filter(consultation_id=page).values_list("external_id", flat=True)
    )
    assert 0 < len(at_kill) < len(expected), group.log("worker.log")

    group.worker()
    result = collect_replies.apply_async(args=[page, channel], queue=group.queue)
    assert result.get(timeout=120) == "caught_up", group.log("worker.log")

    recorded = list(
        Response.objects.filter(consultation_id=page).values_list("external_id", flat=True)
    )
    missing = [_text(state.get_post(item)) for item in expected - set(recorded)]
    assert not missing, missing
    assert len(recorded) == len(set(recorded)) == len(expected)
    assert set(recorded) == expected
    assert at_kill <= set(recorded)


def _comment_tree(announced, network: str) -> set[str]:
    """Comments and replies under the one post (or video) the consultation was announced by,
    shaped so the walk takes several reads: more than a page of comments, and (YouTube,
    LinkedIn) threads whose replies are read one thread at a time."""
    root = announced.root_id
    tops = [root]
    if network == "youtube":
        # Top-level comments on the video are threads of their own beside the announcement.
        video = announced.sandbox.account.credentials["video"]
        tops = [root] + [announced.reply(video, f"viewer{n}", f"Comment {n}") for n in range(11)]
    else:
        tops += [announced.reply(root, f"commenter{n}", f"Comment {n}") for n in range(11)]
    expected = set(tops[1:])
    # YouTube carries 5 replies in a thread, so 6 send the walk to comments.list.
    per_thread = 6 if network == "youtube" else 3
    for thread, top in enumerate(tops):
        expected |= {
            announced.reply(top, f"replier{n}x{thread}", f"Reply {n} in thread {thread}")
            for n in range(per_thread)
        }
    return expected


# The read held back in a comment tree's walk (the second read of it passes to the worker
# only after it is dead): Facebook's second page of the stream, YouTube's second thread
# expanded by comments.list, LinkedIn's second comment whose replies are read.
TREE_READS = {
    "facebook": lambda root: f"/{GRAPH_API_VERSION}/{root}/comments",
    "youtube": lambda root: "/youtube/v3/comments",
    "linkedin": lambda root: "/rest/socialActions/urn%3Ali%3Acomment",
}


@pytest.mark.parametrize("network", sorted(TREE_READS))
def test_a_worker_killed_mid_comment_tree_walk_loses_nothing_and_duplicates_nothing_after_restart(
    processes,
    sandboxes,
    home_page,
    network,
):
    """The networks without threads announce in one post: the walk cut is the one of the
    comments and replies under it."""
    sandbox = make_sandbox_channel(sandboxes, network)
    announced = announce(home_page, sandbox)
    state = sandbox.server.state
    expected = _comment_tree(announced, network)
    held = TREE_READS[network](announced.root_id)
    sandbox.server.inject_fault("timeout", path=held, method="GET", skip=1, hold=120)
    group = processes(HUB_COLLECT_PAGE_SIZE="10", HUB_COLLECT_PAGES_PER_POLL="1000")
    page, channel = announced.page.pk, announced.channel.pk
    try:
        worker = group.worker()
        collect_replies.apply_async(args=[page, channel], queue=group.queue)
        wait_for(
            lambda: (
                sum(path.startswith(held) for _, path in list(state.request_log)) > 1
                and Response.objects.filter(consultation_id=page).exists()
            ),
            timeout=60,
            what=lambda: f"the held read {held}\n{group.log('worker.log')}",
            interval=0.01,
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        sandbox.server.clear_faults()
    at_kill = set(
        Response.objects.filter(consultation_id=page).values_list("external_id", flat=True)
    )
    assert 0 < len(at_kill) < len(expected), group.log("worker.log")
    assert CollectionState.objects.get(consultation_id=page).cursor

    group.worker()
    result = collect_replies.apply_async(args=[page, channel], queue=group.queue)
    assert result.get(timeout=120) == "caught_up", group.log("worker.log")

    recorded = list(
        Response.objects.filter(consultation_id=page).values_list("external_id", flat=True)
    )
    missing = [_text(state.get_post(item)) for item in expected - set(recorded)]
    assert not missing, missing
    assert len(recorded) == len(set(recorded)) == len(expected)
    assert set(recorded) == expected
    assert at_kill <= set(recorded)


def _text(post: dict | None) -> str:
    if post is None:
        return "(gone)"
    return str(
        post.get("text")
        or post.get("message")
        or post.get("content")
        or post.get("record", {}).get("text")
    )


def _post_reply_over_http(base_url: str, parent_id: str, handle: str, text: str) -> dict:
    """What a person does on the demo's sandbox page: POST /_sandbox/replies."""
    answer = requests.post(
        f"{base_url}/_sandbox/replies",
        json={"parent_id": parent_id, "handle": handle, "text": text},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()


def test_with_worker_and_beat_running_a_reply_on_each_network_reaches_the_record(
    processes,
    sandboxes,
    home_page,
):
    department = DepartmentFactory()
    announced = {
        network: announce(
            home_page, make_sandbox_channel(sandboxes, network, department=department)
        )
        for network in NETWORKS
    }
    group = processes(
        HUB_COLLECT_TICK="2",
        HUB_COLLECT_INTERVAL_X="3",
        HUB_COLLECT_INTERVAL_MASTODON="3",
        HUB_COLLECT_INTERVAL_BLUESKY="3",
        HUB_COLLECT_INTERVAL_FACEBOOK="3",
        HUB_COLLECT_INTERVAL_YOUTUBE="3",
        HUB_COLLECT_INTERVAL_LINKEDIN="3",
    )
    group.worker()
    group.beat()

    replies = {
        network: post_id(
            network,
            _post_reply_over_http(
                item.sandbox.server.base_url,
                item.root_id,
                f"citizen-{network}",
                f"My view, posted on {network}.",
            ),
        )
        for network, item in announced.items()
    }

    def all_recorded():
        return all(
            Response.objects.filter(
                consultation=announced[network].page, channel=network, external_id=reply_id
            ).exists()
            for network, reply_id in replies.items()
        )

    # A functional deadline (the "within a minute"), not a timing measurement.
    wait_for(
        all_recorded,
        timeout=60,
        what=f"the replies to be collected; beat log:\n{group.log('beat.log')}\n"
        f"worker log:\n{group.log('worker.log')}",
        interval=0.5,
    )
