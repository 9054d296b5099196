from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from consultations.models import ConsultationStatus
from consultations.selectors import consultations_public
from tests.factories.consultations import ConsultationPageFactory, DepartmentFactory

OPENS = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
CLOSES = datetime(2027, 4, 1, 23, 59, tzinfo=UTC)


@pytest.fixture
def consultation(index):
    return ConsultationPageFactory(
        title="Quieter streets", opens_at=OPENS, closes_at=CLOSES, hashtag="QuieterStreets"
    )


@pytest.mark.parametrize(
    ("moment", "status"),
    [
        (OPENS - timedelta(seconds=1), ConsultationStatus.UPCOMING),
        (OPENS, ConsultationStatus.OPEN),
        (CLOSES - timedelta(seconds=1), ConsultationStatus.OPEN),
        (CLOSES, ConsultationStatus.CLOSED),
    ],
)
def test_status_follows_the_dates_and_the_listing_filter_agrees(consultation, moment, status):
    with time_machine.travel(moment, tick=False):
        assert consultation.status == status
        assert list(consultations_public(status=status)) == [consultation]
        others = [s for s in ConsultationStatus.values if s != status]
        assert all(not consultations_public(status=other).exists() for other in others)


def test_outcome_published_status_once_the_outcome_date_passes(consultation):
    consultation.outcome = [("callout", {"style": "inset", "text": "We will cut speed limits."})]
    consultation.outcome_published_at = CLOSES + timedelta(days=30)
    consultation.save_revision().publish()

    with time_machine.travel(CLOSES + timedelta(days=29), tick=False):
        assert consultation.status == ConsultationStatus.CLOSED
        assert consultations_public(status="closed").count() == 1
    with time_machine.travel(CLOSES + timedelta(days=30), tick=False):
        assert consultation.status == ConsultationStatus.OUTCOME_PUBLISHED
        assert consultations_public(status="outcome").count() == 1


def test_outcome_is_shown_on_the_page_only_once_published(client, consultation):
    consultation.outcome = [("callout", {"style": "inset", "text": "We will cut speed limits."})]
    consultation.outcome_published_at = CLOSES + timedelta(days=30)
    consultation.save_revision().publish()

    with time_machine.travel(CLOSES + timedelta(days=1), tick=False):
        before = client.get(consultation.url)
    with time_machine.travel(CLOSES + timedelta(days=31), tick=False):
        after = client.get(consultation.url)

    assert "We will cut speed limits." not in before.text
    assert "We will cut speed limits." in after.text
    assert "Outcome published" in after.text


@pytest.mark.parametrize("hashtag", ["1stPlan", "clean-air", "clean air", "café", "a!"])
def test_hashtag_must_be_letters_digits_underscores_not_starting_with_a_digit(
    consultation, hashtag
):
    consultation.hashtag = hashtag

    with pytest.raises(ValidationError) as error:
        consultation.full_clean()

    assert "hashtag" in error.value.message_dict
    assert "letters, digits and underscores" in error.value.message_dict["hashtag"][0]


def test_hashtag_with_leading_hash_is_accepted_without_it(consultation):
    consultation.hashtag = "#Clean_Air2"
    consultation.full_clean()
    assert consultation.hashtag == "Clean_Air2"


def test_hashtag_in_use_by_an_overlapping_open_consultation_is_refused(consultation):
    with time_machine.travel(OPENS - timedelta(days=5), tick=False):
        other = ConsultationPageFactory(
            title="Another",
            opens_at=OPENS + timedelta(days=10),
            closes_at=CLOSES + timedelta(days=10),
            department=DepartmentFactory(),
        )
        other.hashtag = "quieterstreets"
        with pytest.raises(ValidationError) as error:
            other.full_clean()

    assert "already used by “Quieter streets”" in error.value.message_dict["hashtag"][0]


def test_hashtag_of_a_closed_consultation_can_be_reused(consultation):
    with time_machine.travel(CLOSES + timedelta(days=1), tick=False):
        later = ConsultationPageFactory(
            title="Quieter streets again",
            opens_at=CLOSES + timedelta(days=2),
            closes_at=CLOSES + timedelta(days=40),
            hashtag="QuieterStreets",
        )
        later.full_clean()


def test_closing_date_must_follow_opening_date(consultation):
    consultation.closes_at = consultation.opens_at

    with pytest.raises(ValidationError) as error:
        consultation.full_clean()

    assert "closes_at" in error.value.message_dict
