"""The Django side of the system test, run as its own process against the hub's database.

    python -m tests.system.agent setup FILE        the demo's channels and announcement roots
    python -m tests.system.agent staff DIR         a moderator and a comms officer at work
    python -m tests.system.agent reconcile FILE    what the record holds for what was sent

``staff`` is a long-lived process, like a moderator's browser and a comms officer's: it
approves what waits for moderation every few seconds; when the test drops a file
``publish-N`` in DIR, it publishes a new consultation linked to every channel (which
sends its announcements through Celery). Both keep working through the faults: a
database error is logged and the loop tries again. Nobody retries a delivery: one whose
worker was killed is taken over by beat.
"""

# ruff: noqa: T201 - the figures are printed for the operator (and the issue's note)

from __future__ import annotations

import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

import django


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.system.settings")
    django.setup()


def _demo():
    from wagtail.models import Locale

    from cms.management.commands.seed_demo import DEMO_CONSULTATION_SLUG
    from consultations.models import ConsultationPage

    # The consultation is its English page; its Welsh version shares the slug.
    return ConsultationPage.objects.get(slug=DEMO_CONSULTATION_SLUG, locale=Locale.get_default())


def setup(out: Path) -> None:
    """Moderators decide every response (the demo auto-approves); report the roots to reply to."""
    from connectors.demo import _announcement_root, _sandbox_links

    consultation = _demo()
    consultation.auto_approve_responses = False
    consultation.save(update_fields=["auto_approve_responses"])
    channels = {}
    for channel in _sandbox_links(consultation):
        channels[channel.network] = {
            "base_url": channel.base_url,
            "handle": channel.handle,
            "display_name": channel.display_name,
            "root": _announcement_root(consultation, channel),
        }
    out.write_text(
        json.dumps(
            {
                "consultation_id": consultation.pk,
                "url": consultation.url,
                "slug": consultation.slug,
                "channels": channels,
            }
        )
    )


def _publish(number: int) -> None:
    from django.utils import timezone

    from connectors.models import ChannelAccount, ConsultationChannel
    from connectors.services import delivery_schedule_for_consultation
    from consultations.models import ConsultationPage

    demo = _demo()
    slug = f"system-load-{number}"
    page = ConsultationPage.objects.filter(slug=slug).first()
    if page is None:
        now = timezone.now()
        page = demo.get_parent().add_child(
            instance=ConsultationPage(
                title=f"System load consultation {number}",
                slug=slug,
                summary="A consultation published while the system test runs.",
                department=demo.department,
                topic=demo.topic,
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=30),
            )
        )
    # Outside the "if": a request that failed after the page was made is retried in full.
    for channel in ChannelAccount.objects.filter(department=demo.department, is_active=True):
        ConsultationChannel.objects.get_or_create(page=page, channel=channel)
    # What the publish signal does once the publish commits.
    delivery_schedule_for_consultation(page=page)


def _moderate() -> int:
    from django.contrib.auth import get_user_model

    from engagement.moderation.services import response_moderate
    from engagement.record.models import ModerationState, Response

    moderator = get_user_model().objects.get(username="demo-moderator")
    approved = 0
    for response in Response.objects.filter(
        moderation_state=ModerationState.PENDING, withdrawn_at__isnull=True
    ).order_by("pk")[:50]:
        response_moderate(response=response, to_state=ModerationState.APPROVED, by=moderator)
        approved += 1
    return approved


def staff(requests_dir: Path) -> None:
    from django.db import close_old_connections

    while True:
        try:
            for request in sorted(requests_dir.glob("publish-*")):
                _publish(int(request.name.split("-")[1]))
                request.unlink()
                print(f"published {request.name}", flush=True)
            approved = _moderate()
            if approved:
                print(f"approved {approved}", flush=True)
        except Exception as error:  # noqa: BLE001 - a person would retry too
            print(f"staff: {type(error).__name__}: {error}", flush=True)
            close_old_connections()
            from django.db import connection

            connection.close()
        time.sleep(2)


def reconcile(path: Path) -> None:
    """Count, for everything the test sent, what the record and the networks hold."""
    from django.db.models import Q
    from modelsearch.backends import get_search_backend
    from wagtail.models import Locale

    from connectors.models import (
        ChannelAccount,
        Delivery,
        DeliveryPost,
        DeliveryStatus,
        QuarantinedPayload,
    )
    from consultations.models import ConsultationPage
    from engagement.record.models import Response
    from engagement.record.selectors import accountability_counts

    sent = json.loads(path.read_text())
    replies = {"sent": 0, "recorded": 0, "duplicated": 0, "lost": 0, "quarantined": 0}
    lost, duplicated = [], []
    for reply in sent["replies"]:
        replies["sent"] += 1
        found = Response.objects.filter(text__contains=reply["token"]).count()
        if found == 1:
            replies["recorded"] += 1
        elif found > 1:
            replies["duplicated"] += 1
            duplicated.append(reply)
        elif QuarantinedPayload.objects.filter(payload__icontains=reply["token"]).exists():
            replies["quarantined"] += 1
        else:
            replies["lost"] += 1
            lost.append(reply)
    references = sent["web_references"]
    recorded_refs = set(
        Response.objects.filter(reference__in=references).values_list("reference", flat=True)
    )
    web = {
        "accepted": len(references),
        "recorded": len(recorded_refs),
        "lost": sorted(set(references) - recorded_refs),
    }

    # Deliveries: every post the department's accounts have on the networks is a
    # delivery's recorded post, and every recorded post is there, once.
    posted = sent["department_posts"]  # {network: [post ids]}
    deliveries = {"delivered": 0, "not_delivered": [], "duplicated": [], "missing": []}
    for network, ids in posted.items():
        recorded = list(
            DeliveryPost.objects.filter(
                delivery__channel__network=network, deleted_at__isnull=True
            ).values_list("external_id", flat=True)
        )
        on_network = set(ids)
        deliveries["duplicated"] += [f"{network}:{i}" for i in sorted(on_network - set(recorded))]
        deliveries["missing"] += [f"{network}:{i}" for i in sorted(set(recorded) - on_network)]
        if len(recorded) != len(set(recorded)):
            deliveries["duplicated"].append(f"{network}: a post recorded twice")
    deliveries["delivered"] = Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
    deliveries["not_delivered"] = [
        f"{d.channel.network}/{d.consultation_id}/{d.kind}: {d.status} {d.last_error[:80]}"
        for d in Delivery.objects.filter(kind="announce")
        .exclude(status=DeliveryStatus.DELIVERED)
        .select_related("channel")
    ]
    # A consultation published without a delivery row at all is in neither list above.
    networks = ChannelAccount.objects.filter(is_active=True).count()
    deliveries["unannounced"] = [
        page.slug
        # Translations post under their consultation (the English page), in their language.
        for page in ConsultationPage.objects.live().filter(locale=Locale.get_default())
        if Delivery.objects.filter(
            consultation_id=page.pk, kind="announce", status=DeliveryStatus.DELIVERED
        ).count()
        < networks
    ]

    backend = get_search_backend()
    index_name = backend.get_index_for_model(Response).name
    backend.es.indices.refresh(index=index_name)
    answer = backend.es.search(
        index=index_name, body={"query": {"match_all": {}}, "_source": False, "size": 10000}
    )
    in_index = {int(hit["_id"]) for hit in answer["hits"]["hits"]}
    published = set(Response.get_indexed_objects().values_list("pk", flat=True))
    index = {
        "published": len(published),
        "indexed": len(in_index),
        "missing_from_index": len(published - in_index),
        "stale_in_index": len(in_index - published),
    }

    ledger = accountability_counts(consultation=_demo())
    ledger_sum = (
        ledger.published + ledger.pending + ledger.hidden + ledger.withdrawn + ledger.erased
    )
    collected = Response.objects.filter(consultation=_demo()).count()
    quarantine_reasons = list(
        QuarantinedPayload.objects.filter(~Q(error=""))
        .values_list("network", "error")
        .distinct()[:10]
    )
    print(
        json.dumps(
            {
                "replies": replies,
                "lost_replies": lost[:20],
                "duplicated_replies": duplicated[:20],
                "web": web,
                "deliveries": deliveries,
                "index": index,
                "ledger": {
                    "collected": ledger.collected,
                    "rows": collected,
                    "sum_of_parts": ledger_sum,
                    "published": ledger.published,
                    "pending": ledger.pending,
                    "hidden": ledger.hidden,
                    "withdrawn": ledger.withdrawn,
                },
                "quarantine_reasons": quarantine_reasons,
            }
        )
    )


if __name__ == "__main__":
    _setup()
    command, argument = sys.argv[1], Path(sys.argv[2])
    {"setup": setup, "staff": staff, "reconcile": reconcile}[command](argument)
