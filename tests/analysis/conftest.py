"""A small seeded corpus in the record: synthetic replies, answers, and moderation states."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone

from consultations.models import AGREEMENT_SCALE, ConsultationPage
from engagement.analysis.engine.synthetic import synthetic_corpus
from engagement.record.models import Channel, ModerationState, Response
from tests.factories.consultations import consultation_with_questions
from tests.factories.record import AnswerFactory, ResponseFactory

# Kept small: every response is embedded (~30 ms each) on a test's first run.
PER_TOPIC = 14
CAMPAIGN_SIZE = 16
CHANNELS = (Channel.WEB, "mastodon", "x", "bluesky")
HIDDEN_MARKER = "zorblatt"


@dataclass
class SeededCorpus:
    consultation: ConsultationPage
    responses: list[Response]
    campaign_ids: set[int]
    hidden_ids: set[int]
    # What was recorded, per question text: the choices of each response, for exact tallies.
    choices: dict[str, dict[int, list[str]]] = field(default_factory=dict)


def seed_corpus(*, seed: int = 3, per_topic: int = PER_TOPIC, hide_every: int = 9) -> SeededCorpus:
    corpus = synthetic_corpus(seed=seed, per_topic=per_topic, campaign_size=CAMPAIGN_SIZE)
    consultation = consultation_with_questions(title=f"Clean air {seed}")
    questions = {question.kind: question for question in consultation.questions.all()}
    rng = random.Random(seed)  # noqa: S311 (made-up answers)
    start = timezone.now() - timedelta(days=6)
    seeded = SeededCorpus(
        consultation=consultation, responses=[], campaign_ids=set(), hidden_ids=set()
    )
    for question in questions.values():
        seeded.choices[question.text] = {}
    for position, text in enumerate(corpus.texts):
        hidden = position % hide_every == 4
        response = ResponseFactory(
            consultation=consultation,
            channel=CHANNELS[position % len(CHANNELS)],
            text=f"{text} {HIDDEN_MARKER}" if hidden else text,
            published_text="" if hidden else text,
            moderation_state=ModerationState.HIDDEN if hidden else ModerationState.APPROVED,
            received_at=start + timedelta(hours=position % 120),
        )
        seeded.responses.append(response)
        if hidden:
            seeded.hidden_ids.add(response.pk)
        if position in corpus.campaign_indices:
            seeded.campaign_ids.add(response.pk)
        picks = {
            "single_choice": [rng.choice(questions["single_choice"].choices)],
            "multiple_choice": rng.sample(questions["multiple_choice"].choices, rng.randint(0, 3)),
            "agreement_scale": [rng.choice(AGREEMENT_SCALE)] if rng.random() < 0.9 else [],
        }
        for kind, chosen in picks.items():
            question = questions[kind]
            AnswerFactory(
                response=response,
                question=question,
                question_text=question.text,
                text="",
                choices=chosen,
            )
            seeded.choices[question.text][response.pk] = chosen
    return seeded


@pytest.fixture
def seeded(home_page) -> SeededCorpus:
    return seed_corpus()
