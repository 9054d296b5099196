"""Channel accounts on the sandbox networks, and the consultation pages they post for."""

from __future__ import annotations

import itertools
from datetime import timedelta

import factory
from django.utils import timezone

from connectors.models import ChannelAccount, ConsultationChannel
from consultations.models import ConsultationIndexPage, ConsultationPage, Department

_sequence = itertools.count(1)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Department of Connector Test {n}")
    slug = factory.Sequence(lambda n: f"connector-test-{n}")


class ChannelAccountFactory(factory.django.DjangoModelFactory):
    """A channel; pass ``credentials={...}`` (stored encrypted) and a sandbox ``base_url``."""

    class Meta:
        model = ChannelAccount

    department = factory.SubFactory(DepartmentFactory)
    network = "mastodon"
    handle = factory.Sequence(lambda n: f"channel{n}")
    base_url = "http://127.0.0.1:9"

    @classmethod
    def _create(cls, model_class, *args, credentials=None, **kwargs):
        channel = model_class(*args, **kwargs)
        channel.set_credentials(credentials or {})
        channel.save()
        return channel


def consultation_index(home_page) -> ConsultationIndexPage:
    index = ConsultationIndexPage.objects.first()
    if index is None:
        index = home_page.add_child(
            instance=ConsultationIndexPage(title="Consultations", slug="consultations")
        )
    return index


# A summary long enough that an announcement is a thread of several parts on every network.
LONG_SUMMARY = " ".join(
    [
        "We propose clean air zones in ten market towns, where the most polluting vans,",
        "buses and lorries would pay a daily charge to drive through the centre.",
        "Cars would not be charged. Money raised would pay for cleaner buses,",
        "cycle lanes and help for small businesses to replace their oldest vans.",
        "Air quality monitors show nitrogen dioxide above the legal limit on the",
        "high streets of all ten towns, close to schools and the two hospitals.",
        "Tell us how the zones would affect your journeys, your work and your health;",
        "whether the boundaries are right; which exemptions we should make for",
        "blue badge holders, community transport and people on low incomes;",
        "and how long businesses need before the charge begins. We will read every",
        "response, publish what we heard and explain what we decided and why.",
        "Drop-in sessions are held in each town's library during the consultation.",
        "The zones would start no sooner than eighteen months after a decision, with",
        "signs at every entry point and a month of warnings before the first charge.",
        "Vehicles that meet Euro 6 for diesel or Euro 4 for petrol would not pay.",
        "We also want to hear from people who live just outside the boundaries, who",
        "worry that traffic will move onto their streets, and from carers, taxi drivers",
        "and market traders, who told us at the first meetings that they need more time.",
        "Paper copies of the consultation and an easy read version are available at",
        "every town hall, and you can ask for it in large print, Braille or Welsh.",
    ]
)


def consultation_page(home_page, department, *, channels=(), publish=False, **fields):
    """A ConsultationPage under the index, linked to ``channels``; saved as a draft unless ``publish``."""
    now = timezone.now()
    number = next(_sequence)
    values = {
        "title": f"Clean air zones in market towns {number}",
        "slug": f"clean-air-zones-{number}",
        "summary": "We propose clean air zones in ten market towns. Tell us how they would affect you.",
        "department": department,
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=28),
        "hashtag": f"CleanAirZones{number}",
        "live": False,
    }
    values.update(fields)
    page = consultation_index(home_page).add_child(instance=ConsultationPage(**values))
    for channel in channels:
        ConsultationChannel.objects.create(page=page, channel=channel)
    if publish:
        page.save_revision().publish()
    return page
