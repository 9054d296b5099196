"""Departments, officers, consultation pages and their questions."""

from __future__ import annotations

import itertools
from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from cms.management.commands.seed_demo import ensure_home_page
from consultations.models import (
    ConsultationIndexPage,
    ConsultationPage,
    Department,
    DepartmentMembership,
    Question,
    QuestionKind,
    Topic,
)

_numbers = itertools.count(1)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Department for Testing {n}")
    slug = factory.Sequence(lambda n: f"testing-{n}")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"officer{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.gov.uk")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class DepartmentMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DepartmentMembership

    user = factory.SubFactory(UserFactory)
    department = factory.SubFactory(DepartmentFactory)


def consultation_index() -> ConsultationIndexPage:
    """The one /consultations/ index, under the site's home page."""
    index = ConsultationIndexPage.objects.first()
    if index is None:
        index = ensure_home_page().add_child(
            instance=ConsultationIndexPage(title="Consultations", slug="consultations")
        )
    return index


class ConsultationPageFactory(factory.Factory):
    """A consultation page under the index; live (published) unless ``live=False``."""

    class Meta:
        model = ConsultationPage

    title = factory.LazyFunction(lambda: f"Quieter streets {next(_numbers)}")
    slug = factory.LazyAttribute(lambda page: page.title.lower().replace(" ", "-"))
    summary = "Should residential streets have a 20mph limit?"
    department = factory.SubFactory(DepartmentFactory)
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=28))
    hashtag = ""
    live = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        live = kwargs.pop("live")
        page = model_class(*args, live=False, **kwargs)
        consultation_index().add_child(instance=page)
        if live:
            page.save_revision().publish()
            page.refresh_from_db()
        return page


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    page = factory.SubFactory(ConsultationPageFactory)
    text = factory.Sequence(lambda n: f"What do you think about proposal {n}?")
    kind = QuestionKind.FREE_TEXT
    options = ""
    sort_order = factory.Sequence(lambda n: n)


def consultation_with_questions(**fields) -> ConsultationPage:
    """An open consultation with one question of each kind."""
    page = ConsultationPageFactory(**fields)
    QuestionFactory(page=page, text="How would this affect you?", kind=QuestionKind.FREE_TEXT)
    QuestionFactory(
        page=page,
        text="How do you travel?",
        kind=QuestionKind.SINGLE_CHOICE,
        options="Car\nBus\nBicycle",
    )
    QuestionFactory(
        page=page,
        text="What would help?",
        kind=QuestionKind.MULTIPLE_CHOICE,
        options="More buses\nCycle lanes\nPark and ride",
    )
    QuestionFactory(
        page=page, text="Do you agree with the proposal?", kind=QuestionKind.AGREEMENT_SCALE
    )
    return page


WELSH_QUESTIONS = {
    "How would this affect you?": ("Sut byddai hyn yn effeithio arnoch chi?", ""),
    "How do you travel?": ("Sut rydych chi’n teithio?", "Car\nBws\nBeic"),
    "What would help?": (
        "Beth fyddai’n helpu?",
        "Rhagor o fysiau\nLonydd beicio\nParcio a theithio",
    ),
    "Do you agree with the proposal?": ("Ydych chi’n cytuno â’r cynnig?", ""),
}


def welsh_translation(page: ConsultationPage, **fields) -> ConsultationPage:
    """The consultation's Welsh page, written and published (with the Welsh home page and
    index it needs), the way a translator would after "Translate" in the admin."""
    from wagtail.models import Page

    from consultations.translations import page_translation_create

    page.save_revision().publish()  # its questions, added after publishing, in the revision
    welsh = page_translation_create(page=page, language_code="cy")
    for ancestor in Page.objects.ancestor_of(welsh).filter(depth__gt=1, live=False):
        ancestor.specific.save_revision().publish()
    for question in Question.objects.filter(page=welsh):
        text, options = WELSH_QUESTIONS.get(question.text, (question.text, question.options))
        question.text = text
        question.options = options or question.options
        question.save()
    welsh = ConsultationPage.objects.get(pk=welsh.pk)  # with the questions just written
    welsh.title = fields.pop("title", "Strydoedd tawelach")
    welsh.summary = fields.pop("summary", "A ddylai strydoedd preswyl gael terfyn o 20mya?")
    for name, value in fields.items():
        setattr(welsh, name, value)
    welsh.save_revision().publish()
    welsh.refresh_from_db()
    return welsh
