"""Responses as the public record shows them: approved, with published (redacted) words."""

from __future__ import annotations

import factory

from engagement.record.models import ModerationState
from tests.factories.record import AnswerFactory, ResponseFactory


class PublicResponseFactory(ResponseFactory):
    moderation_state = ModerationState.APPROVED
    text = factory.LazyAttribute(lambda response: f"ORIGINAL {response.published_text}")
    published_text = "I support safer streets."
    url = factory.LazyAttribute(
        lambda response: f"https://social.example/@someone/{response.external_id}"
    )


class PublicAnswerFactory(AnswerFactory):
    text = factory.LazyAttribute(lambda answer: f"ORIGINAL {answer.published_text}")
    published_text = "Good idea."
