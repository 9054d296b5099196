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
from connectors.models import CollectionState, WebhookReceipt
from engagement.record.models import Response
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
    assert replay.json() == {"accepted": 0, "replayed": 1, "too_old": 0, "collections": 0}
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
