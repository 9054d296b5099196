"""What the analysis writes: a response's sentiment, themes and their members."""

from __future__ import annotations

import factory

from engagement.analysis.models import ResponseAnalysis, Theme, ThemeMembership
from tests.factories.consultations import ConsultationPageFactory
from tests.factories.record import ResponseFactory


class ResponseAnalysisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResponseAnalysis

    response = factory.SubFactory(ResponseFactory)
    text_hash = factory.Sequence(lambda n: f"{n:064x}")
    sentiment_label = "neutral"
    sentiment_compound = factory.LazyAttribute(
        lambda analysis: {"positive": 0.6, "negative": -0.6}.get(analysis.sentiment_label, 0.0)
    )
    embedding = b""


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    consultation = factory.SubFactory(ConsultationPageFactory)
    label = factory.Sequence(lambda n: f"theme {n}")


class ThemeMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ThemeMembership

    theme = factory.SubFactory(ThemeFactory)
    response = factory.SubFactory(
        ResponseFactory, consultation=factory.SelfAttribute("..theme.consultation")
    )
