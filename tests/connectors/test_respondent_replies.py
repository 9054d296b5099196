"""The optional outcome reply to each respondent: once per public top-level reply, only
where the network's rules allow it and the consultation's channel asks for it, capped per
hour; sent through the real client libraries to the sandboxes (and Bluesky's reference
PDS) and read back from the network's own state.
"""

from __future__ import annotations

import signal
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from connectors.collection import replies_collect, responses_sweep
from connectors.models import (
    ConsultationChannel,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
)
from connectors.services import delivery_send
from connectors.tasks import announce_outcomes, deliver, reply_to_respondents
from engagement.moderation.services import responses_hold
from engagement.record.models import ModerationReason, Response
from tests.connectors.conftest import REFERENCE, SandboxChannel, make_sandbox_channel
from tests.connectors.sandbox_posts import post_id, post_parent, post_text
from tests.connectors.test_outcome_replies import (
    REPLY_WRITE_PATHS,
    _announced,
    _publish_outcome,
)
from tests.worker_processes import wait_for

ALLOWED = ("mastodon", "bluesky", "facebook")
FORBIDDEN = ("x", "youtube", "linkedin")


def replies_under(sandbox: SandboxChannel, network: str, parent_id: str) -> list[str]:
    """The texts of the account's live replies directly under someone's ``parent_id``,
    from the network's own state."""
    state = sandbox.server.state
    if network == "facebook":
        return [
            c["message"]
            for c in state.comments.values()
            if c["parent_id"] == parent_id
            and c["author_id"] == sandbox.account.id
            and not c["deleted"]
        ]
    sandbox.settle()
    return [
        " ".join([post_text(network, post), *_links(network, post)])
        for post in sandbox.posts
        if post_parent(network, post) == parent_id
    ]


def _links(network: str, post: dict) -> list[str]:
    if network != "bluesky":
        return []
    return [
        feature["uri"]
        for facet in post["record"].get("facets") or []
        for feature in facet["features"]
        if "uri" in feature
    ]


def _reply(sandbox: SandboxChannel, network: str, parent_id: str, handle: str, text: str) -> str:
    post = sandbox.server.state.citizen_reply(parent_id, handle=handle, text=text)
    return post_id(network, post)


def _collect(sandbox: SandboxChannel, page) -> None:
    sandbox.settle()
    replies_collect(consultation_id=page.pk, channel_id=sandbox.channel.pk)


def _switch_on(page, sandbox: SandboxChannel) -> None:
    # As the page editor's inline saves it (the admin form runs clean()).
    link = ConsultationChannel.objects.get(page_id=page.pk, channel=sandbox.channel)
    link.reply_to_respondents = True
    link.full_clean()
    link.save()


def _outcome_out(page, sandbox: SandboxChannel) -> None:
    """The outcome published and replied in the announcement thread (in this process)."""
    _publish_outcome(page)
    assert announce_outcomes.apply().get() == 1
    outcome = Delivery.objects.get(consultation=page, kind=DeliveryKind.OUTCOME)
    assert delivery_send(delivery_id=outcome.pk).status == DeliveryStatus.DELIVERED


def _respondent_replies(page):
    return Delivery.objects.filter(consultation=page, kind=DeliveryKind.RESPONDENT_REPLY)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("target", [*ALLOWED, REFERENCE])
def test_each_top_level_reply_gets_the_outcome_once_from_a_real_worker(
    processes, sandbox_channel, home_page, network
):
    page, announced = _announced(home_page, sandbox_channel)
    first = _reply(sandbox_channel, network, announced, "ana", "Please include the ring road.")
    second = _reply(sandbox_channel, network, announced, "bryn", "Buses first, please.")
    nested = _reply(sandbox_channel, network, first, "cai", "Agreed, the ring road too.")
    _collect(sandbox_channel, page)
    assert set(
        Response.objects.filter(consultation=page).values_list("external_id", flat=True)
    ) == {first, second, nested}
    _switch_on(page, sandbox_channel)

    group = processes()
    group.worker()
    # Nothing before the outcome is in the announcement thread.
    assert reply_to_respondents.apply_async(queue=group.queue).get(timeout=60) == 0
    _publish_outcome(page)
    assert announce_outcomes.apply_async(queue=group.queue).get(timeout=60) == 1
    wait_for(
        lambda: Delivery.objects.filter(
            consultation=page, kind=DeliveryKind.OUTCOME, status=DeliveryStatus.DELIVERED
        ).exists(),
        timeout=60,
        what=lambda: f"the outcome reply to be delivered\n{group.log('worker.log')}",
    )

    assert reply_to_respondents.apply_async(queue=group.queue).get(timeout=60) == 2
    wait_for(
        lambda: _respondent_replies(page).filter(status=DeliveryStatus.DELIVERED).count() == 2,
        timeout=90,
        what=lambda: f"both respondent replies to be delivered\n{group.log('worker.log')}",
    )
    for parent in (first, second):
        replies = replies_under(sandbox_channel, network, parent)
        assert len(replies) == 1, replies
        assert f"/consultations/{page.slug}/summary/" in replies[0]
        assert "Thank you for taking part" in replies[0]
    assert replies_under(sandbox_channel, network, nested) == []
    # Auditable: which response each reply answered, and what happened when.
    for delivery in _respondent_replies(page):
        assert delivery.response.external_id in (first, second)
        assert delivery.posts.count() == 1
        actions = list(delivery.events.values_list("action", flat=True))
        assert actions[0] == "scheduled" and actions[-1] == "delivered", actions

    # Another run, and the replies sent again, post nothing more.
    assert reply_to_respondents.apply_async(queue=group.queue).get(timeout=60) == 0
    for delivery in _respondent_replies(page):
        result = deliver.apply_async(args=[delivery.pk], queue=group.queue)
        assert result.get(timeout=60) == DeliveryStatus.DELIVERED
    for parent in (first, second):
        assert len(replies_under(sandbox_channel, network, parent)) == 1
    assert _respondent_replies(page).count() == 2


@pytest.mark.celery_worker
@pytest.mark.sandbox_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("network", ALLOWED)
def test_a_worker_killed_after_replying_to_a_respondent_does_not_reply_twice(
    processes, sandboxes, home_page, network
):
    sandbox = make_sandbox_channel(sandboxes, network)
    page, announced = _announced(home_page, sandbox)
    respondent = _reply(sandbox, network, announced, "ana", "Please include the ring road.")
    _collect(sandbox, page)
    _switch_on(page, sandbox)
    _outcome_out(page, sandbox)
    # The reply is written, but its answer is held back until the worker is dead.
    sandbox.server.inject_fault(
        "hold_after_write", path=REPLY_WRITE_PATHS[network], method="POST", hold=120
    )
    try:
        group = processes()
        worker = group.worker()
        reply_to_respondents.apply_async(queue=group.queue)
        wait_for(
            lambda: len(replies_under(sandbox, network, respondent)) == 1,
            timeout=60,
            what=lambda: f"the reply to the respondent to be written\n{group.log('worker.log')}",
            interval=0.01,
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        sandbox.server.clear_faults()

    delivery = _respondent_replies(page).get()
    assert delivery.response.external_id == respondent
    assert delivery.status == DeliveryStatus.SENDING
    assert not delivery.posts.exists()

    group.worker()
    result = deliver.apply_async(args=[delivery.pk], queue=group.queue)
    assert result.get(timeout=120) == DeliveryStatus.DELIVERED, group.log("worker.log")
    replies = replies_under(sandbox, network, respondent)
    assert len(replies) == 1, replies
    # The reply found under the respondent's post was adopted as the delivery's own.
    assert delivery.events.filter(action="recovered").exists()
    assert delivery.posts.count() == 1
    assert _respondent_replies(page).count() == 1
    # Beat's next runs neither schedule nor send another.
    assert reply_to_respondents.apply_async(queue=group.queue).get(timeout=60) == 0
    assert len(replies_under(sandbox, network, respondent)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("network", FORBIDDEN)
def test_no_reply_to_respondents_where_the_networks_rules_forbid_it(sandboxes, home_page, network):
    sandbox = make_sandbox_channel(sandboxes, network)
    page, announced = _announced(home_page, sandbox)
    reply = _reply(sandbox, network, announced, "ana", "Please include the ring road.")
    _collect(sandbox, page)
    assert Response.objects.filter(consultation=page, external_id=reply).exists()
    link = ConsultationChannel.objects.get(page_id=page.pk, channel=sandbox.channel)
    link.reply_to_respondents = True
    with pytest.raises(ValidationError) as refused:
        link.full_clean()
    assert "reply_to_respondents" in refused.value.message_dict
    # Even switched on behind the form's back, nothing is scheduled or posted.
    link.save()
    _outcome_out(page, sandbox)

    assert reply_to_respondents.apply().get() == 0
    assert not _respondent_replies(page).exists()
    assert replies_under(sandbox, network, reply) == []


@pytest.mark.django_db
def test_off_by_default_nobody_gets_a_reply(sandboxes, home_page):
    sandbox = make_sandbox_channel(sandboxes, "mastodon")
    page, announced = _announced(home_page, sandbox)
    reply = _reply(sandbox, "mastodon", announced, "ana", "Please include the ring road.")
    _collect(sandbox, page)
    _outcome_out(page, sandbox)

    assert not ConsultationChannel.objects.get(page_id=page.pk).reply_to_respondents
    assert reply_to_respondents.apply().get() == 0
    assert replies_under(sandbox, "mastodon", reply) == []


@pytest.mark.django_db
@pytest.mark.parametrize("network", ALLOWED)
def test_no_reply_to_a_withdrawn_hidden_or_deleted_reply(sandboxes, home_page, network):
    sandbox = make_sandbox_channel(sandboxes, network)
    page, announced = _announced(home_page, sandbox)
    kept = _reply(sandbox, network, announced, "ana", "Please include the ring road.")
    withdrawn = _reply(sandbox, network, announced, "bryn", "Buses first, please.")
    hidden = _reply(sandbox, network, announced, "cai", "Buy cheap watches at example.com")
    deleted_late = _reply(sandbox, network, announced, "dai", "More trees on the high street.")
    _collect(sandbox, page)
    # Deleted on the network and withdrawn by the sweep; held back by a moderator.
    sandbox.server.state.delete_post(withdrawn)
    responses_sweep(consultation_id=page.pk, channel_id=sandbox.channel.pk)
    assert Response.objects.get(external_id=withdrawn).withdrawn_at is not None
    responses_hold(
        response_ids=[Response.objects.get(external_id=hidden).pk],
        reason=ModerationReason.SPAM,
        note="spam",
    )
    _switch_on(page, sandbox)
    _outcome_out(page, sandbox)

    assert reply_to_respondents.apply().get() == 2
    scheduled = {d.response.external_id: d for d in _respondent_replies(page)}
    assert set(scheduled) == {kept, deleted_late}
    # Deleted on the network after it was scheduled: found out just before sending.
    sandbox.server.state.delete_post(deleted_late)
    for delivery in scheduled.values():
        deliver.apply(args=[delivery.pk]).get()

    assert Delivery.objects.get(pk=scheduled[kept].pk).status == DeliveryStatus.DELIVERED
    cancelled = Delivery.objects.get(pk=scheduled[deleted_late].pk)
    assert cancelled.status == DeliveryStatus.CANCELLED
    assert "no longer public" in cancelled.last_error
    assert cancelled.events.filter(action="cancelled").exists()
    assert len(replies_under(sandbox, network, kept)) == 1
    for parent in (withdrawn, hidden, deleted_late):
        assert replies_under(sandbox, network, parent) == []


@pytest.mark.django_db
def test_the_hourly_cap_holds_and_the_rest_wait_for_a_later_run(sandboxes, home_page, settings):
    settings.HUB_RESPONDENT_REPLY_HOURLY_CAP = 2
    sandbox = make_sandbox_channel(sandboxes, "bluesky")
    page, announced = _announced(home_page, sandbox)
    replies = [
        _reply(sandbox, "bluesky", announced, f"person{n}", f"Idea number {n}.") for n in range(3)
    ]
    _collect(sandbox, page)
    _switch_on(page, sandbox)
    _outcome_out(page, sandbox)

    assert reply_to_respondents.apply().get() == 2
    for delivery in _respondent_replies(page):
        assert deliver.apply(args=[delivery.pk]).get() == DeliveryStatus.DELIVERED
    # Within the hour: the third waits.
    assert reply_to_respondents.apply().get() == 0
    assert sum(len(replies_under(sandbox, "bluesky", reply)) for reply in replies) == 2

    _respondent_replies(page).update(created_at=timezone.now() - timedelta(minutes=61))
    assert reply_to_respondents.apply().get() == 1
    last = _respondent_replies(page).get(status=DeliveryStatus.PENDING)
    assert deliver.apply(args=[last.pk]).get() == DeliveryStatus.DELIVERED
    assert [len(replies_under(sandbox, "bluesky", reply)) for reply in replies] == [1, 1, 1]
