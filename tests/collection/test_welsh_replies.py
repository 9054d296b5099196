"""A Welsh reply collected from a network lands in the record tagged Welsh.

The sandboxes tag every reply as their clients do by default ("en": X's ``lang``,
Mastodon's ``language``, Bluesky's ``langs``); the record weighs the tag against the words.
"""

from __future__ import annotations

from connectors.collection import replies_collect
from engagement.record.models import Response

WELSH = "Mae angen mwy o fysiau yng Nghaerdydd cyn codi tâl ar neb #AerGlân"
ENGLISH = "We need more buses in Cardiff before anyone is charged #CleanAirZones"


def test_a_welsh_reply_from_a_network_is_recorded_as_welsh(announced):
    welsh = announced.reply(announced.root_id, "gwenllian", WELSH)
    english = announced.reply(announced.root_id, "samuel", ENGLISH)
    announced.settle()

    outcome = replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)

    assert outcome.complete
    recorded = dict(
        Response.objects.filter(
            consultation=announced.page, channel=announced.channel.network
        ).values_list("external_id", "language")
    )
    assert recorded[welsh] == "cy"
    assert recorded[english] == "en"
