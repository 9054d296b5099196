"""Writes for cross-posting: channels, scheduling deliveries, sending them exactly once, deleting.

Exactly once in effect, for every network:

1. ``delivery_send`` marks the delivery ``sending`` and commits *before* the
   first write to the network. A worker that dies between "posted" and "saved"
   therefore leaves ``sending`` behind, and the next attempt knows the outcome
   of the last write is unknown.
2. On such a retry, a network that de-duplicates writes itself
   (``Connector.idempotent_writes``, e.g. Mastodon's ``Idempotency-Key``) is simply
   asked again with the same key. The others have no such key, so we first read the
   account's recent posts and adopt any part of our thread already there, in
   order, before posting the rest.
3. Each part's record is committed as soon as the part is posted (no transaction
   spans the thread), so a worker killed at part k leaves parts 1..k-1 recorded
   and the next attempt resumes after the last recorded part. An advisory lock on
   the delivery keeps two workers from sending it at once.
4. That lock dies with a killed worker's connection: beat's
   ``take_over_abandoned_deliveries`` finds a "sending" delivery nobody holds and
   enqueues it within seconds, and step 2 applies.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext

from connectors import outbound
from connectors.base import Connector
from connectors.crypto import CredentialsUnreadable
from connectors.exceptions import (
    ConnectorError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    TransientError,
)
from connectors.formatting import Message, compose_thread
from connectors.models import (
    ChannelAccount,
    ConsultationChannel,
    Delivery,
    DeliveryEvent,
    DeliveryEventAction,
    DeliveryKind,
    DeliveryPost,
    DeliveryStatus,
)
from connectors.queue import deliveries_enqueue
from connectors.registry import connector_backend_options, connector_class, credentials_validate
from connectors.respondent_replies import respondent_reply_refusal, respondent_reply_thread
from connectors.selectors import DELIVERY_LOCK_SPACE, deliveries_abandoned, deliveries_due
from connectors.types import ExternalAccount, ExternalPost, Facet, OutgoingPost
from consultations.models import ConsultationPage
from consultations.selectors import consultation_translation

logger = logging.getLogger(__name__)

# How far before its first attempt a post found on the network may be and still be ours.
_RECOVERY_CLOCK_SKEW = timedelta(minutes=5)


# --- Channels ---------------------------------------------------------------------------


def channel_account_connector(
    *, channel: ChannelAccount, consultation: ConsultationPage | None = None
) -> Connector:
    """The channel's connector; for ``consultation``, pointed at the video it names."""
    connector = connector_class(channel.network)(
        channel.channel_credentials(),
        timeout=settings.HUB_CONNECTOR_TIMEOUT,
        options=connector_backend_options(channel.network),
    )
    if consultation is not None:
        connector.video_url = consultation_video_url(consultation=consultation, connector=connector)
    return connector


def consultation_video_url(*, consultation: ConsultationPage, connector: Connector) -> str:
    """The link of the video a consultation names for the network: its own video link, or
    else the first video in its body the network recognises; "" for the channel's video."""
    if consultation.video_url:
        return consultation.video_url
    for block in consultation.body or ():
        if block.block_type != "video":
            continue
        embed = block.value.get("video")
        url = str(getattr(embed, "url", "") or "")
        if url and connector.video_id_from_url(url):
            return url
    return ""


def channel_account_create(
    *,
    department,
    network: str,
    handle: str,
    credentials: dict,
    base_url: str = "",
    display_name: str = "",
    account_id: str = "",
) -> ChannelAccount:
    channel = ChannelAccount(
        department=department,
        network=network,
        handle=handle,
        base_url=base_url,
        display_name=display_name,
        account_id=account_id,
    )
    channel.set_credentials(credentials_validate(network=network, credentials=credentials))
    channel.full_clean()
    channel.save()
    return channel


def channel_account_set_credentials(*, channel: ChannelAccount, credentials: dict) -> None:
    channel.set_credentials(credentials_validate(network=channel.network, credentials=credentials))
    channel.save(update_fields=["credentials_ciphertext", "updated_at"])


def _channel_keep_session(channel: ChannelAccount, connector: Connector) -> None:
    """Store a session the connector made or refreshed (e.g. Bluesky's), encrypted with the rest."""
    session = connector.session
    if not session:
        return
    credentials = channel.credentials
    if credentials.get("session") == session:
        return
    credentials["session"] = session
    channel.set_credentials(credentials)
    channel.save(update_fields=["credentials_ciphertext", "updated_at"])


def _channel_quota_charge(delivery: Delivery, connector: Connector) -> None:
    """What posting or deleting spent of a daily quota (an insert or a delete costs far
    more than a read) counts against the channel, as the collection's reads do."""
    # why: connectors.collection imports this module; importing it at the top would loop.
    from connectors.collection.budgets import quota_charge

    quota_charge(
        consultation_id=delivery.consultation_id,
        channel_id=delivery.channel_id,
        network=delivery.channel.network,
        now=timezone.now(),
        units=connector.units_spent,
    )


def channel_account_verify(*, channel: ChannelAccount) -> ExternalAccount:
    """Ask the network who the credentials belong to; record the outcome on the channel.

    Raises ConnectorError (after recording it) when the network refuses.
    """
    channel.last_checked_at = timezone.now()
    try:
        connector = channel_account_connector(channel=channel)
        account = connector.verify()
    except (ConnectorError, CredentialsUnreadable) as error:
        # The admin sees our reason only: a network's answer may be anyone's page.
        logger.warning("Verifying channel %s failed: %s", channel.pk, error)
        channel.last_error = outbound.error_reason(error)
        channel.save(update_fields=["last_checked_at", "last_error", "updated_at"])
        raise
    channel.last_error = ""
    channel.account_id = account.id
    channel.display_name = channel.display_name or account.display_name
    channel.credentials_expire_at = account.credentials_expire_at
    channel.save(
        update_fields=[
            "last_checked_at",
            "last_error",
            "account_id",
            "display_name",
            "credentials_expire_at",
            "updated_at",
        ]
    )
    _channel_keep_session(channel, connector)
    return account


# --- Scheduling ---------------------------------------------------------------------------


def consultation_public_link(page) -> str:
    """The consultation's address on the public site (HUB_BASE_URL), for posts to link to."""
    return page.public_url


def delivery_message(*, page, kind: str) -> Message:
    """The post for ``page`` in the page's own language (a Welsh page posts in Welsh)."""
    with translation.override(page.locale.language_code):
        return _delivery_message(page=page, kind=kind)


def _delivery_message(*, page, kind: str) -> Message:
    title = page.title.strip().rstrip(".")
    if kind == DeliveryKind.ANNOUNCE:
        text = gettext("Have your say: %(title)s. %(summary)s") % {
            "title": title,
            "summary": page.summary.strip(),
        }
    elif kind == DeliveryKind.REMINDER_7D:
        closes = dateformat.format(timezone.localtime(page.closes_at), "j F Y")
        text = gettext(
            "One week left to have your say on %(title)s. The consultation closes on %(date)s."
        ) % {"title": title, "date": closes}
    elif kind == DeliveryKind.REMINDER_1D:
        text = gettext("Last chance: %(title)s closes tomorrow. Have your say today.") % {
            "title": title
        }
    elif kind == DeliveryKind.OUTCOME:
        text = gettext(
            "The outcome of %(title)s is published. Thank you to everyone who responded: "
            "here is what we heard and what we will do."
        ) % {"title": title}
        return Message(text=text, link=consultation_summary_link(page), hashtag=page.hashtag)
    elif kind == DeliveryKind.RESPONDENT_REPLY:
        # To one person: no hashtag, nothing about them (see connectors.respondent_replies).
        text = gettext(
            "Thank you for taking part in %(title)s. The outcome is published: "
            "here is what we heard and what we will do."
        ) % {"title": title}
        return Message(text=text, link=consultation_summary_link(page))
    else:
        text = gettext(
            "%(title)s is now closed. Thank you to everyone who responded: "
            "we will publish what we heard and what we will do."
        ) % {"title": title}
    return Message(text=text, link=consultation_public_link(page), hashtag=page.hashtag)


def consultation_summary_link(page) -> str:
    """The consultation's public summary ("you said, we did") on the public site, in the
    active language (a Welsh post links the Welsh summary)."""
    path = reverse("consultation_summary", kwargs={"slug": page.slug})
    return urljoin(settings.HUB_BASE_URL.rstrip("/") + "/", path.lstrip("/"))


def delivery_page(delivery: Delivery):
    """The page a delivery posts: the consultation, or its translation in the delivery's
    language (the consultation itself if that translation is no longer live)."""
    consultation = delivery.consultation.specific
    if not delivery.language:
        return consultation
    return consultation_translation(consultation, language_code=delivery.language)


def _due_times(page, now: datetime) -> dict[str, datetime]:
    due = {DeliveryKind.ANNOUNCE.value: now}
    for kind, before in (
        (DeliveryKind.REMINDER_7D, timedelta(days=7)),
        (DeliveryKind.REMINDER_1D, timedelta(days=1)),
        (DeliveryKind.CLOSED, timedelta(0)),
    ):
        moment = page.closes_at - before
        if moment > now:
            due[kind.value] = moment
    return due


def _event(delivery: Delivery, action: str, *, actor=None, message: str = "") -> DeliveryEvent:
    return DeliveryEvent.objects.create(
        delivery=delivery, action=action, actor=actor, message=message[:4000]
    )


def delivery_schedule_for_consultation(*, page, triggered_by=None) -> list[Delivery]:
    """Create (once) the announcement and reminders of ``page`` on each of its channels.

    Safe to call on every publish: existing deliveries are kept, and only pending
    ones have their due time updated (the closing date may have moved). The
    announcement is enqueued once this transaction commits.

    A translated page (the Welsh version) gets its own announcement and reminders, in its
    language, on the consultation's channels: its own posts, whose replies are heard in
    that language. They belong to the consultation, like its English posts.
    """
    now = timezone.now()
    consultation = page.source_consultation
    language = "" if consultation.pk == page.pk else page.locale.language_code
    deliveries: list[Delivery] = []
    with transaction.atomic():
        links = ConsultationChannel.objects.filter(
            page_id=consultation.pk,
            channel__is_active=True,
            channel__department_id=consultation.department_id,
        ).select_related("channel")
        for link in links:
            for kind, due_at in _due_times(consultation, now).items():
                delivery, created = Delivery.objects.get_or_create(
                    consultation_id=consultation.pk,
                    channel=link.channel,
                    kind=kind,
                    language=language,
                    defaults={"due_at": due_at, "triggered_by": triggered_by},
                )
                if created:
                    _event(delivery, DeliveryEventAction.SCHEDULED, actor=triggered_by)
                elif (
                    delivery.status == DeliveryStatus.PENDING
                    and kind != DeliveryKind.ANNOUNCE
                    and delivery.due_at != due_at
                ):
                    delivery.due_at = due_at
                    delivery.save(update_fields=["due_at", "updated_at"])
                deliveries.append(delivery)
        if not language:
            _translations_reminders_follow(consultation, links, now)
        to_send = [
            d.pk
            for d in deliveries
            if d.kind == DeliveryKind.ANNOUNCE
            and d.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
        ]
        transaction.on_commit(lambda: deliveries_enqueue(to_send))
    return deliveries


def _translations_reminders_follow(consultation, links, now: datetime) -> None:
    """Move the pending reminders of the consultation's translations with its closing
    date: the Welsh page's schedule follows the English one when the English is published
    (consultations.translations), so its "one week left" and "now closed" posts must too,
    not only when the Welsh page is next published."""
    due_times = _due_times(consultation, now)
    pending = Delivery.objects.filter(
        consultation_id=consultation.pk,
        channel_id__in=[link.channel_id for link in links],
        kind__in=[kind for kind in due_times if kind != DeliveryKind.ANNOUNCE],
        status=DeliveryStatus.PENDING,
    ).exclude(language="")
    for delivery in pending:
        if delivery.due_at != due_times[delivery.kind]:
            delivery.due_at = due_times[delivery.kind]
            delivery.save(update_fields=["due_at", "updated_at"])


# --- Sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Planned:
    text: str
    facets: tuple[Facet, ...]


def _plan(delivery: Delivery, connector: Connector) -> list[_Planned]:
    if not delivery.planned_parts:
        message = delivery_message(page=delivery_page(delivery), kind=delivery.kind)
        parts = compose_thread(message, connector.rules())
        delivery.planned_parts = [
            {
                "text": part.text,
                "facets": [
                    {
                        "kind": f.kind,
                        "byte_start": f.byte_start,
                        "byte_end": f.byte_end,
                        "value": f.value,
                    }
                    for f in part.facets
                ],
            }
            for part in parts
        ]
        delivery.save(update_fields=["planned_parts", "updated_at"])
    return [
        _Planned(text=part["text"], facets=tuple(Facet(**facet) for facet in part["facets"]))
        for part in delivery.planned_parts
    ]


def _as_external(post: DeliveryPost) -> ExternalPost:
    return ExternalPost(id=post.external_id, cid=post.cid, url=post.url, text=post.text)


def _recover_unknown_parts(
    delivery: Delivery,
    connector: Connector,
    plan: list[_Planned],
    saved: dict[int, DeliveryPost],
    *,
    answers: ExternalPost | None = None,
) -> None:
    """Adopt parts of our thread that an attempt with an unknown outcome did publish.

    ``answers`` is the post a reply delivery's thread hangs under: its parts are looked
    for among our replies there (on networks whose replies are comments, they are not
    among the account's posts).
    """
    if answers is None:
        recent = list(reversed(connector.recent_posts(limit=50)))  # oldest first
    else:
        recent = []
    taken = {post.external_id for post in saved.values()}
    earliest = delivery.created_at - _RECOVERY_CLOCK_SKEW
    for position, part in enumerate(plan):
        if position in saved:
            continue
        parent = _as_external(saved[position - 1]) if position else answers
        parent_id = parent.id if parent else ""
        if answers is not None and parent is not None:
            recent = list(reversed(connector.own_replies(parent, limit=50)))
        found = next(
            (
                post
                for post in recent
                if post.id not in taken
                and connector.same_text(part.text, post.text)
                and (post.created_at is None or post.created_at >= earliest)
                and (not post.reply_to_id or not parent_id or post.reply_to_id == parent_id)
            ),
            None,
        )
        if found is None:
            return
        with transaction.atomic():
            saved[position] = DeliveryPost.objects.create(
                delivery=delivery,
                position=position,
                external_id=found.id,
                cid=found.cid,
                url=_public_url(delivery.channel, connector, found),
                text=part.text,
            )
            _event(
                delivery,
                DeliveryEventAction.RECOVERED,
                message=f"part {position + 1} was already on {connector.label}: {found.id}",
            )
        taken.add(found.id)


def _public_url(channel: ChannelAccount, connector: Connector, post: ExternalPost) -> str:
    return post.url or connector.public_url(post.id)


def delivery_send(*, delivery_id: int) -> Delivery:
    """Send a delivery's thread, exactly once in effect; see the module docstring.

    Returns the delivery when it is delivered, failed for good, or has nothing to
    do. Raises RateLimited or TransientError (after recording them) when a later
    attempt may succeed; the caller (the ``deliver`` task) schedules it.
    """
    with _delivery_send_lock(delivery_id):
        with transaction.atomic():
            delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
            if delivery.status not in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
                return delivery
            if delivery.due_at > timezone.now():
                return delivery
            # "sending" found here: the last attempt's write may or may not have happened.
            outcome_unknown = delivery.status == DeliveryStatus.SENDING
            delivery.status = DeliveryStatus.SENDING
            delivery.attempts += 1
            delivery.last_attempt_at = timezone.now()
            delivery.retry_at = None
            delivery.save(
                update_fields=["status", "attempts", "last_attempt_at", "retry_at", "updated_at"]
            )
            _event(delivery, DeliveryEventAction.ATTEMPT, message=f"attempt {delivery.attempts}")
        # Committed: from here a crash leaves "sending" behind for the next attempt to find.
        # No transaction around the sending: each part's record commits as soon as the
        # part is live, so a worker killed at part k keeps the record of parts 1..k-1.
        delivery = Delivery.objects.select_related("channel", "consultation").get(pk=delivery_id)
        failure: ConnectorError | None = None
        connector = None
        try:
            connector = channel_account_connector(
                channel=delivery.channel, consultation=delivery.consultation
            )
            _send_parts(delivery, connector, outcome_unknown=outcome_unknown)
        except RateLimited as error:
            failure = error
            _record_retryable(delivery, error, DeliveryEventAction.RATE_LIMITED, unknown=False)
        except OutcomeUnknown as error:
            failure = error
            _record_retryable(delivery, error, DeliveryEventAction.OUTCOME_UNKNOWN, unknown=True)
        except TransientError as error:
            failure = error
            _record_retryable(delivery, error, DeliveryEventAction.TRANSIENT_ERROR, unknown=False)
        except (PermanentError, CredentialsUnreadable) as error:
            reason = getattr(error, "reason", str(error))
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = reason
            delivery.save(update_fields=["status", "last_error", "updated_at"])
            _event(delivery, DeliveryEventAction.FAILED, message=reason)
            logger.warning("Delivery %s failed for good: %s", delivery.pk, reason)
        finally:
            if connector is not None:
                _channel_keep_session(delivery.channel, connector)
                _channel_quota_charge(delivery, connector)
    if failure is not None:
        raise failure
    return delivery


@contextmanager
def _delivery_send_lock(delivery_id: int) -> Iterator[None]:
    """Keep two workers from sending one delivery at once, across the per-part commits.

    A row lock would end with the first commit; PostgreSQL's session-level advisory
    lock lasts until it is released or the worker's connection dies with the worker.
    SQLite (the embedded demo database) serialises writers already.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [DELIVERY_LOCK_SPACE, delivery_id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [DELIVERY_LOCK_SPACE, delivery_id])


def _record_retryable(delivery: Delivery, error: ConnectorError, action: str, *, unknown: bool):
    # "sending" stays only when the write may have happened; otherwise it is plainly pending again.
    if not unknown and not delivery.posts.exists():
        delivery.status = DeliveryStatus.PENDING
    if isinstance(error, RateLimited):
        # Saved with the failure, so no beat run between the two asks before the reset.
        delivery.retry_at = error.reset_at
    delivery.last_error = str(error)
    delivery.save(update_fields=["status", "last_error", "retry_at", "updated_at"])
    _event(delivery, action, message=str(error))


def _announcement_thread(delivery: Delivery) -> tuple[ExternalPost, ExternalPost]:
    """(root, last part) of the announcement a reply delivery answers, on the same channel.

    Raises PermanentError when there is none live to answer: the reply would stand alone.
    """
    parts = list(
        DeliveryPost.objects.filter(
            delivery__consultation_id=delivery.consultation_id,
            delivery__channel_id=delivery.channel_id,
            delivery__kind=DeliveryKind.ANNOUNCE,
            # The announcement in the reply's own language (a Welsh reply, the Welsh one).
            delivery__language=delivery.language,
            delivery__status=DeliveryStatus.DELIVERED,
        ).order_by("position")
    )
    if not parts or any(part.deleted_at for part in parts):
        raise PermanentError("the announcement it answers is not on the network (deleted?)")
    return _as_external(parts[0]), _as_external(parts[-1])


def _send_parts(delivery: Delivery, connector: Connector, *, outcome_unknown: bool) -> None:
    answers: ExternalPost | None = None
    thread_root: ExternalPost | None = None
    if delivery.kind == DeliveryKind.OUTCOME:
        # The outcome continues the announcement's thread: it answers its last part.
        thread_root, answers = _announcement_thread(delivery)
    elif delivery.kind == DeliveryKind.RESPONDENT_REPLY:
        thread_root, answers = respondent_reply_thread(delivery=delivery, connector=connector)
    plan = _plan(delivery, connector)
    saved = {post.position: post for post in delivery.posts.all()}
    if outcome_unknown and not connector.idempotent_writes and len(saved) < len(plan):
        _recover_unknown_parts(delivery, connector, plan, saved, answers=answers)
    if delivery.kind == DeliveryKind.RESPONDENT_REPLY and len(saved) < len(plan):
        # Read again now, after any reply of a killed worker was adopted: never to
        # someone who withdrew, was erased or hidden, or deleted their post meanwhile.
        refusal = respondent_reply_refusal(delivery=delivery, connector=connector)
        if refusal:
            _cancel(delivery, refusal)
            return
    for position, part in enumerate(plan):
        if position in saved:
            continue
        reply_to = _as_external(saved[position - 1]) if position else answers
        root = thread_root or (_as_external(saved[0]) if position else None)
        published = connector.publish(
            OutgoingPost(
                text=part.text,
                facets=part.facets,
                reply_to=reply_to,
                root=root,
                idempotency_key=f"{delivery.idempotency_key}-{position}",
            )
        )
        with transaction.atomic():  # committed now: this part is live
            saved[position] = DeliveryPost.objects.create(
                delivery=delivery,
                position=position,
                external_id=published.id,
                cid=published.cid,
                url=_public_url(delivery.channel, connector, published),
                text=part.text,
            )
            _event(
                delivery, DeliveryEventAction.POSTED, message=f"part {position + 1}: {published.id}"
            )
    with transaction.atomic():
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.last_error = ""
        delivery.save(update_fields=["status", "delivered_at", "last_error", "updated_at"])
        _event(delivery, DeliveryEventAction.DELIVERED, message=f"{len(plan)} part(s)")


def _cancel(delivery: Delivery, reason: str) -> None:
    with transaction.atomic():
        delivery.status = DeliveryStatus.CANCELLED
        delivery.last_error = reason
        delivery.save(update_fields=["status", "last_error", "updated_at"])
        _event(delivery, DeliveryEventAction.CANCELLED, message=reason)
    logger.info("Delivery %s cancelled: %s", delivery.pk, reason)


def delivery_give_up(*, delivery_id: int, reason: str) -> Delivery:
    """Stop retrying a delivery (too many attempts); an administrator can retry it later."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = reason
            delivery.save(update_fields=["status", "last_error", "updated_at"])
            _event(delivery, DeliveryEventAction.FAILED, message=reason)
    return delivery


def delivery_retry_planned(*, delivery_id: int, retry_at: datetime) -> None:
    """Record when the task's own retry will try a delivery again; until then beat's sweep
    for due deliveries leaves it alone (``connectors.selectors.deliveries_due``)."""
    Delivery.objects.filter(
        pk=delivery_id, status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
    ).update(retry_at=retry_at)


def delivery_retry(*, delivery_id: int, triggered_by=None) -> Delivery:
    """An administrator asks for another attempt at a failed (or stuck) delivery."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.DELETED):
            raise ValueError(f"this delivery is {delivery.get_status_display().lower()}")
        # After any earlier attempt a write may have happened: check before posting again.
        delivery.status = DeliveryStatus.SENDING if delivery.attempts else DeliveryStatus.PENDING
        delivery.due_at = min(delivery.due_at, timezone.now())
        delivery.retry_at = None
        delivery.save(update_fields=["status", "due_at", "retry_at", "updated_at"])
        _event(delivery, DeliveryEventAction.RETRY_REQUESTED, actor=triggered_by)
        transaction.on_commit(lambda: deliveries_enqueue([delivery_id]))
    return delivery


def delivery_delete_posts(*, delivery_id: int, triggered_by=None) -> Delivery:
    """Delete a delivery's posts on the network (a confirmed administrator action), last part first."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update().select_related("channel").get(pk=delivery_id)
        )
        _event(delivery, DeliveryEventAction.DELETE_REQUESTED, actor=triggered_by)
    connector = channel_account_connector(channel=delivery.channel)
    try:
        for post in delivery.posts.filter(deleted_at__isnull=True).order_by("-position"):
            connector.delete(_as_external(post))
            post.deleted_at = timezone.now()
            post.save(update_fields=["deleted_at"])
    finally:
        _channel_keep_session(delivery.channel, connector)
        _channel_quota_charge(delivery, connector)
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        delivery.status = DeliveryStatus.DELETED
        delivery.deleted_at = timezone.now()
        delivery.save(update_fields=["status", "deleted_at", "updated_at"])
        _event(delivery, DeliveryEventAction.DELETED, actor=triggered_by)
    return delivery


def deliveries_enqueue_due(*, now: datetime | None = None) -> list[int]:
    """Enqueue every delivery whose time has come (reminders; announcements left behind)."""

    ids = list(deliveries_due(now=now or timezone.now()).values_list("pk", flat=True))
    deliveries_enqueue(ids)
    return ids


def deliveries_take_over_abandoned(*, now: datetime | None = None) -> list[int]:
    """Enqueue every delivery whose worker died mid-attempt (``deliveries_abandoned``).

    The next attempt finds "sending" and checks the network before posting again (the
    idempotency key, or our recent posts), so a post the network did accept is recorded,
    not made twice.
    """
    ids = deliveries_abandoned(now=now or timezone.now())
    for delivery_id in ids:
        logger.warning("Delivery %s lost its worker mid-attempt; taking it over", delivery_id)
    deliveries_enqueue(ids)
    return ids
