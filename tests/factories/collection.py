"""Collection states and quarantined payloads (connectors' side of collecting replies)."""

from __future__ import annotations

import factory

from connectors.models import CollectionState, QuarantinedPayload
from tests.factories.connectors import ChannelAccountFactory


class CollectionStateFactory(factory.django.DjangoModelFactory):
    """Pass ``consultation=`` (a ConsultationPage): pages need a tree to live in."""

    class Meta:
        model = CollectionState

    channel = factory.SubFactory(ChannelAccountFactory)


class QuarantinedPayloadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuarantinedPayload

    channel = factory.SubFactory(ChannelAccountFactory)
    network = factory.SelfAttribute("channel.network")
    route = "mentions"
    payload = factory.LazyFunction(lambda: {"id": "1", "text": None})
    error = "text: Field required"
    fingerprint = factory.Sequence(lambda n: f"{n:064x}")
