"""The public record under /cy/ words each answer as the Welsh page asked it: the Welsh
question, the Welsh option at the recorded option's position, the agreement scale from the
catalogue. The record itself keeps the consultation's own (English) words."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from consultations.models import QuestionKind
from engagement.record.models import ModerationState, Response
from engagement.record.services import web_response_record
from search.services import search_index_drain, search_index_enqueue
from tests.factories.consultations import welsh_translation

RESPONSES = "/consultations/quieter-streets/responses/"
SUMMARY = "/consultations/quieter-streets/summary/"


@pytest.fixture
def answered(open_consultation, settings):
    # The database backend, drained here (as tests/search/conftest.py's database_search).
    settings.WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "modelsearch.backends.database"}}
    settings.HUB_SEARCH_DRAIN_ON_COMMIT = False
    cache.clear()
    welsh_translation(open_consultation)
    questions = {q.kind: q for q in open_consultation.questions.all()}
    response = web_response_record(
        consultation=open_consultation,
        answers={
            questions[QuestionKind.SINGLE_CHOICE].pk: "Bicycle",
            questions[QuestionKind.MULTIPLE_CHOICE].pk: ["More buses", "Park and ride"],
            questions[QuestionKind.AGREEMENT_SCALE].pk: "Strongly agree",
        },
        consent_to_publish=True,
    )
    Response.objects.filter(pk=response.pk).update(moderation_state=ModerationState.APPROVED)
    search_index_enqueue(model=Response, pks=[response.pk])
    assert not search_index_drain().failed
    return response


def _answers_list(text: str) -> str:
    start = text.index('<dl class="govuk-summary-list govuk-summary-list--no-border">')
    return text[start : text.index("</dl>", start)]


@pytest.mark.parametrize("path", [RESPONSES, "permalink"])
def test_welsh_record_shows_the_welsh_questions_and_options(client, answered, path):
    if path == "permalink":
        path = f"{RESPONSES}{answered.reference}/"

    welsh = _answers_list(client.get("/cy" + path).content.decode())
    english = _answers_list(client.get(path).content.decode())

    for words in ("Sut rydych chi’n teithio?", "Beic", "Beth fyddai’n helpu?"):
        assert words in welsh
    assert "Rhagor o fysiau, Parcio a theithio" in welsh
    assert "Ydych chi’n cytuno â’r cynnig?" in welsh and "Cytuno’n gryf" in welsh
    for words in ("How do you travel?", "Bicycle", "More buses", "Strongly agree"):
        assert words not in welsh
        assert words in english


def test_welsh_responses_filter_names_the_welsh_questions(client, answered):
    page = client.get("/cy" + RESPONSES).content.decode()
    facet = page[page.index('id="filter-question"') :]
    facet = facet[: facet.index("</fieldset>")]

    assert "Sut rydych chi’n teithio?" in facet
    assert "How do you travel?" not in facet


def test_welsh_summary_charts_use_the_welsh_questions_and_options(client, answered):
    welsh = client.get("/cy" + SUMMARY).content.decode()
    english = client.get(SUMMARY).content.decode()

    assert "Sut rydych chi’n teithio?" in welsh and "How do you travel?" not in welsh
    assert "Beic: 1 ymateb" in welsh and "Bicycle" not in welsh
    assert "Cytuno’n gryf" in welsh and "Strongly agree" not in welsh
    assert "How do you travel?" in english and "Bicycle" in english
