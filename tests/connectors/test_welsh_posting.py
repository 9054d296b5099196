"""Issue 16: a consultation with a Welsh version announces it in Welsh too, as its own
post, and replies under the Welsh post are heard as Welsh."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from connectors.collection.outcomes import CollectOutcome
from connectors.collection.recording import page_record
from connectors.collection.scope import collection_scope
from connectors.models import Delivery, DeliveryKind, DeliveryPost, DeliveryStatus
from connectors.selectors import delivered_posts_for
from connectors.services import delivery_message, delivery_page, delivery_schedule_for_consultation
from connectors.types import IncomingReply
from consultations.translations import page_translation_create
from engagement.record.models import Response
from tests.factories.connectors import ChannelAccountFactory, DepartmentFactory, consultation_page


def _welsh_version(page):
    welsh = page_translation_create(page=page, language_code="cy")
    for ancestor in welsh.get_ancestors().filter(depth__gt=1, live=False):
        ancestor.specific.save_revision().publish()
    welsh.title = "Parthau aer glân mewn trefi marchnad"
    welsh.summary = "Rydym yn cynnig parthau aer glân mewn deg tref farchnad."
    welsh.save_revision().publish()
    return welsh


def _consultation_with_channel(home_page):
    department = DepartmentFactory()
    channel = ChannelAccountFactory(department=department, credentials={"access_token": "t"})
    page = consultation_page(home_page, department, channels=[channel], publish=True)
    return page, channel


def test_welsh_version_gets_its_own_deliveries_on_the_consultations_channels(home_page):
    page, channel = _consultation_with_channel(home_page)
    welsh = _welsh_version(page)

    delivery_schedule_for_consultation(page=page)
    delivery_schedule_for_consultation(page=welsh)
    delivery_schedule_for_consultation(page=welsh)  # publishing again adds nothing

    deliveries = Delivery.objects.filter(consultation=page, channel=channel)
    assert sorted(deliveries.values_list("kind", "language")) == sorted(
        [
            (kind, language)
            for kind in DeliveryKind.values
            # The outcome reply is made when the outcome is published (connectors.outcomes),
            # a respondent's reply after it (connectors.respondent_replies).
            if kind not in (DeliveryKind.OUTCOME, DeliveryKind.RESPONDENT_REPLY)
            for language in ("", "cy")
        ]
    )
    assert not Delivery.objects.filter(consultation=welsh).exists()


def test_welsh_announcement_is_written_in_welsh_and_links_the_welsh_page(home_page, settings):
    settings.HUB_BASE_URL = "https://consult.example.gov.uk"
    page, _ = _consultation_with_channel(home_page)
    welsh = _welsh_version(page)
    delivery_schedule_for_consultation(page=welsh)
    announcement = Delivery.objects.get(consultation=page, kind=DeliveryKind.ANNOUNCE)

    message = delivery_message(page=delivery_page(announcement), kind=announcement.kind)

    assert message.text.startswith("Dweud eich dweud: Parthau aer glân mewn trefi marchnad.")
    assert message.link == f"https://consult.example.gov.uk/cy/{page.url.lstrip('/')}"
    assert message.hashtag == page.hashtag


def test_welsh_reminder_dates_are_in_welsh(home_page):
    now = timezone.now()
    page, _ = _consultation_with_channel(home_page)
    page.closes_at = now.replace(month=2, day=10) + timedelta(days=366)
    page.save_revision().publish()
    welsh = _welsh_version(page)

    message = delivery_message(page=welsh, kind=DeliveryKind.REMINDER_7D)

    assert "Chwefror" in message.text
    assert "Wythnos ar ôl" in message.text


def test_reply_under_the_welsh_post_is_recorded_with_the_welsh_hint(home_page):
    page, channel = _consultation_with_channel(home_page)
    welsh = _welsh_version(page)
    english_post, welsh_post = "post-en-1", "post-cy-1"
    for language, external_id in (("", english_post), ("cy", welsh_post)):
        delivery = Delivery.objects.create(
            consultation=page,
            channel=channel,
            kind=DeliveryKind.ANNOUNCE,
            language=language,
            due_at=timezone.now(),
            status=DeliveryStatus.DELIVERED,
        )
        DeliveryPost.objects.create(
            delivery=delivery, position=0, external_id=external_id, text="…"
        )
    scope = collection_scope(consultation=page, channel=channel)
    replies = [
        IncomingReply(
            id="r-cy",
            parent_id=welsh_post,
            root_id=welsh_post,
            author_id="1",
            author_handle="gwenllian",
            text="Syniad da, ma’r traffig yn ofnadwy bob bore.",
            created_at=timezone.now(),
            # Clients often tag whatever their owner's default is.
            language="en",
        ),
        IncomingReply(
            id="r-en",
            parent_id=english_post,
            root_id=english_post,
            author_id="2",
            author_handle="sam",
            text="Good idea, the traffic is awful.",
            created_at=timezone.now(),
        ),
    ]

    page_record(
        consultation=page,
        channel=channel,
        scope=scope,
        replies=replies,
        quarantined=[],
        outcome=CollectOutcome(),
    )

    languages = dict(Response.objects.values_list("external_id", "language"))
    # The English reply carries no tag: its words say English (engagement.languages).
    assert languages == {"r-cy": "cy", "r-en": "en"}
    roots = dict(Response.objects.values_list("external_id", "root_external_id"))
    assert roots == {"r-cy": welsh_post, "r-en": english_post}
    assert welsh.pk != page.pk


def test_welsh_page_links_its_own_announcements(home_page):
    page, channel = _consultation_with_channel(home_page)
    welsh = _welsh_version(page)
    for language, url in (("", "https://example.social/en"), ("cy", "https://example.social/cy")):
        delivery = Delivery.objects.create(
            consultation=page,
            channel=channel,
            kind=DeliveryKind.ANNOUNCE,
            language=language,
            due_at=timezone.now(),
            status=DeliveryStatus.DELIVERED,
        )
        DeliveryPost.objects.create(
            delivery=delivery, position=0, external_id=url, url=url, text="…"
        )

    assert [post.url for post in delivered_posts_for(page)] == ["https://example.social/en"]
    assert [post.url for post in delivered_posts_for(welsh)] == ["https://example.social/cy"]
