"""One page of replies into the record; payloads that fail validation into quarantine."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from typing import cast

from django.utils import timezone

from connectors.collection.outcomes import CollectOutcome
from connectors.collection.scope import replies_for_consultation
from connectors.models import ChannelAccount, DeliveryPost, QuarantinedPayload
from connectors.registry import connector_class
from connectors.types import CollectionScope, IncomingReply, QuarantinedItem
from consultations.models import ConsultationPage
from engagement.moderation.services import response_text_update, responses_hold
from engagement.record.models import ModerationReason, Response
from engagement.record.services import RespondentInput, ResponseInput, responses_record_batch

logger = logging.getLogger(__name__)


def page_record(
    *,
    consultation: ConsultationPage,
    channel: ChannelAccount,
    scope: CollectionScope,
    replies: Sequence[IncomingReply],
    quarantined: Sequence[QuarantinedItem],
    outcome: CollectOutcome,
) -> None:
    network = channel.network
    belonging = replies_for_consultation(
        network=network, consultation_id=consultation.pk, scope=scope, replies=replies
    )
    root_languages = _root_languages(
        consultation=consultation, channel=channel, roots={root for _, root in belonging}
    )
    items = [
        ResponseInput(
            channel=network,
            text=reply.text,
            received_at=reply.created_at or timezone.now(),
            respondent=RespondentInput(
                external_id=reply.author_id,
                handle=reply.author_handle,
                display_name=reply.author_display_name,
            ),
            external_id=reply.id,
            parent_external_id=reply.parent_id,
            root_external_id=root,
            url=reply.url,
            # A reply under a translated announcement (the Welsh post) is taken to be in
            # its language: the hint the language detection starts from.
            language=root_languages.get(root) or reply.language,
            raw_payload=dict(reply.raw),
            auto_approvable=not reply.legal_hold,
        )
        for reply, root in belonging
    ]
    if items:
        result = responses_record_batch(consultation=consultation, items=items)
        outcome.created += result.created
        outcome.already_recorded += result.already_recorded
        _legal_holds_apply(network=network, replies=belonging, response_ids=result.response_ids)
    # A network that gives edits no time (``edits_untimed``): a changed text is an edit now.
    untimed = connector_class(network).edits_untimed
    edited = {reply.id: reply for reply, _ in belonging if reply.edited_at is not None or untimed}
    if edited:
        for pk, external_id, text, edited_at in Response.objects.filter(
            channel=network, external_id__in=list(edited), withdrawn_at__isnull=True
        ).values_list("pk", "external_id", "text", "edited_at"):
            reply = edited[cast(str, external_id)]  # external_id__in: never NULL
            # `edited` holds replies with an edited_at, and every reply of an untimed network.
            seen_at = reply.edited_at or timezone.now()
            if text != reply.text and (
                reply.edited_at is None or edited_at is None or seen_at > edited_at
            ):
                if response_text_update(response_id=pk, text=reply.text, edited_at=seen_at):
                    outcome.edited += 1
    if quarantined:
        outcome.quarantined += payloads_quarantine(
            channel=channel, consultation=consultation, items=quarantined
        )


def _root_languages(
    *, consultation: ConsultationPage, channel: ChannelAccount, roots: set[str]
) -> dict[str, str]:
    """Thread root (one of our posts) → the language of the announcement it is part of,
    for the posts of a translation; the consultation's own posts are left out."""
    if not roots:
        return {}
    return dict(
        DeliveryPost.objects.filter(
            delivery__consultation_id=consultation.pk,
            delivery__channel_id=channel.pk,
            external_id__in=roots,
        )
        .exclude(delivery__language="")
        .values_list("external_id", "delivery__language")
    )


def _legal_holds_apply(
    *, network: str, replies: Sequence[tuple[IncomingReply, str]], response_ids: Sequence[int]
) -> None:
    """Replies the network withholds on a legal demand are recorded (they were said, and
    count) but hidden for legal reasons until a moderator has judged them: the hub
    publishes to every country, including those where the post is withheld."""
    holds = {reply.id: reply.legal_hold for reply, _ in replies if reply.legal_hold}
    if not holds or not response_ids:
        return
    for pk, external_id in Response.objects.filter(
        pk__in=list(response_ids), channel=network, external_id__in=list(holds)
    ).values_list("pk", "external_id"):
        responses_hold(
            response_ids=[pk],
            reason=ModerationReason.LEGAL,
            note=holds[cast(str, external_id)],  # external_id__in: never NULL
        )


def payloads_quarantine(
    *,
    channel: ChannelAccount,
    consultation: ConsultationPage | None,
    items: Sequence[QuarantinedItem],
) -> int:
    """Keep payloads that failed validation, once each, for an administrator to look at."""
    rows = []
    for item in items:
        payload = json.loads(json.dumps(dict(item.raw), default=str))
        # The same bad post reached by two routes (or every poll) is kept once.
        key = (
            f"{item.external_id}\n{item.error}"
            if item.external_id
            else json.dumps(payload, sort_keys=True)
        )
        fingerprint = hashlib.sha256(key.encode("utf-8")).hexdigest()
        rows.append(
            QuarantinedPayload(
                channel=channel,
                consultation=consultation,
                network=channel.network,
                route=item.route[:40],
                payload=payload,
                error=item.error,
                fingerprint=fingerprint,
            )
        )
        logger.warning(
            "Quarantined a %s payload from %s: %s", channel.network, item.route, item.error
        )
    before = QuarantinedPayload.objects.filter(
        network=channel.network, fingerprint__in=[row.fingerprint for row in rows]
    ).count()
    QuarantinedPayload.objects.bulk_create(rows, ignore_conflicts=True)
    after = QuarantinedPayload.objects.filter(
        network=channel.network, fingerprint__in=[row.fingerprint for row in rows]
    ).count()
    return after - before
