"""Issue 14 (ingest): one page of collected replies is recorded as a batch. What the batch
must still guarantee: each reply once, whatever repeats or overlaps; bad payloads kept
aside without stopping the rest; redaction, screening and auto-approval applied; one
search outbox entry and one automatic decision per new response."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.collection.outcomes import CollectOutcome
from connectors.collection.recording import page_record
from connectors.models import QuarantinedPayload
from connectors.types import CollectionScope, IncomingReply, QuarantinedItem
from engagement.moderation.models import ModerationDecision
from engagement.record.models import ModerationState, Respondent, Response
from search.models import SearchIndexQueue
from search.services import search_index_drain
from tests.factories.connectors import ChannelAccountFactory, DepartmentFactory, consultation_page

ROOT = "root-post"


@pytest.fixture
def consultation(home_page):
    department = DepartmentFactory()
    channel = ChannelAccountFactory(department=department, credentials={"access_token": "t"})
    page = consultation_page(home_page, department, channels=[channel], publish=True)
    page.auto_approve_responses = True
    page.save_revision().publish()
    return page, channel


def _reply(number: int, *, text: str = "", author: int | None = None) -> IncomingReply:
    return IncomingReply(
        id=f"reply-{number}",
        parent_id=ROOT,
        root_id=ROOT,
        author_id=str(author if author is not None else number),
        author_handle=f"citizen{number}",
        text=text
        or f"Reply {number}: the buses should run later, call me on 07700 900{number:03d}.",
        created_at=timezone.now() - timedelta(minutes=number),
        language="en",
        raw={"id": f"reply-{number}"},
    )


def _record(page, channel, replies, quarantined=()) -> CollectOutcome:
    outcome = CollectOutcome()
    page_record(
        consultation=page,
        channel=channel,
        scope=CollectionScope(root_ids=(ROOT,)),
        replies=replies,
        quarantined=quarantined,
        outcome=outcome,
    )
    return outcome


def test_page_with_a_duplicate_and_a_malformed_reply_stores_the_good_ones_once(consultation):
    page, channel = consultation
    good = [_reply(number, author=number % 3) for number in range(1, 8)]
    malformed = QuarantinedItem(
        route="replies",
        raw={"id": "reply-bad", "text": None},
        error="text: missing",
        external_id="reply-bad",
    )

    outcome = _record(page, channel, [*good, good[2]], quarantined=[malformed])

    # The repeat within the page is dropped before the record (scope.replies_for_consultation).
    assert (outcome.created, outcome.quarantined) == (7, 1)
    responses = Response.objects.filter(consultation=page)
    assert sorted(responses.values_list("external_id", flat=True)) == sorted(r.id for r in good)
    assert QuarantinedPayload.objects.get(network=channel.network).error == "text: missing"
    # Three accounts among the seven replies: a respondent each, made once.
    assert Respondent.objects.filter(channel=channel.network).count() == 3
    # Redacted and approved by the consultation's policy, each with its decision on record.
    assert not responses.filter(published_text__contains="07700").exists()
    assert set(responses.values_list("moderation_state", flat=True)) == {ModerationState.APPROVED}
    assert ModerationDecision.objects.filter(response__in=responses, automatic=True).count() == 7
    # Announced once each: one outbox entry per new response, not one per write.
    queued = list(SearchIndexQueue.objects.values_list("object_pk", flat=True))
    assert sorted(queued) == sorted(str(pk) for pk in responses.values_list("pk", flat=True))

    drained = search_index_drain()
    assert (drained.failed, drained.indexed) == (False, 7)

    again = _record(page, channel, good, quarantined=[malformed])
    assert (again.created, again.already_recorded, again.quarantined) == (0, 7, 0)
    assert responses.count() == 7
    assert not SearchIndexQueue.objects.exists()


def test_overlapping_pages_record_each_reply_once(consultation):
    page, channel = consultation
    first = [_reply(number) for number in range(1, 6)]
    second = [_reply(number) for number in range(4, 10)]

    outcomes = [_record(page, channel, first), _record(page, channel, second)]

    assert [(o.created, o.already_recorded) for o in outcomes] == [(5, 0), (4, 2)]
    assert Response.objects.filter(consultation=page).count() == 9
    assert SearchIndexQueue.objects.count() == 9


def test_flagged_reply_waits_for_a_moderator_while_the_rest_are_approved(consultation):
    page, channel = consultation
    replies = [_reply(1), _reply(2, text="You are all a bunch of wankers, the lot of you.")]

    _record(page, channel, replies)

    states = dict(Response.objects.values_list("external_id", "moderation_state"))
    assert states == {"reply-1": ModerationState.APPROVED, "reply-2": ModerationState.PENDING}
    assert Response.objects.get(external_id="reply-2").flagged_terms
    # The pending one is in the outbox too: the drain removes what is not public.
    assert SearchIndexQueue.objects.count() == 2
