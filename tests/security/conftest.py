"""Fixtures of the security tests.

Two departments, each with every role and one of each row a department owns: department
A ("transport") is the attacker's, department B ("health") the victim's. And planted
consultations: one public, and one for each way a consultation is not public.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import PageViewRestriction

from connectors.models import Delivery, DeliveryKind
from consultations.models import (
    ConsultationPage,
    DepartmentMembership,
    PrivacyNotice,
    QuestionKind,
)
from consultations.services import (
    ADMINISTRATOR,
    ANALYST,
    COMMS_APPROVER,
    COMMS_OFFICER,
    MODERATOR,
    department_member_add,
    roles_ensure,
)
from engagement.analysis.models import AnalysisRun
from engagement.record.models import Channel
from tests.browser.conftest import (  # noqa: F401 - fixtures: a real Chromium, axe, CSP
    axe_violations,
    browser,
    chromium,
    csp_violations,
)
from tests.connectors.conftest import sandboxes  # noqa: F401 - the sandbox networks, a fixture
from tests.factories.analysis import ThemeFactory, ThemeMembershipFactory
from tests.factories.collection import CollectionStateFactory, QuarantinedPayloadFactory
from tests.factories.connectors import ChannelAccountFactory
from tests.factories.consultations import (
    ConsultationPageFactory,
    DepartmentFactory,
    QuestionFactory,
    UserFactory,
    consultation_index,
)
from tests.factories.record import ResponseFactory
from tests.factories.search import PublicAnswerFactory, PublicResponseFactory

PASSWORD = "correct horse battery"
ROLE_GROUPS = {
    "comms_officer": (COMMS_OFFICER,),
    "comms_approver": (COMMS_APPROVER,),
    "moderator": (MODERATOR,),
    "analyst": (ANALYST,),
    "department_admin": (ADMINISTRATOR,),
}
# Channels have no role of their own yet; whoever runs a department's channels holds
# these model permissions (given directly, as a superuser would).
CHANNEL_PERMISSIONS = (
    "wagtailadmin.access_admin",
    "connectors.view_channelaccount",
    "connectors.change_channelaccount",
    "connectors.view_delivery",
    "connectors.view_collectionstate",
    "connectors.view_quarantinedpayload",
)
PHONE_NUMBER = "07700 900123"


@dataclass
class Side:
    """One department and one of each thing it owns."""

    department: object
    live: object = None
    draft: object = None
    response: object = None
    channel: object = None
    delivery: object = None
    collection_state: object = None
    quarantined: object = None
    theme: object = None
    analysis_run: object = None
    membership: object = None
    privacy_notice: object = None
    users: dict = field(default_factory=dict)


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _side(slug: str, name: str, title: str) -> Side:
    department = DepartmentFactory(slug=slug, name=name)
    side = Side(department=department)
    side.live = ConsultationPageFactory(
        title=f"{title} (live)", slug=f"{slug}-live", department=department
    )
    side.draft = ConsultationPageFactory(
        title=f"{title} secret draft", slug=f"{slug}-draft", department=department, live=False
    )
    side.response = ResponseFactory(
        consultation=side.live,
        text=f"Ring me on {PHONE_NUMBER} about {slug}",
        published_text=f"Ring me on [phone number removed] about {slug}",
    )
    side.channel = ChannelAccountFactory(
        department=department,
        handle=f"{slug}-channel",
        credentials={"access_token": f"{slug}-token"},
    )
    side.delivery = Delivery.objects.create(
        consultation=side.live,
        channel=side.channel,
        kind=DeliveryKind.ANNOUNCE,
        due_at=timezone.now() + timedelta(hours=1),
    )
    side.collection_state = CollectionStateFactory(consultation=side.live, channel=side.channel)
    side.quarantined = QuarantinedPayloadFactory(consultation=side.live, channel=side.channel)
    side.theme = ThemeFactory(consultation=side.live, label=f"{slug} theme")
    ThemeMembershipFactory(theme=side.theme, response=side.response)
    side.analysis_run = AnalysisRun.objects.create(consultation=side.live)
    side.privacy_notice = PrivacyNotice.objects.create(
        department=department, contact=f"<p>Write to dpo@{slug}.example.gov.uk</p>"
    )
    for role, groups in ROLE_GROUPS.items():
        user = UserFactory(username=f"{slug}-{role}")
        department_member_add(user=user, department=department, roles=groups)
        side.users[role] = user
    channel_manager = UserFactory(username=f"{slug}-channel-manager")
    department_member_add(user=channel_manager, department=department)
    channel_manager.user_permissions.add(*(_permission(name) for name in CHANNEL_PERMISSIONS))
    side.users["channel_manager"] = channel_manager
    side.membership = DepartmentMembership.objects.get(
        user=side.users["comms_officer"], department=department
    )
    return side


@dataclass
class World:
    own: Side
    other: Side
    superuser: object


@pytest.fixture
def world(db, home_page) -> World:
    roles_ensure(index_page=consultation_index())
    own = _side("transport", "Department for Transport", "Quieter streets")
    other = _side("health", "Department of Health", "Hospital plans")
    superuser = get_user_model().objects.create_superuser(
        username="root", email="root@example.gov.uk", password=PASSWORD
    )
    return World(own=own, other=other, superuser=superuser)


def fresh(user):
    """``user`` re-read, so cached departments and permissions are not reused."""
    return get_user_model().objects.get(pk=user.pk)


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
    for number, channel in enumerate(("mastodon", Channel.WEB)):
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
