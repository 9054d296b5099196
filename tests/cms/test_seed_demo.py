"""seed_demo: the demo consultation, and its social replies reaching the record through collection."""

from __future__ import annotations

import io
import json

import pytest
import regex
from django.core.management import call_command
from django.utils import timezone

from cms.home.models import HomePage
from connectors.collection import responses_sweep
from connectors.demo import WELSH_DEMO_NETWORKS, WELSH_DEMO_REPLIES
from connectors.models import ChannelAccount
from connectors.sandbox import sandbox_api_class, start_sandbox
from consultations.models import ConsultationPage, Department
from engagement.analysis.models import AnalysisRun, ResponseAnalysis
from engagement.record.models import ModerationState, Response
from engagement.record.selectors import accountability_counts, public_responses
from engagement.record.services import RespondentInput, response_record
from tests.connectors.conftest import NETWORKS

# What the clean-air consultation is about; every demo reply touches one of these.
ON_TOPIC = regex.compile(
    r"air|zone|bus|cycl|bike|school|pollution|fumes|diesel|van|taxi|charge|car|asthma|"
    r"\bNO2\b|traffic|business|traders?|park",
    regex.IGNORECASE,
)
UK_DRAMA_PHONE = regex.compile(r"07700 ?900\d{3}")


@pytest.mark.django_db
def test_seed_demo_twice_creates_one_of_each_and_serves_the_consultation(client):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())

    # One of each in English, and one of each in Welsh (docs/adr/0018).
    assert sorted(HomePage.objects.values_list("locale__language_code", flat=True)) == [
        "cy",
        "en-gb",
    ]
    assert Department.objects.count() == 1
    assert sorted(ConsultationPage.objects.values_list("locale__language_code", flat=True)) == [
        "cy",
        "en-gb",
    ]
    consultation = ConsultationPage.objects.get(locale__language_code="en-gb")
    assert consultation.status == "open"
    response = client.get(consultation.url)
    assert response.status_code == 200
    assert "Clean air zones" in response.text


@pytest.mark.django_db
def test_seed_demo_with_no_analysis_seeds_the_responses_and_leaves_them_unanalysed():
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", "--no-analysis", stdout=out, stderr=err)

    consultation = ConsultationPage.objects.get(locale__language_code="en-gb")
    assert Response.objects.filter(consultation=consultation).exists()
    assert not AnalysisRun.objects.exists()
    assert not ResponseAnalysis.objects.exists()
    assert "nalysed" not in out.getvalue() + err.getvalue()


def _start_demo_sandboxes(path) -> dict:
    """Fresh sandboxes (no other test's hashtag posts on them), and the credentials file
    ``manage.py sandbox --seed-accounts --credentials-file`` writes for the demo."""
    servers = {network: start_sandbox(network) for network in NETWORKS}
    data = {}
    for network, server in servers.items():
        account = server.state.create_account(
            handle="cleanair", display_name="Department for Clean Air"
        )
        data[network] = {
            "base_url": server.base_url,
            "account": {"id": account.id, "handle": account.handle},
            "credentials": account.credentials,
        }
    path.write_text(json.dumps(data))
    return servers


@pytest.fixture
def demo_sandboxes(tmp_path, settings):
    path = tmp_path / "sandbox-credentials.json"
    settings.HUB_SANDBOX_CREDENTIALS = str(path)
    servers = _start_demo_sandboxes(path)
    yield servers
    for server in servers.values():
        server.stop()


def _sweep(consultation) -> int:
    return sum(
        responses_sweep(consultation_id=consultation.pk, channel_id=channel.pk).withdrawn
        for channel in ChannelAccount.objects.filter(department=consultation.department)
    )


def _social(consultation):
    return Response.objects.filter(consultation=consultation, channel__in=NETWORKS)


@pytest.mark.django_db
def test_the_demo_replies_are_posted_on_every_sandbox_and_collected(home_page, demo_sandboxes):
    call_command("seed_demo", stdout=io.StringIO())

    consultation = ConsultationPage.objects.get(
        slug="clean-air-zones", locale__language_code="en-gb"
    )
    collected = list(_social(consultation))
    # The replies to the Welsh announcement (its own post, docs/adr/0018), apart.
    welsh = [r for r in collected if r.language == "cy"]
    social = [r for r in collected if r.language != "cy"]
    assert len({r.channel for r in welsh}) == WELSH_DEMO_NETWORKS
    for network in {r.channel for r in welsh}:
        in_welsh = [r for r in welsh if r.channel == network]
        assert len(in_welsh) == len(WELSH_DEMO_REPLIES), network
        assert len({r.root_external_id for r in in_welsh}) == 1, network
        assert not {r.root_external_id for r in in_welsh} & {
            r.root_external_id for r in social if r.channel == network
        }, network
    assert not any(UK_DRAMA_PHONE.search(r.published_text) for r in welsh)
    for network, server in demo_sandboxes.items():
        from_network = [r for r in social if r.channel == network]
        assert len(from_network) >= 6, network
        for response in from_network:
            # Collected, not inserted: the post is on the sandbox, and the raw payload is
            # the network's own.
            assert server.state.get_post(response.external_id) is not None, response.text
            assert response.raw_payload and "demo" not in response.raw_payload
            assert response.respondent.external_id
            assert ON_TOPIC.search(response.text), response.text
    assert len(social) >= 24
    # On each network: replies to the announcement, a citizen answering another citizen,
    # a post naming the department's account, posts with the hashtag.
    # (Where the hub collects them: a network it reads no mentions or hashtags on, such as
    # Facebook's Page comments, has its citizens write replies only.)
    for network in NETWORKS:
        written = sandbox_api_class(network).demo_replies(
            account="cleanair", hashtag="CleanAirZones"
        )
        kinds = {reply.kind for reply in written}
        from_network = [r for r in social if r.channel == network]
        roots = {r.root_external_id for r in from_network if r.parent_external_id}
        assert len(roots) == 1, network
        assert any(r.parent_external_id in roots for r in from_network), network
        answers = [
            r for r in from_network if r.parent_external_id and r.parent_external_id not in roots
        ]
        # (Where the network keeps an answer under the reply it answers.)
        if any(reply.answers is not None for reply in written):
            assert answers, network
        standalone = [r for r in from_network if not r.parent_external_id]
        if "mention" in kinds:
            assert any("@cleanair" in r.text for r in standalone), network
        if "hashtag" in kinds:
            assert sum("#CleanAirZones" in r.text for r in standalone) >= 2, network
    # Personal data written in a reply is published only redacted.
    with_phone = [r for r in social if UK_DRAMA_PHONE.search(r.text)]
    assert with_phone
    assert not any(UK_DRAMA_PHONE.search(r.published_text) for r in with_phone)
    # Most are published; what the abuse screen flagged waits for a moderator.
    published = public_responses(consultation=consultation).filter(channel__in=NETWORKS)
    assert {r.channel for r in published} == set(NETWORKS)
    pending = [r for r in social if r.moderation_state == ModerationState.PENDING]
    assert pending and all(r.flagged_terms for r in pending)


@pytest.mark.django_db
def test_the_deletion_sweep_withdraws_nothing_of_the_demo_until_a_citizen_deletes(
    home_page, demo_sandboxes
):
    call_command("seed_demo", stdout=io.StringIO())
    consultation = ConsultationPage.objects.get(
        slug="clean-air-zones", locale__language_code="en-gb"
    )
    channels = ChannelAccount.objects.filter(department=consultation.department)

    assert _sweep(consultation) == 0
    assert accountability_counts(consultation=consultation).withdrawn == 0
    # The sweep did look: a reply its author deletes on the sandbox is withdrawn.
    deleted = _social(consultation).filter(channel="mastodon").first()
    demo_sandboxes["mastodon"].state.delete_post(deleted.external_id)
    mastodon = channels.get(network="mastodon")
    assert responses_sweep(consultation_id=consultation.pk, channel_id=mastodon.pk).withdrawn == 1
    assert accountability_counts(consultation=consultation).withdrawn == 1


@pytest.mark.django_db
def test_seed_demo_again_on_the_same_sandboxes_posts_and_records_nothing_twice(
    home_page, demo_sandboxes
):
    call_command("seed_demo", stdout=io.StringIO())
    consultation = ConsultationPage.objects.get(
        slug="clean-air-zones", locale__language_code="en-gb"
    )
    recorded = _social(consultation).count()
    posts = {
        network: len(server.state.post_summaries()) for network, server in demo_sandboxes.items()
    }

    call_command("seed_demo", stdout=io.StringIO())

    assert _social(consultation).count() == recorded
    assert {
        network: len(server.state.post_summaries()) for network, server in demo_sandboxes.items()
    } == posts


@pytest.mark.django_db
def test_seed_demo_replaces_social_responses_an_earlier_demo_inserted_directly(
    home_page, demo_sandboxes
):
    call_command("seed_demo", stdout=io.StringIO())
    consultation = ConsultationPage.objects.get(
        slug="clean-air-zones", locale__language_code="en-gb"
    )
    # What seed_demo used to do: made-up replies written straight into the record.
    inserted = response_record(
        consultation=consultation,
        channel="x",
        text="The branch library is the only warm quiet place to revise.",
        received_at=timezone.now(),
        respondent=RespondentInput(external_id="demo-person-1", handle="demo1"),
        external_id="demo-1",
        raw_payload={"demo": True},
    )

    call_command("seed_demo", stdout=io.StringIO())

    assert not Response.objects.filter(pk=inserted.pk).exists()
    assert not Response.objects.filter(consultation=consultation, raw_payload__demo=True).filter(
        channel__in=NETWORKS
    )


@pytest.mark.django_db
def test_the_demo_started_again_on_new_sandboxes_withdraws_nothing(
    home_page, demo_sandboxes, settings, tmp_path
):
    call_command("seed_demo", stdout=io.StringIO())
    # `make demo` again: the sandboxes start empty, here on other ports.
    for server in demo_sandboxes.values():
        server.stop()
    path = tmp_path / "again.json"
    settings.HUB_SANDBOX_CREDENTIALS = str(path)
    again = _start_demo_sandboxes(path)
    try:
        call_command("seed_demo", stdout=io.StringIO())

        consultation = ConsultationPage.objects.get(
            slug="clean-air-zones", locale__language_code="en-gb"
        )
        channels = ChannelAccount.objects.filter(department=consultation.department)
        assert sorted(channels.values_list("network", flat=True)) == sorted(NETWORKS)
        assert {c.base_url for c in channels} == {s.base_url for s in again.values()}
        assert _sweep(consultation) == 0
        assert accountability_counts(consultation=consultation).withdrawn == 0
        for network, server in again.items():
            from_network = _social(consultation).filter(channel=network)
            assert from_network.count() >= 6, network
            assert all(server.state.get_post(r.external_id) for r in from_network), network
    finally:
        for server in again.values():
            server.stop()
