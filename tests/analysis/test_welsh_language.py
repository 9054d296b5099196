"""Welsh replies: told apart from English, recorded as Welsh, and not read by English models.

The labelled replies (data/language_labelled.csv) are short posts as people write them,
in Welsh, English and both (code-switched), with typos, hashtags and emoji; each is
labelled with the language of most of its words, or "und" when it has fewer than three.
scripts/bench_language.py prints the same figures in full.
"""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from engagement.analysis import summaries
from engagement.analysis.engine.sentiment import (
    VaderSentimentModel,
    model_reads,
    sentiment_scores,
)
from engagement.analysis.models import ResponseAnalysis, ThemeMembership
from engagement.analysis.services import analysis_run
from engagement.languages import language_detect, language_recorded, language_text
from engagement.record.models import Channel, ModerationState
from engagement.record.services import (
    AnswerInput,
    RespondentInput,
    ResponseInput,
    responses_record_batch,
)
from tests.factories.consultations import consultation_with_questions
from tests.factories.record import ResponseFactory

LABELLED = Path(__file__).resolve().parent / "data" / "language_labelled.csv"
FLOOR = 0.95
CODE_SWITCHED_FLOOR = 0.9

WELSH_REPLIES = (
    "Dwi ddim yn hapus o gwbl efo hyn, mae'r cynllun yn cosbi pobl y cymoedd",
    "Diolch o galon, mae'n hen bryd cael aer glân yng Nghaerdydd",
    "Mae'r bysiau'n hwyr bob bore a does neb yn gwrando arnon ni",
)


def _labelled(kind: str | None = None) -> list[dict[str, str]]:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row for row in rows if kind is None or row["kind"] == kind]


def _precision_recall(rows: list[dict[str, str]], language: str) -> tuple[float, float]:
    detected = [language_detect(row["text"]) for row in rows]
    hits = sum(
        1 for row, found in zip(rows, detected, strict=True) if row["language"] == found == language
    )
    said = sum(1 for found in detected if found == language)
    labelled = sum(1 for row in rows if row["language"] == language)
    return hits / said, hits / labelled


def test_the_labelled_set_is_large_and_balanced_enough_to_mean_something():
    rows = _labelled()
    languages = [row["language"] for row in rows]
    assert len(rows) >= 200
    assert languages.count("cy") >= 90
    assert languages.count("en") >= 90
    assert len(_labelled("mixed")) >= 25


@pytest.mark.parametrize("language", ["cy", "en"])
def test_welsh_and_english_replies_are_told_apart_above_the_floor(language):
    precision, recall = _precision_recall(_labelled(), language)
    assert precision >= FLOOR, f"{language} precision {precision:.3f}"
    assert recall >= FLOOR, f"{language} recall {recall:.3f}"


@pytest.mark.parametrize("language", ["cy", "en"])
def test_code_switched_replies_go_to_the_language_of_most_of_their_words(language):
    precision, recall = _precision_recall(_labelled("mixed"), language)
    assert min(precision, recall) >= CODE_SWITCHED_FLOOR, f"{language} {precision} {recall}"


@pytest.mark.parametrize("text", ["Cytuno 👍", "#AerGlân", "@cleanair ok", "💚💚", "Diolch 🙏"])
def test_too_few_words_to_tell_is_undetermined(text):
    assert language_detect(text) == "und"


def test_links_handles_emoji_and_hash_signs_are_no_language():
    text = "@Cyngor_Caerdydd Dwi'n cytuno 👏 https://example.org/aer #AerGlânCaerdydd"
    assert language_text(text) == "Dwi'n cytuno Aer Glân Caerdydd"


@pytest.mark.parametrize(
    ("reported", "text", "recorded"),
    [
        # Mastodon and Bluesky send the author's default; the words say Welsh.
        ("en", "Mae angen mwy o fysiau yn y cymoedd cyn codi tâl", "cy"),
        ("", "Mae angen mwy o fysiau yn y cymoedd cyn codi tâl", "cy"),
        ("en-GB", "We need more buses in the valleys first", "en"),
        ("cy", "Diolch!", "cy"),
        ("CY", "Diolch!", "cy"),
        ("", "👍", ""),
        # Only Welsh and English are second-guessed.
        ("fr", "Mae angen mwy o fysiau yn y cymoedd cyn codi tâl", "fr"),
        ("", "Il faut plus de bus dans les vallées avant tout péage", "fr"),
    ],
)
def test_the_recorded_language_weighs_the_networks_tag_against_the_words(reported, text, recorded):
    assert language_recorded(reported=reported, text=text) == recorded


@pytest.mark.django_db
def test_welsh_replies_land_in_the_record_tagged_welsh(home_page):
    consultation = consultation_with_questions(title="Aer glân")
    question = consultation.questions.get(kind="free_text")
    now = timezone.now()
    result = responses_record_batch(
        consultation=consultation,
        items=[
            ResponseInput(
                channel="mastodon",
                external_id="109",
                text="Mae'r aer ar Heol y Gogledd yn afiach, dwi'n cael trafferth anadlu",
                language="en",
                received_at=now,
                respondent=RespondentInput(external_id="42", handle="@gwyn@toot.cymru"),
            ),
            ResponseInput(
                channel=Channel.WEB,
                # The web response's text repeats the question's English wording.
                text=f"{question.text}\nByddai'n well gen i weld llwybrau beicio diogel yn gynta",
                answers=(
                    AnswerInput(
                        question_id=question.pk,
                        text="Byddai'n well gen i weld llwybrau beicio diogel yn gynta",
                    ),
                ),
                received_at=now,
                respondent=RespondentInput(),
            ),
            ResponseInput(
                channel="mastodon",
                external_id="110",
                text="The air on North Road is disgusting, I struggle to breathe",
                language="en",
                received_at=now,
                respondent=RespondentInput(external_id="43", handle="@sam@toot.example"),
            ),
        ],
    )

    languages = [consultation.responses.get(pk=pk).language for pk in result.response_ids]
    assert languages == ["cy", "cy", "en"]


def test_an_english_only_model_does_not_score_welsh_replies():
    model = VaderSentimentModel()
    scores = sentiment_scores(
        model=model,
        texts=["Cytuno'n llwyr, gwych iawn!", "Totally agree, brilliant!", "Yes!"],
        languages=["cy", "en-GB", "und"],
    )

    assert [score.label for score in scores] == ["not_analysed", "positive", "positive"]
    assert scores[0].compound is None
    assert not model_reads(model, "cy")
    # A model that does not say which languages it reads is trusted with any.
    assert model_reads(object(), "cy")


@pytest.fixture
def with_welsh(seeded):
    start = timezone.now() - timedelta(days=2)
    welsh = [
        ResponseFactory(
            consultation=seeded.consultation,
            channel="mastodon",
            text=text,
            published_text=text,
            language="cy",
            moderation_state=ModerationState.APPROVED,
            received_at=start + timedelta(minutes=position),
        )
        for position, text in enumerate(WELSH_REPLIES)
    ]
    analysis_run(consultation=seeded.consultation, seed=0)
    return seeded, welsh


@pytest.mark.django_db
def test_welsh_replies_are_counted_as_not_analysed_and_left_out_of_the_themes(client, with_welsh):
    seeded, welsh = with_welsh
    welsh_ids = {response.pk for response in welsh}
    analyses = ResponseAnalysis.objects.filter(response_id__in=welsh_ids)
    assert {(a.sentiment_label, a.sentiment_compound, a.language) for a in analyses} == {
        ("not_analysed", None, "cy")
    }
    # The English replies are still read, and still grouped into themes.
    english = ResponseAnalysis.objects.filter(response__consultation=seeded.consultation).exclude(
        response_id__in=welsh_ids
    )
    assert set(english.values_list("sentiment_label", flat=True)) <= {
        "positive",
        "neutral",
        "negative",
    }
    assert ThemeMembership.objects.filter(theme__consultation=seeded.consultation).exists()
    assert not ThemeMembership.objects.filter(response_id__in=welsh_ids).exists()

    figures = summaries.public_figures(consultation=seeded.consultation).figures
    assert figures is not None
    sentiment = {row.label: row.count for row in figures.sentiment}
    assert sentiment["Not analysed"] == len(WELSH_REPLIES)
    page = client.get(f"/consultations/{seeded.consultation.slug}/summary/").content.decode()
    assert "Not analysed" in page


@pytest.mark.django_db
def test_a_reply_whose_language_is_corrected_is_scored_again_at_the_next_run(seeded):
    text = WELSH_REPLIES[0]
    reply = ResponseFactory(
        consultation=seeded.consultation,
        text=text,
        published_text=text,
        # As a network's default tag would have recorded it before the words were weighed.
        language="en",
        moderation_state=ModerationState.APPROVED,
    )
    analysis_run(consultation=seeded.consultation, seed=0)
    assert ResponseAnalysis.objects.get(response=reply).sentiment_label != "not_analysed"

    type(reply).objects.filter(pk=reply.pk).update(language="cy")
    run = analysis_run(consultation=seeded.consultation, seed=0)

    assert run.responses_embedded == 1
    analysis = ResponseAnalysis.objects.get(response=reply)
    assert (analysis.sentiment_label, analysis.language) == ("not_analysed", "cy")
