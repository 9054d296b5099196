"""A consultation whose record holds one response in every state, each with its own marker.

Only the approved response's published words may reach a public route; every
other marker (and the original, unredacted text of the approved one) must not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from consultations.models import ConsultationPage
from engagement.record.models import Channel, ModerationReason, ModerationState, Response
from tests.factories.consultations import ConsultationPageFactory, consultation_with_questions
from tests.factories.record import AnswerFactory, RespondentFactory, ResponseFactory

APPROVED_PUBLISHED = "Cycle lanes please zebracrossingapproved"
APPROVED_ANSWER_PUBLISHED = "It would help me get to work [email removed] quokkaanswerpublished"
# Every word here must never be served publicly.
FORBIDDEN = {
    "original": "unredactedoriginal",
    "original_email": "alice.private@example.com",
    "answer_original": "answeroriginalmarker",
    "pending": "pendingmarkerword",
    "hidden": "hiddenmarkerword",
    "withdrawn": "withdrawnmarkerword",
    "draft": "draftconsultationmarker",
}


@dataclass
class Record:
    consultation: ConsultationPage
    draft: ConsultationPage
    approved: Response
    question_id: int


def _response(consultation, *, state, marker, **fields) -> Response:
    return ResponseFactory(
        consultation=consultation,
        text=f"Original words {marker}",
        # A moderator's redaction could leave the marker in published_text too: the state
        # alone must keep it out.
        published_text=f"Published words {marker}",
        moderation_state=state,
        **fields,
    )


@pytest.fixture
def record(db, home_page) -> Record:
    consultation = consultation_with_questions(title="Quieter streets open data")
    free_text = consultation.questions.get(kind="free_text")
    respondent = RespondentFactory(channel=Channel.WEB)
    approved = ResponseFactory(
        consultation=consultation,
        channel=Channel.WEB,
        external_id=None,
        respondent=respondent,
        respondent_name="Ada Citizen",
        publish_name=True,
        published_name="Ada Citizen",
        text=f"Cycle lanes please {FORBIDDEN['original']} {FORBIDDEN['original_email']}",
        published_text=APPROVED_PUBLISHED,
        moderation_state=ModerationState.APPROVED,
        received_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        language="en",
    )
    AnswerFactory(
        response=approved,
        question=free_text,
        question_text=free_text.text,
        text=f"It would help me get to work {FORBIDDEN['answer_original']}",
        published_text=APPROVED_ANSWER_PUBLISHED,
    )
    _response(consultation, state=ModerationState.PENDING, marker=FORBIDDEN["pending"])
    _response(
        consultation,
        state=ModerationState.HIDDEN,
        marker=FORBIDDEN["hidden"],
        moderation_reason=ModerationReason.ABUSIVE,
    )
    _response(
        consultation,
        state=ModerationState.WITHDRAWN,
        marker=FORBIDDEN["withdrawn"],
        withdrawn_at=timezone.now() - timedelta(hours=1),
        withdrawn_reason="deleted_at_source",
    )
    # Approved, but on a consultation page that is not published.
    draft = ConsultationPageFactory(title="Draft consultation", live=False)
    _response(draft, state=ModerationState.APPROVED, marker=FORBIDDEN["draft"])
    return Record(
        consultation=consultation, draft=draft, approved=approved, question_id=free_text.pk
    )


def assert_only_public_words(body: str) -> None:
    for name, marker in FORBIDDEN.items():
        assert marker not in body, f"the {name} marker {marker!r} was served"
    assert APPROVED_PUBLISHED in body
