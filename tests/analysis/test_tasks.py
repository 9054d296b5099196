"""The analysis tasks: beat finds consultations with new or changed responses."""

from __future__ import annotations

import pytest

from engagement.analysis.models import AnalysisRun
from engagement.analysis.services import consultations_needing_analysis
from engagement.analysis.tasks import analyse_consultation

pytestmark = pytest.mark.django_db


def test_a_consultation_needs_analysis_until_analysed_and_again_after_an_edit(seeded):
    assert consultations_needing_analysis() == [seeded.consultation.pk]

    assert analyse_consultation(seeded.consultation.pk) == "succeeded"
    assert consultations_needing_analysis() == []

    edited = seeded.responses[2]
    edited.text = "Please keep the library open on Saturdays."
    edited.save()
    assert consultations_needing_analysis() == [seeded.consultation.pk]


def test_a_moderation_change_is_analysed_once_not_on_every_beat(seeded):
    analyse_consultation(seeded.consultation.pk)
    approved = seeded.responses[0]
    approved.moderation_state = "hidden"
    approved.save()
    assert consultations_needing_analysis() == [seeded.consultation.pk]

    analyse_consultation(seeded.consultation.pk)

    assert consultations_needing_analysis() == []


def test_responses_without_text_do_not_keep_a_consultation_due(seeded):
    from tests.factories.record import ResponseFactory

    ResponseFactory(consultation=seeded.consultation, text="", published_text="")

    analyse_consultation(seeded.consultation.pk)

    assert consultations_needing_analysis() == []


def test_analyse_consultation_task_skips_a_consultation_that_is_gone(db):
    assert analyse_consultation(987654) == "gone"
    assert not AnalysisRun.objects.exists()
