"""The Facebook Page webhook: Meta's subscription check, the signature, replays, and a
comment that reaches the record within seconds.

The sandbox plays Meta: it verifies the callback when subscribed (a GET with
``hub.challenge``) and POSTs each citizen comment as a Page ``feed`` change signed with
``X-Hub-Signature-256``, to the hub's real endpoint (``live_server``) or through the test
client. Nothing is mocked: the webhook only starts a collection, which reads the comment
from the sandbox through the ``facebook-business`` SDK.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cms.celery import app as celery_app
from connectors.backends.facebook import GRAPH_API_VERSION
from connectors.models import CollectionState, QuarantinedPayload, WebhookReceipt
from connectors.webhooks import _collect_now
from engagement.moderation.models import ModerationDecision
from engagement.record.models import ModerationState, Response, WithdrawalReason
from engagement.record.selectors import public_responses
from tests.collection.conftest import announce
from tests.conftest import PROJECT_DIR
from tests.connectors.conftest import make_sandbox_channel
from tests.worker_processes import wait_for

URL = reverse("connectors:network_webhook", args=["facebook"])


def _signed(app_secret: str, body: bytes) -> dict[str, str]:
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return {"HTTP_X_HUB_SIGNATURE_256": f"sha256={digest}"}


def _comment_delivery(*, page_id: str, post_id: str, comment_id: str, moment: int) -> bytes:
    """A Page feed change as Meta sends it (developers.facebook.com/docs/graph-api/webhooks/
    reference/page, field ``feed``)."""
    value = {
        "from": {"id": "1000000000000001", "name": "A citizen"},
        "post_id": post_id,
        "comment_id": comment_id,
        "created_time": moment,
        "item": "comment",
        "parent_id": post_id,
        "verb": "add",
        "message": "Please keep the bus lane.",
    }
    entry = {"id": page_id, "time": moment, "changes": [{"field": "feed", "value": value}]}
    return json.dumps({"object": "page", "entry": [entry]}).encode()


@pytest.fixture
def facebook_channel(db, sandboxes):
    return make_sandbox_channel(sandboxes, "facebook")


@pytest.fixture
def eager_tasks():
    """Collections enqueued by the webhook run at once, in the process that enqueued them."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


# --- Meta's subscription check -------------------------------------------------------------


def test_the_subscription_challenge_is_answered_for_our_verify_token(client, facebook_channel):
    token = facebook_channel.account.credentials["webhook_verify_token"]

    answer = client.get(
        URL, {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"}
    )

    assert answer.status_code == 200
    assert answer.content == b"1158201444"


def test_a_subscription_check_with_another_verify_token_is_refused(client, facebook_channel):
    answer = client.get(
        URL, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "42"}
    )

    assert answer.status_code == 403
    assert b"42" not in answer.content


# --- Signature and replays --------------------------------------------------------------------


def test_a_delivery_with_a_bad_signature_is_refused_and_starts_nothing(
    client, home_page, facebook_channel
):
    announced = announce(home_page, facebook_channel)
    body = _comment_delivery(
        page_id=facebook_channel.account.id,
        post_id=announced.root_id,
        comment_id="1_2",
        moment=int(time.time()),
    )
    forged = _signed("not-the-app-secret", body)
    unsigned = client.post(URL, body, content_type="application/json")
    wrong = client.post(URL, body, content_type="application/json", **forged)
    # Signed with the right secret, then altered: the signature covers the raw bytes.
    altered = client.post(
        URL,
        body.replace(b"bus lane", b"car park"),
        content_type="application/json",
        **_signed(facebook_channel.account.credentials["app_secret"], body),
    )

    assert [unsigned.status_code, wrong.status_code, altered.status_code] == [403, 403, 403]
    assert not WebhookReceipt.objects.exists()
    state = CollectionState.objects.filter(consultation=announced.page).first()
    assert state is None or state.next_poll_at is None or state.next_poll_at > timezone.now()


def test_a_replayed_delivery_is_acted_on_once(
    client, home_page, facebook_channel, eager_tasks, django_capture_on_commit_callbacks
):
    announced = announce(home_page, facebook_channel)
    comment = announced.state.citizen_reply(announced.root_id, handle="ana", text="Once only.")
    body = _comment_delivery(
        page_id=facebook_channel.account.id,
        post_id=announced.root_id,
        comment_id=comment["id"],
        moment=int(time.time()),
    )
    headers = _signed(facebook_channel.account.credentials["app_secret"], body)

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(URL, body, content_type="application/json", **headers)
    requests_after_first = len(announced.state.request_log)
    with django_capture_on_commit_callbacks(execute=True) as started:
        replay = client.post(URL, body, content_type="application/json", **headers)

    assert first.status_code == 200
    assert first.json()["accepted"] == 1 and first.json()["collections"] == 1
    assert replay.status_code == 200  # acknowledged, so Meta stops sending it...
    assert replay.json() == {
        "accepted": 0,
        "replayed": 1,
        "too_old": 0,
        "withdrawn": 0,
        "collections": 0,
    }
    assert started == [] and len(announced.state.request_log) == requests_after_first
    assert Response.objects.filter(external_id=comment["id"]).count() == 1


def test_a_delivery_older_than_the_maximum_age_is_refused(
    client, home_page, facebook_channel, settings
):
    announced = announce(home_page, facebook_channel)
    old = timezone.now() - timedelta(seconds=settings.HUB_WEBHOOK_MAX_AGE + 60)
    body = _comment_delivery(
        page_id=facebook_channel.account.id,
        post_id=announced.root_id,
        comment_id="1_2",
        moment=int(old.timestamp()),
    )

    answer = client.post(
        URL,
        body,
        content_type="application/json",
        **_signed(facebook_channel.account.credentials["app_secret"], body),
    )

    assert answer.status_code == 403
    assert "too old" in answer.json()["error"]
    assert not WebhookReceipt.objects.exists()


def test_an_unreadable_delivery_is_refused_with_the_reason(client, facebook_channel):
    body = b'{"object": "user", "entry": []}'

    answer = client.post(
        URL,
        body,
        content_type="application/json",
        **_signed(facebook_channel.account.credentials["app_secret"], body),
    )

    assert answer.status_code == 400
    assert "Page notification" in answer.json()["error"]


def test_a_comment_by_the_webhook_and_by_the_poll_is_stored_once(
    client, home_page, facebook_channel, eager_tasks, django_capture_on_commit_callbacks
):
    from connectors.collection import replies_collect

    announced = announce(home_page, facebook_channel)
    comment = announced.state.citizen_reply(announced.root_id, handle="bo", text="Both routes.")
    body = _comment_delivery(
        page_id=facebook_channel.account.id,
        post_id=announced.root_id,
        comment_id=comment["id"],
        moment=int(time.time()),
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            URL,
            body,
            content_type="application/json",
            **_signed(facebook_channel.account.credentials["app_secret"], body),
        )
    assert Response.objects.filter(external_id=comment["id"]).count() == 1

    outcome = replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)

    assert outcome.created == 0 and outcome.already_recorded == 1
    assert Response.objects.filter(external_id=comment["id"]).count() == 1


# --- End to end: the sandbox calls the hub ---------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_citizen_comment_reaches_the_record_within_seconds_through_the_webhook(
    live_server, sandboxes, home_page, eager_tasks
):
    sandbox = make_sandbox_channel(sandboxes, "facebook")
    announced = announce(home_page, sandbox)
    state = sandbox.server.state
    callback = f"{live_server.url}{URL}"
    # Meta checks the callback before it subscribes it: the hub must echo the challenge.
    state.subscribe(callback, sandbox.account.credentials["webhook_verify_token"])
    try:
        comment = state.citizen_reply(
            announced.root_id, handle="webhook-citizen", text="Heard within seconds."
        )

        # A functional deadline (the "within 5 s"), not a timing measurement.
        wait_for(
            lambda: Response.objects.filter(
                consultation=announced.page, external_id=comment["id"]
            ).exists(),
            timeout=5,
            what=lambda: f"the comment in the record; webhook log {state.webhook_log!r}",
            interval=0.1,
        )
        # The hub answers once the collection it started is done.
        wait_for(lambda: state.webhook_log, timeout=5, what="the hub's answer to the webhook")
    finally:
        state.webhook_url = ""
    assert [status for status, _ in state.webhook_log][-1] == 200
    response = Response.objects.get(external_id=comment["id"])
    assert response.text == "Heard within seconds."
    assert response.root_external_id == announced.root_id


COLLECTED = re.compile(r"connectors\.tasks\.collect_replies\[[^\]]+\] succeeded")


def _workers_idle() -> bool:
    inspect = celery_app.control.inspect(timeout=1)
    busy = [inspect.active() or {}, inspect.reserved() or {}]
    return not any(tasks for answer in busy for tasks in answer.values())


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_signed_feed_change_is_collected_by_a_real_worker_within_seconds(
    live_server, sandboxes, home_page, celery_worker
):
    """No eager tasks and no beat: the webhook enqueues the collection on the broker, and
    the suite's Celery worker (its own OS process) reads the comment from the sandbox."""
    assert not celery_app.conf.task_always_eager
    worker_log = PROJECT_DIR / ".services" / "celery-test-worker.log"
    log_start = worker_log.stat().st_size
    sandbox = make_sandbox_channel(sandboxes, "facebook")
    announced = announce(home_page, sandbox)
    state = sandbox.server.state
    delivered_before = len(state.webhook_log)
    state.subscribe(f"{live_server.url}{URL}", sandbox.account.credentials["webhook_verify_token"])
    try:
        comment = state.citizen_reply(
            announced.root_id, handle="worker-citizen", text="Collected by the worker."
        )

        def worker_said() -> str:
            with worker_log.open(errors="replace") as log:
                log.seek(log_start)
                return log.read()

        # A functional deadline (the "within 5 s"), not a timing measurement.
        wait_for(
            lambda: Response.objects.filter(
                consultation=announced.page, external_id=comment["id"]
            ).exists(),
            timeout=5,
            what=lambda: (
                f"the comment in the record; webhook log {state.webhook_log!r}\n"
                f"worker log:\n{worker_said()[-3000:]}"
            ),
            interval=0.1,
        )
    finally:
        state.webhook_url = ""
    wait_for(
        lambda: len(state.webhook_log) > delivered_before,
        timeout=5,
        what="the sandbox's record of the hub's answer",
    )
    deliveries = state.webhook_log[delivered_before:]
    assert [status for status, _ in deliveries] == [200]
    signed = deliveries[0][1]
    assert json.loads(signed)["entry"][0]["changes"][0]["value"]["comment_id"] == comment["id"]
    wait_for(
        lambda: COLLECTED.search(worker_said()),
        timeout=30,
        what=lambda: f"the worker's log of the collection:\n{worker_said()[-3000:]}",
    )
    # Idle before the database is flushed under it (the record's own follow-up tasks too).
    wait_for(_workers_idle, timeout=30, what="the worker to finish its tasks", interval=0.2)
    response = Response.objects.get(external_id=comment["id"])
    assert response.text == "Collected by the worker."
    assert response.channel == "facebook"
    assert response.root_external_id == announced.root_id


# --- Comments that mention the Page on other people's posts ---------------------------------


def _mention_delivery(*, page_id: str, moment: int, **value) -> bytes:
    """A Page ``mention`` change as Meta sends it (the Page webhook reference, field
    ``mention``: ``post_id``, ``comment_id`` for a comment, ``sender_id``, ``sender_name``,
    ``item``, ``verb``)."""
    value = {"item": "comment", "verb": "add", **value}
    entry = {"id": page_id, "time": moment, "changes": [{"field": "mention", "value": value}]}
    return json.dumps({"object": "page", "entry": [entry]}).encode()


def _mentioning_comment(announced, facebook_channel, text: str) -> tuple[dict, dict]:
    """A citizen's own post (not the Page's), and another citizen's comment on it that
    mentions the Page: Graph lists neither under the Page, and the post does not tag it."""
    state = announced.state
    post = state.citizen_post(handle="neighbour", text="Roadworks on the high street again.")
    comment = state.citizen_reply(
        post["id"], handle="commuter", text=f"@{facebook_channel.account.handle} {text}"
    )
    return post, comment


def _deliver(client, facebook_channel, body: bytes):
    return client.post(
        URL,
        body,
        content_type="application/json",
        **_signed(facebook_channel.account.credentials["app_secret"], body),
    )


def test_a_comment_mentioning_the_page_on_another_post_lands_in_the_record_by_its_hashtag(
    client, home_page, facebook_channel, eager_tasks, django_capture_on_commit_callbacks
):
    announced = announce(home_page, facebook_channel)
    other = announce(home_page, facebook_channel)  # another consultation, another hashtag
    post, comment = _mentioning_comment(
        announced, facebook_channel, f"The zone should cover this street. #{announced.page.hashtag}"
    )
    body = _mention_delivery(
        page_id=facebook_channel.account.id,
        moment=int(time.time()),
        post_id=post["id"],
        comment_id=comment["id"],
        sender_id=comment["from"]["id"],
        sender_name=comment["from"]["name"],
    )

    with django_capture_on_commit_callbacks(execute=True):
        first = _deliver(client, facebook_channel, body)
    with django_capture_on_commit_callbacks(execute=True):
        # The same comment again in a new delivery (another time): read again, stored once.
        _deliver(
            client,
            facebook_channel,
            _mention_delivery(
                page_id=facebook_channel.account.id,
                moment=int(time.time()) - 1,
                post_id=post["id"],
                comment_id=comment["id"],
            ),
        )

    assert first.status_code == 200 and first.json()["accepted"] == 1
    response = Response.objects.get(channel="facebook", external_id=comment["id"])
    assert response.consultation_id == announced.page.pk
    assert response.text.endswith(f"#{announced.page.hashtag}")
    assert response.root_external_id == post["id"]
    assert response.respondent.display_name == comment["from"]["name"]
    assert not Response.objects.filter(consultation=other.page).exists()
    # Read by its id through the SDK, as Graph serves a comment (GET /vNN.N/{comment-id}).
    reads = [
        path for _, path, *_ in announced.state.request_log if path.endswith(f"/{comment['id']}")
    ]
    assert len(reads) >= 2  # once for each consultation collected on the Page
    # Nothing left waiting: the route's pending list was emptied as the comment was read.
    for state in CollectionState.objects.filter(channel=facebook_channel.channel):
        assert comment["id"] not in state.cursor


def test_a_mentioning_comment_without_the_hashtag_or_deleted_is_not_recorded(
    client, home_page, facebook_channel, eager_tasks, django_capture_on_commit_callbacks
):
    announced = announce(home_page, facebook_channel)
    post, unrelated = _mentioning_comment(announced, facebook_channel, "When is the bin day?")
    _, deleted = _mentioning_comment(
        announced, facebook_channel, f"Second thoughts. #{announced.page.hashtag}"
    )
    announced.state.delete_post(deleted["id"])
    changes = [
        {
            "field": "mention",
            "value": {
                "item": "comment",
                "verb": "add",
                "post_id": post["id"],
                "comment_id": given["id"],
            },
        }
        for given in (unrelated, deleted)
    ]
    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {"id": facebook_channel.account.id, "time": int(time.time()), "changes": changes}
            ],
        }
    ).encode()

    with django_capture_on_commit_callbacks(execute=True):
        answer = _deliver(client, facebook_channel, body)

    assert answer.status_code == 200
    assert not Response.objects.filter(external_id__in=[unrelated["id"], deleted["id"]]).exists()
    state = CollectionState.objects.get(
        consultation=announced.page, channel=facebook_channel.channel
    )
    assert unrelated["id"] not in state.cursor and deleted["id"] not in state.cursor
    assert state.last_error == ""


def test_a_mention_of_a_comment_that_does_not_say_which_is_quarantined_with_the_reason(
    client, home_page, facebook_channel, eager_tasks, django_capture_on_commit_callbacks
):
    announced = announce(home_page, facebook_channel)
    body = _mention_delivery(
        page_id=facebook_channel.account.id, moment=int(time.time()), post_id="123_456"
    )

    with django_capture_on_commit_callbacks(execute=True):
        answer = _deliver(client, facebook_channel, body)

    assert answer.status_code == 200
    (kept,) = QuarantinedPayload.objects.filter(channel=facebook_channel.channel)
    assert "without its comment_id" in kept.error
    assert kept.payload["value"]["post_id"] == "123_456"
    assert not Response.objects.filter(consultation=announced.page).exists()


def test_a_mentioning_comment_waits_in_the_cursor_while_facebook_refuses_and_is_read_after(
    client, home_page, facebook_channel, django_capture_on_commit_callbacks
):
    from connectors.collection import replies_collect

    announced = announce(home_page, facebook_channel)
    post, comment = _mentioning_comment(
        announced, facebook_channel, f"Count me in. #{announced.page.hashtag}"
    )
    body = _mention_delivery(
        page_id=facebook_channel.account.id,
        moment=int(time.time()),
        post_id=post["id"],
        comment_id=comment["id"],
    )
    # No worker runs the collection the webhook starts: the comment waits in the cursor.
    with django_capture_on_commit_callbacks(execute=False):
        assert _deliver(client, facebook_channel, body).status_code == 200
    state = CollectionState.objects.get(
        consultation=announced.page, channel=facebook_channel.channel
    )
    assert comment["id"] in state.cursor
    announced.sandbox.server.inject_fault(
        "server_error", path=f"/{GRAPH_API_VERSION}/{comment['id']}"
    )

    failed = replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)
    state.refresh_from_db()
    assert failed.stopped_by and comment["id"] in state.cursor

    replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)
    assert Response.objects.filter(consultation=announced.page, external_id=comment["id"]).exists()


def test_a_backfill_before_the_next_poll_reads_a_waiting_mention_once(
    client, home_page, facebook_channel, django_capture_on_commit_callbacks
):
    from connectors.collection import replies_collect

    announced = announce(home_page, facebook_channel)
    post, comment = _mentioning_comment(
        announced, facebook_channel, f"Mentioned before the backfill. #{announced.page.hashtag}"
    )
    _, older = _mentioning_comment(
        announced, facebook_channel, f"Mentioned, read late. #{announced.page.hashtag}"
    )
    # Read after a long outage: older than the backfill's start, yet never read.
    announced.state.comments[older["id"]]["created_time"] -= timedelta(hours=3)
    changes = [
        {
            "field": "mention",
            "value": {"item": "comment", "verb": "add", "post_id": post["id"], "comment_id": cid},
        }
        for cid in (comment["id"], older["id"])
    ]
    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {"id": facebook_channel.account.id, "time": int(time.time()), "changes": changes}
            ],
        }
    ).encode()
    # No worker runs the collection the webhook starts: both wait in the cursor.
    with django_capture_on_commit_callbacks(execute=False):
        assert _deliver(client, facebook_channel, body).status_code == 200

    backfill = replies_collect(
        consultation_id=announced.page.pk,
        channel_id=announced.channel.pk,
        since=timezone.now() - timedelta(hours=1),
    )
    replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)

    assert backfill.complete
    for given in (comment, older):
        assert Response.objects.filter(external_id=given["id"]).count() == 1
    reads = [
        path
        for _, path, *_ in announced.state.request_log
        if path.endswith((f"/{comment['id']}", f"/{older['id']}"))
    ]
    assert len(reads) == 2  # each read once: the poll after found nothing left waiting
    state = CollectionState.objects.get(
        consultation=announced.page, channel=facebook_channel.channel
    )
    assert comment["id"] not in state.cursor and older["id"] not in state.cursor


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_comment_mentioning_the_page_reaches_the_record_through_the_sandbox_webhook(
    live_server, sandboxes, home_page, eager_tasks
):
    sandbox = make_sandbox_channel(sandboxes, "facebook")
    announced = announce(home_page, sandbox)
    state = sandbox.server.state
    state.subscribe(f"{live_server.url}{URL}", sandbox.account.credentials["webhook_verify_token"])
    try:
        # The sandbox POSTs the mention (a comment, on a citizen's post) as Meta does.
        _, comment = _mentioning_comment(
            announced, sandbox, f"Mentioned, far from the Page. #{announced.page.hashtag}"
        )
        wait_for(
            lambda: Response.objects.filter(
                consultation=announced.page, external_id=comment["id"]
            ).exists(),
            timeout=5,
            what=lambda: f"the mentioning comment in the record; log {state.webhook_log!r}",
            interval=0.1,
        )
    finally:
        state.webhook_url = ""


def test_a_mention_is_kept_only_for_consultations_still_collected(
    client, home_page, facebook_channel, settings, django_capture_on_commit_callbacks
):
    open_one = announce(home_page, facebook_channel)
    long_closed = announce(home_page, facebook_channel)
    closed_at = timezone.now() - timedelta(days=settings.HUB_COLLECT_AFTER_CLOSE_DAYS + 1)
    long_closed.page.opens_at = closed_at - timedelta(days=30)
    long_closed.page.closes_at = closed_at
    long_closed.page.save()
    post, comment = _mentioning_comment(
        open_one, facebook_channel, f"Still open? #{long_closed.page.hashtag}"
    )
    body = _mention_delivery(
        page_id=facebook_channel.account.id,
        moment=int(time.time()),
        post_id=post["id"],
        comment_id=comment["id"],
    )

    with django_capture_on_commit_callbacks(execute=False):
        assert _deliver(client, facebook_channel, body).json()["collections"] == 1

    kept = CollectionState.objects.get(consultation=open_one.page)
    assert comment["id"] in kept.cursor
    closed = CollectionState.objects.filter(consultation=long_closed.page).first()
    assert closed is None or comment["id"] not in closed.cursor


# --- Comments removed or hidden: withdrawn at once, not at the next sweep -------------------


def _feed_change(*, page_id: str, moment: int, **value) -> bytes:
    """A Page ``feed`` change about a comment (the Page webhook reference: ``item`` comment,
    ``verb`` one of add, edited, remove, hide, unhide, ...; no ``message`` once removed)."""
    value = {"item": "comment", **value}
    entry = {"id": page_id, "time": moment, "changes": [{"field": "feed", "value": value}]}
    return json.dumps({"object": "page", "entry": [entry]}).encode()


def _published(announced, text: str) -> Response:
    """A citizen's comment, collected and approved, so the public sees it."""
    from connectors.collection import replies_collect

    comment = announced.state.citizen_reply(announced.root_id, handle="citizen", text=text)
    replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)
    Response.objects.filter(external_id=comment["id"]).update(
        moderation_state=ModerationState.APPROVED, published_text=text
    )
    response = Response.objects.get(external_id=comment["id"])
    assert list(public_responses(consultation=announced.page)) == [response]
    return response


@pytest.mark.parametrize(
    ("verb", "reason"),
    [("remove", WithdrawalReason.DELETED_AT_SOURCE), ("hide", WithdrawalReason.PRIVATE_AT_SOURCE)],
)
def test_a_signed_remove_or_hide_change_withdraws_the_response_at_once_and_once(
    client, home_page, facebook_channel, verb, reason, django_capture_on_commit_callbacks
):
    announced = announce(home_page, facebook_channel)
    response = _published(announced, "Withdraw me when I go.")
    requests_before = len(announced.state.request_log)

    def deliver(moment: int):
        body = _feed_change(
            page_id=facebook_channel.account.id,
            moment=moment,
            verb=verb,
            comment_id=response.external_id,
            post_id=announced.root_id,
            parent_id=announced.root_id,
        )
        with django_capture_on_commit_callbacks(execute=True) as started:
            answer = _deliver(client, facebook_channel, body)
        return answer, started

    first, started = deliver(int(time.time()))
    # Meta may send the change again in a new delivery: nothing more happens.
    again, _ = deliver(int(time.time()) - 1)

    assert first.status_code == 200 and first.json()["withdrawn"] == 1
    assert again.status_code == 200 and again.json()["withdrawn"] == 0
    # No collection started, and nothing read from Graph: the delivery is the word of it.
    assert not [callback for callback in started if getattr(callback, "func", None) is _collect_now]
    assert len(announced.state.request_log) == requests_before
    response.refresh_from_db()
    assert response.moderation_state == ModerationState.WITHDRAWN
    assert response.withdrawn_reason == reason
    assert response.text == "" and response.published_text == "" and response.raw_payload == {}
    # Audited as the sweep audits it: one automatic decision, with the reason.
    (decision,) = ModerationDecision.objects.filter(response=response)
    assert decision.automatic and decision.to_state == ModerationState.WITHDRAWN
    assert decision.from_state == ModerationState.APPROVED
    assert decision.note == WithdrawalReason(reason).label
    assert not public_responses(consultation=announced.page).exists()


def test_a_remove_change_withdraws_only_responses_announced_on_the_signing_page(
    client, home_page, facebook_channel, sandboxes, django_capture_on_commit_callbacks
):
    other_page = make_sandbox_channel(sandboxes, "facebook")
    theirs = _published(announce(home_page, other_page), "Collected on the other Page.")
    body = _feed_change(
        page_id=facebook_channel.account.id,
        moment=int(time.time()),
        verb="remove",
        comment_id=theirs.external_id,
        post_id=theirs.root_external_id,
    )

    with django_capture_on_commit_callbacks(execute=True):
        answer = _deliver(client, facebook_channel, body)

    assert answer.status_code == 200 and answer.json()["withdrawn"] == 0
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None and theirs.text == "Collected on the other Page."


@pytest.mark.parametrize("verb", ["remove", "hide"])
def test_a_remove_or_hide_change_that_does_not_say_which_comment_is_quarantined(
    client, home_page, facebook_channel, verb, django_capture_on_commit_callbacks
):
    announced = announce(home_page, facebook_channel)
    response = _published(announced, "Still here.")
    body = _feed_change(
        page_id=facebook_channel.account.id,
        moment=int(time.time()),
        verb=verb,
        post_id=announced.root_id,
        comment_id={"id": response.external_id},  # not an id
    )

    with django_capture_on_commit_callbacks(execute=True):
        answer = _deliver(client, facebook_channel, body)

    assert answer.status_code == 200 and answer.json()["withdrawn"] == 0
    (kept,) = QuarantinedPayload.objects.filter(channel=facebook_channel.channel)
    assert f"comment {verb} change without its comment_id" in kept.error
    assert kept.payload["value"]["post_id"] == announced.root_id
    response.refresh_from_db()
    assert response.withdrawn_at is None
    assert list(public_responses(consultation=announced.page)) == [response]


@pytest.mark.parametrize(
    ("source_change", "reason"),
    [("delete", WithdrawalReason.DELETED_AT_SOURCE), ("hide", WithdrawalReason.PRIVATE_AT_SOURCE)],
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_comment_removed_or_hidden_on_the_sandbox_leaves_the_public_record_within_seconds(
    live_server, sandboxes, home_page, source_change, reason
):
    """The sandbox POSTs the signed ``feed`` change (verb remove, or hide) to the hub's real
    endpoint, as Meta does; no sweep runs."""
    sandbox = make_sandbox_channel(sandboxes, "facebook")
    announced = announce(home_page, sandbox)
    response = _published(announced, "Visible until the source says otherwise.")
    state = sandbox.server.state
    page_url = live_server.url + reverse("consultation_responses_json", args=[announced.page.slug])
    assert "Visible until the source says otherwise." in _public_page(page_url)
    delivered_before = len(state.webhook_log)
    state.subscribe(f"{live_server.url}{URL}", sandbox.account.credentials["webhook_verify_token"])
    try:
        if source_change == "delete":
            state.delete_post(response.external_id)
        else:
            state.set_private(response.external_id)

        # A functional deadline (a change heard within seconds), not a timing measurement.
        wait_for(
            lambda: Response.objects.filter(pk=response.pk, withdrawn_at__isnull=False).exists(),
            timeout=5,
            what=lambda: f"the response withdrawn; webhook log {state.webhook_log!r}",
            interval=0.1,
        )
        wait_for(
            lambda: len(state.webhook_log) > delivered_before,
            timeout=5,
            what="the sandbox's record of the hub's answer",
        )
    finally:
        state.webhook_url = ""
    ((status, body),) = state.webhook_log[delivered_before:]
    assert status == 200
    assert json.loads(body)["entry"][0]["changes"][0]["value"]["verb"] == (
        "remove" if source_change == "delete" else "hide"
    )
    response.refresh_from_db()
    assert response.withdrawn_reason == reason
    assert ModerationDecision.objects.filter(response=response, automatic=True).count() == 1
    assert not public_responses(consultation=announced.page).exists()
    assert "Visible until the source says otherwise." not in _public_page(page_url)


def _public_page(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - the live server
        return answer.read().decode("utf-8")
