"""Planted consultations: one public, and one for each way a consultation is not public."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import PageViewRestriction

from consultations.models import ConsultationPage, QuestionKind
from engagement.record.models import Channel
from tests.browser.conftest import (  # noqa: F401 - fixtures: a real Chromium, axe, CSP
    axe_violations,
    browser,
    chromium,
    csp_violations,
)
from tests.connectors.conftest import sandboxes  # noqa: F401 - the sandbox networks, a fixture
from tests.factories.analysis import ThemeFactory, ThemeMembershipFactory
from tests.factories.consultations import ConsultationPageFactory, QuestionFactory
from tests.factories.search import PublicAnswerFactory, PublicResponseFactory

# A word every planted response shares, so one search would find them all.
SHARED_WORD = "lanterns"


@dataclass
class Planted:
    page: ConsultationPage
    marker: str
    references: list[str]


def _plant(kind: str) -> Planted:
    marker = f"zq{kind}marker"
    page = ConsultationPageFactory(
        title=f"Street lanterns {marker}",
        slug=f"street-lanterns-{kind}",
        summary=f"Should we light the lanes? {marker}summary",
    )
    question = QuestionFactory(
        page=page,
        text=f"What would help? {marker}question",
        kind=QuestionKind.SINGLE_CHOICE,
        options=f"Brighter {marker}choice\nDimmer",
    )
    references = []
    for number, channel in enumerate((Channel.MASTODON, Channel.WEB)):
        response = PublicResponseFactory(
            consultation=page,
            channel=channel,
            external_id=None if channel == Channel.WEB else f"{kind}-{number}",
            published_text=f"More {SHARED_WORD} please {marker}text{number}",
            respondent__channel=channel,
        )
        PublicAnswerFactory(
            response=response,
            question=question,
            question_text=question.text,
            published_text=f"{SHARED_WORD} by the river {marker}answer",
            choices=[f"Brighter {marker}choice"],
        )
        theme = ThemeFactory(consultation=page, label=f"{marker}theme")
        ThemeMembershipFactory(theme=theme, response=response)
        references.append(response.reference)
    return Planted(page=page, marker=marker, references=references)


@pytest.fixture
def planted(home_page):
    """One public consultation and four that are not: password, group, unpublished,
    expired. Each was public (and indexed) first, as in life: the index may lag."""
    made = {kind: _plant(kind) for kind in ("public", "password", "group", "draft", "expired")}
    call_command("update_index", stdout=open(os.devnull, "w"))  # noqa: SIM115
    PageViewRestriction.objects.create(
        page=made["password"].page,
        restriction_type=PageViewRestriction.PASSWORD,
        password="lanterns-for-insiders",  # noqa: S106 - a test page's view password
    )
    restriction = PageViewRestriction.objects.create(
        page=made["group"].page, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.get_or_create(name="Lantern insiders")[0])
    made["draft"].page.unpublish()
    # Past its expiry, before Wagtail's publish_scheduled has unpublished it.
    ConsultationPage.objects.filter(pk=made["expired"].page.pk).update(
        expire_at=timezone.now() - timedelta(minutes=1)
    )
    return made
