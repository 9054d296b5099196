"""Erasure on request: one person's words and identifiers gone from every store, the ledger intact."""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import pytest
from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from connectors.models import QuarantinedPayload
from engagement.analysis.models import CampaignGroup, ResponseAnalysis, Theme, ThemeMembership
from engagement.moderation.services import response_moderate, response_text_update
from engagement.record.models import (
    Channel,
    ErasureRequest,
    ModerationState,
    Response,
    ResponseNotification,
)
from engagement.record.selectors import accountability_counts
from engagement.record.services import (
    RespondentInput,
    ResponseInput,
    response_record,
    responses_record_batch,
    web_response_record,
)
from search.services import search_index_drain
from tests.factories.consultations import consultation_with_questions

pytestmark = [pytest.mark.search_node, pytest.mark.django_db]

MARK = "Zanzibarquux"
PLATFORM_ID = "109876543210987654"
POST_ID = "113355779911335577"
EMAIL = "ada.zanzibarquux@example.org"
# Every app that keeps a copy of the record, dumped whole to look for the marker.
STORES = ("record", "moderation", "analysis", "connectors", "hubsearch")


def _dump() -> str:
    rows = []
    for label in STORES:
        for model in apps.get_app_config(label).get_models():
            if model is ErasureRequest:
                continue
            rows.append(serializers.serialize("json", model.objects.all()))
    return "\n".join(rows)


def _vector(seed: int) -> bytes:
    vector = np.random.default_rng(seed).normal(size=8).astype(np.float32)
    return (vector / np.linalg.norm(vector)).astype(np.float32).tobytes()


def _public_texts(client, consultation, references) -> dict[str, str]:
    slug = consultation.slug
    pages = {
        "responses page": reverse("hubsearch:consultation_responses", kwargs={"slug": slug}),
        "csv": reverse("consultation_responses_csv", kwargs={"slug": slug}),
        "json": reverse("consultation_responses_json", kwargs={"slug": slug}),
        "api": f"/api/v1/responses/?consultation={slug}",
        "api search": f"/api/v1/responses/?q={MARK}",
        "api consultations": "/api/v1/consultations/",
        "summary": reverse("consultation_summary", kwargs={"slug": slug}),
        "summary csv": reverse("consultation_summary_csv", kwargs={"slug": slug}),
        "site search": reverse("hubsearch:site_search") + f"?q={MARK}",
    }
    for reference in references:
        pages[reference] = reverse(
            "hubsearch:consultation_response", kwargs={"slug": slug, "reference": reference}
        )
    found = {}
    for name, url in pages.items():
        answer = client.get(url)
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        found[name] = body.decode() if answer.status_code == 200 else ""
    return found


def _search(backend, word: str) -> set[str]:
    backend.get_index_for_model(Response).refresh()
    return {response.reference for response in backend.search(word, Response)}


@pytest.fixture
def planted(home_page, search_backend, admin_user, settings):
    """Two people with the marker in every store, and a bystander whose words stay."""
    settings.HUB_SEARCH_DRAIN_ON_COMMIT = False
    consultation = consultation_with_questions(title="Erasure streets")
    free_text, travel = list(consultation.questions.order_by("sort_order", "pk"))[:2]
    web = web_response_record(
        consultation=consultation,
        answers={free_text.pk: f"My street {MARK} needs trees", travel.pk: "Bus"},
        name=f"Ada {MARK}",
        email=EMAIL,
        publish_name=True,
        consent_to_publish=True,
        user_agent=f"Mozilla/5.0 {MARK}",
        form_language="cy",
    )
    social = response_record(
        consultation=consultation,
        channel="mastodon",
        external_id=POST_ID,
        text=f"{MARK} wants fewer lorries on the high street",
        received_at=timezone.now() - timedelta(hours=2),
        respondent=RespondentInput(
            external_id=PLATFORM_ID,
            handle=f"@{MARK.lower()}@social.example",
            display_name=f"{MARK} Person",
        ),
        url=f"https://social.example/@{MARK.lower()}/{POST_ID}",
        raw_payload={"id": POST_ID, "account": {"id": PLATFORM_ID}, "content": MARK},
    )
    # An earlier wording, kept as a revision.
    response_text_update(
        response_id=social.pk,
        text=f"{MARK} wants fewer lorries on the high street, and trees",
        edited_at=timezone.now() - timedelta(hours=1),
    )
    bystander = response_record(
        consultation=consultation,
        channel="mastodon",
        external_id="99",
        text="Fewer lorries and more trees please",
        received_at=timezone.now() - timedelta(hours=3),
        respondent=RespondentInput(external_id="7", handle="@neighbour@social.example"),
    )
    for response in (web, social, bystander):
        response.refresh_from_db()
        if response.moderation_state != ModerationState.APPROVED:
            response_moderate(
                response=response,
                to_state=ModerationState.APPROVED,
                by=admin_user,
                note=f"Fine; mentions {MARK}" if response != bystander else "Fine",
            )
    QuarantinedPayload.objects.create(
        network="mastodon",
        payload={"id": "555", "account": {"id": PLATFORM_ID}, "content": f"{MARK} <broken"},
        error="content is not valid HTML",
        fingerprint="a" * 64,
    )
    QuarantinedPayload.objects.create(
        network="mastodon",
        payload={"id": "556", "account": {"id": "7"}, "content": "<broken"},
        error="content is not valid HTML",
        fingerprint="b" * 64,
    )
    for response in (web, social, bystander):
        ResponseAnalysis.objects.create(
            response=response,
            text_hash=str(response.pk),
            sentiment_compound=0.1,
            sentiment_label="neutral",
            embedding=_vector(response.pk),
        )
    theme = Theme.objects.create(
        consultation=consultation,
        label=f"{MARK.lower()}, trees, lorries",
        terms=[MARK.lower(), "trees", "lorries"],
        centroid=_vector(1),
    )
    for response in (web, social, bystander):
        ThemeMembership.objects.create(theme=theme, response=response)
    campaign = CampaignGroup.objects.create(
        consultation=consultation,
        representative=social,
        representative_text=social.text,
        count=2,
    )
    ResponseAnalysis.objects.filter(response__in=[social, bystander]).update(
        campaign_group=campaign
    )
    assert not search_index_drain().failed
    return {
        "consultation": consultation,
        "web": web,
        "social": social,
        "bystander": bystander,
        "theme": theme,
        "campaign": campaign,
        "backend": search_backend,
    }


def _erase(*arguments: str) -> str:
    out = io.StringIO()
    call_command("erase_respondent", *arguments, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_erasure_leaves_the_marker_in_no_store_and_the_ledger_adds_up(planted, client):
    consultation = planted["consultation"]
    references = [planted["web"].reference, planted["social"].reference]
    # Planted everywhere it should be before (or the test could not fail).
    dump = _dump().lower()
    for planted_text in (MARK.lower(), EMAIL, PLATFORM_ID, POST_ID):
        assert planted_text in dump
    assert _search(planted["backend"], MARK) == set(references)
    before = _public_texts(client, consultation, references)
    for name in ("responses page", "csv", "json", "api", "summary", *references):
        assert MARK in before[name], name
    for name in ("site search", "api search"):
        assert planted["web"].reference in before[name], name
    assert ResponseNotification.objects.get(response=planted["web"]).language == "cy"

    dry = _erase("--channel", "mastodon", "--platform-id", PLATFORM_ID, "--dry-run")
    assert "Dry run: would erase 1 responses" in dry and "quarantined payloads 1" in dry
    assert MARK.lower() in _dump().lower() and PLATFORM_ID in _dump()

    said = _erase("--channel", "mastodon", "--platform-id", PLATFORM_ID, "--reason", "Email 3 May")
    assert f"Erased 1 responses ({planted['social'].reference})" in said
    _erase("--email", EMAIL.upper())
    assert not search_index_drain().failed

    dump = _dump().lower()
    for planted_text in (MARK.lower(), EMAIL, PLATFORM_ID, POST_ID, "mozilla"):
        assert planted_text not in dump, planted_text
    assert _search(planted["backend"], MARK) == set()
    after = _public_texts(client, consultation, references)
    for name, text in after.items():
        if "search" in name:  # the query is echoed back: look for the results instead
            assert not any(reference in text for reference in references), name
        else:
            assert MARK not in text and MARK.lower() not in text, name
    assert after[planted["web"].reference] == ""  # the erased response's page is gone
    # Which language's form they used goes with the language of their words.
    assert ResponseNotification.objects.get(response=planted["web"]).language == ""

    # The bystander's words, quarantined payload, theme and campaign remain.
    bystander = planted["bystander"]
    bystander.refresh_from_db()
    assert bystander.text == "Fewer lorries and more trees please"
    assert QuarantinedPayload.objects.filter(payload__account__id="7").exists()
    assert list(ThemeMembership.objects.values_list("response_id", flat=True)) == [bystander.pk]
    planted["theme"].refresh_from_db()
    assert planted["theme"].terms == ["trees", "lorries"]
    planted["campaign"].refresh_from_db()
    assert planted["campaign"].representative_id == bystander.pk
    assert planted["campaign"].count == 1
    assert ResponseAnalysis.objects.get().response_id == bystander.pk

    # Tombstones: reference, consultation, channel and time, counted under "erased".
    for reference, channel in zip(references, (Channel.WEB, "mastodon"), strict=True):
        tombstone = Response.objects.get(reference=reference)
        assert tombstone.consultation_id == consultation.pk and tombstone.channel == channel
        assert tombstone.moderation_state == ModerationState.ERASED and tombstone.erased_at
    counts = accountability_counts(consultation=consultation)
    assert counts.erased == 2 and counts.withdrawn == 0 and counts.published == 1
    assert counts.collected == (
        counts.published + counts.pending + counts.hidden + counts.withdrawn + counts.erased
    )
    assert 'data-count="erased">2<' in after["responses page"]
    api = client.get("/api/v1/consultations/").json()["results"]
    counted = next(item["counts"] for item in api if item["slug"] == consultation.slug)
    assert counted["erased"] == 2 and counted["collected"] == 3

    # Audited: who, when, why, what — without the identifier itself.
    audit = ErasureRequest.objects.order_by("pk")
    assert [request.reason for request in audit] == [
        "Email 3 May",
        "Erased on request (command line).",
    ]
    assert audit[0].references == [planted["social"].reference]
    assert audit[0].erased["quarantined payloads"] == 1
    assert audit[0].erased["embeddings"] == 1

    # Idempotent: a second run finds only tombstones and changes nothing.
    settled = _dump()
    again = _erase("--channel", "mastodon", "--platform-id", PLATFORM_ID)
    assert "Already erased: 1 responses." in again and "Erased 0 responses" in again
    assert _dump() == settled

    # Re-reading the thread does not bring the erased post back.
    result = responses_record_batch(
        consultation=consultation,
        items=[
            ResponseInput(
                channel="mastodon",
                external_id=POST_ID,
                text=f"{MARK} wants fewer lorries",
                received_at=timezone.now(),
                respondent=RespondentInput(external_id=PLATFORM_ID),
            )
        ],
    )
    assert result.created == 0 and result.already_recorded == 1
    assert MARK.lower() not in _dump().lower()


def test_erasure_needs_exactly_one_way_to_find_the_person(planted):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="exactly one"):
        _erase("--email", EMAIL, "--reference", planted["web"].reference)
    with pytest.raises(CommandError, match="No response has the reference"):
        _erase("--reference", "HUB-NOPE-NOPE")
    assert MARK.lower() in _dump().lower()


def test_erasure_by_reference_erases_all_of_that_persons_responses(planted):
    said = _erase("--reference", planted["social"].reference.lower())
    assert "Erased 1 responses" in said
    planted["web"].refresh_from_db()
    assert planted["web"].text  # another person: untouched


def test_admin_erasure_asks_for_confirmation_and_is_for_administrators_only(
    planted, client, django_user_model
):
    from django.contrib.auth.models import Permission

    social = planted["social"]
    url = reverse("record_response_erase", args=[social.pk])
    officer = django_user_model.objects.create_user(username="officer", password="x")
    officer.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(officer)
    # Wagtail turns a refusal into a redirect to the dashboard with a message.
    assert client.get(url).status_code in (302, 403)
    assert client.post(url, {"reason": "asked", "confirm": "on"}).status_code in (302, 403)
    assert Response.objects.get(pk=social.pk).erased_at is None

    admin = django_user_model.objects.get(username="admin")
    client.force_login(admin)
    inspect = client.get(reverse("responses:inspect", args=[social.pk])).content.decode()
    assert url in inspect
    page = client.get(url).content.decode()
    assert social.reference in page and "quarantined payloads" in page
    # Without the confirmation box, nothing happens.
    assert client.post(url, {"reason": "asked"}).status_code == 200
    assert Response.objects.get(pk=social.pk).erased_at is None

    client.post(url, {"reason": "Letter of 3 May", "confirm": "on"})
    assert Response.objects.get(pk=social.pk).erased_at is not None
    audit = ErasureRequest.objects.get()
    assert audit.requested_by == admin and audit.reason == "Letter of 3 May"
    assert audit.selector == "reference" and audit.references == [social.reference]
