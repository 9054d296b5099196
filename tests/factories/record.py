"""Respondents, responses and answers in the record."""

from __future__ import annotations

import factory
from django.utils import timezone

from engagement.record.models import Answer, Respondent, Response
from tests.factories.consultations import ConsultationPageFactory


class RespondentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Respondent

    channel = "mastodon"
    external_id = factory.Sequence(lambda n: f"user-{n}")
    handle = factory.Sequence(lambda n: f"@person{n}@social.example")
    pseudonym = factory.Sequence(lambda n: 100_000 + n)


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    consultation = factory.SubFactory(ConsultationPageFactory)
    channel = "mastodon"
    external_id = factory.Sequence(lambda n: f"post-{n}")
    respondent = factory.SubFactory(RespondentFactory, channel=factory.SelfAttribute("..channel"))
    text = "I support this."
    received_at = factory.LazyFunction(timezone.now)
    reference = factory.Sequence(lambda n: f"HUB-TEST-{n:04d}")


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    response = factory.SubFactory(ResponseFactory)
    question = None
    question_text = "What do you think?"
    text = "Good idea."
