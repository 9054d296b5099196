import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engagement.record.models import (
    Answer,
    Channel,
    ModerationState,
    Respondent,
    Response,
    public_pseudonym,
)
from engagement.record.services import (
    AnswerInput,
    RecordError,
    RespondentInput,
    ResponseInput,
    response_record,
    responses_record_batch,
)
from tests.factories.consultations import QuestionFactory, consultation_with_questions
from tests.factories.record import ResponseFactory

RECEIVED = datetime(2027, 3, 2, 10, 30, tzinfo=UTC)


@pytest.fixture
def consultation(db, home_page):
    return consultation_with_questions(title="Quieter streets")


def _reply(number: int, **fields) -> ResponseInput:
    values = {
        "channel": "mastodon",
        "text": f"Reply number {number}",
        "received_at": RECEIVED + timedelta(seconds=number),
        "respondent": RespondentInput(
            external_id=f"user-{number % 50}", handle=f"@person{number % 50}@social.example"
        ),
        "external_id": f"status-{number}",
        "url": f"https://social.example/@person/{number}",
        "raw_payload": {"id": f"status-{number}"},
    }
    values.update(fields)
    return ResponseInput(**values)


def test_web_response_is_recorded_with_answers_reference_and_pending_state(consultation):
    free_text = consultation.questions.get(kind="free_text")
    choice = consultation.questions.get(kind="single_choice")

    response = response_record(
        consultation=consultation,
        channel=Channel.WEB,
        text="All of it",
        received_at=RECEIVED,
        respondent=RespondentInput(name="Ada", email="ada@example.org"),
        answers=(
            AnswerInput(question_id=free_text.pk, text="Safer streets"),
            AnswerInput(question_id=choice.pk, choices=("Bus",)),
        ),
        consent_to_publish=True,
    )

    response.refresh_from_db()
    assert re.fullmatch(r"HUB-[2-9A-Z]{4}-[2-9A-Z]{4}", response.reference)
    assert response.moderation_state == ModerationState.PENDING
    assert response.channel == Channel.WEB
    assert response.external_id is None
    assert response.created_at is not None
    assert {a.question_id: (a.text, a.choices) for a in response.answers.all()} == {
        free_text.pk: ("Safer streets", []),
        choice.pk: ("", ["Bus"]),
    }
    assert response.answers.get(question=free_text).question_text == free_text.text


def test_web_respondent_id_is_a_keyed_hash_never_the_email(consultation):
    first = response_record(
        consultation=consultation,
        channel=Channel.WEB,
        text="One",
        received_at=RECEIVED,
        respondent=RespondentInput(email="Ada@Example.org"),
    )
    second = response_record(
        consultation=consultation,
        channel=Channel.WEB,
        text="Two",
        received_at=RECEIVED,
        respondent=RespondentInput(email="ada@example.org"),
    )
    anonymous = response_record(
        consultation=consultation,
        channel=Channel.WEB,
        text="Three",
        received_at=RECEIVED,
        respondent=RespondentInput(),
    )

    assert first.respondent_id == second.respondent_id
    assert "ada" not in first.respondent.external_id.lower()
    assert anonymous.respondent_id != first.respondent_id
    assert Respondent.objects.count() == 2


def test_public_name_is_a_pseudonym_unless_the_respondent_consented(consultation):
    response = response_record(
        consultation=consultation,
        channel=Channel.WEB,
        text="Hi",
        received_at=RECEIVED,
        respondent=RespondentInput(name="Ada Lovelace"),
    )

    assert response.respondent_name == "Ada Lovelace"
    assert response.public_name == "Respondent " + public_pseudonym(
        respondent_id=response.respondent_id, consultation_id=consultation.pk
    )
    assert "Ada" not in response.public_name


def test_platform_post_recorded_twice_is_one_response(consultation):
    kwargs = {
        "consultation": consultation,
        "channel": "bluesky",
        "text": "Yes please",
        "received_at": RECEIVED,
        "respondent": RespondentInput(external_id="did:plc:abc", handle="ada.bsky.social"),
        "external_id": "at://did:plc:abc/app.bsky.feed.post/1",
    }

    first = response_record(**kwargs)
    second = response_record(**{**kwargs, "text": "edited"})

    assert first.pk == second.pk
    assert Response.objects.get().text == "Yes please"


def test_answer_to_a_question_of_another_consultation_is_refused_and_nothing_written(
    consultation,
):
    stranger = QuestionFactory(text="Elsewhere")

    with pytest.raises(RecordError, match="does not belong"):
        response_record(
            consultation=consultation,
            channel=Channel.WEB,
            text="x",
            received_at=RECEIVED,
            respondent=RespondentInput(),
            answers=(AnswerInput(question_id=stranger.pk, text="x"),),
        )

    assert not Response.objects.exists()
    assert not Respondent.objects.exists()


def test_choice_outside_the_options_is_refused(consultation):
    choice = consultation.questions.get(kind="single_choice")

    with pytest.raises(RecordError, match="not options"):
        response_record(
            consultation=consultation,
            channel=Channel.WEB,
            text="x",
            received_at=RECEIVED,
            respondent=RespondentInput(),
            answers=(AnswerInput(question_id=choice.pk, choices=("Rocket",)),),
        )
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"channel": "myspace"}, "Unknown channel"),
        ({"received_at": datetime(2027, 3, 2, 10, 30)}, "timezone-aware"),  # noqa: DTZ001
        ({"respondent": RespondentInput(handle="@nobody")}, "needs an external_id"),
    ],
)
def test_bad_input_gets_a_clear_error(consultation, fields, message):
    with pytest.raises(RecordError, match=message):
        responses_record_batch(consultation=consultation, items=[_reply(1, **fields)])
    assert not Response.objects.exists()


def test_batch_records_thousands_in_a_few_queries(consultation):
    items = [_reply(number) for number in range(2000)]

    with CaptureQueriesContext(connection) as queries:
        result = responses_record_batch(consultation=consultation, items=items)

    assert result.created == 2000
    assert result.already_recorded == 0
    assert Response.objects.filter(consultation=consultation).count() == 2000
    assert Respondent.objects.count() == 50
    # A fixed number of reads (one of them the cached pages' consultations, cms.caching),
    # two updates (the stored public summaries: those that may lose words are dropped, those
    # that only gain are marked out of date), and inserts of many rows each (SQLite caps a
    # statement's parameters, PostgreSQL takes 1,000 rows a statement).
    statements = [query["sql"] for query in queries.captured_queries]
    inserts = [sql for sql in statements if sql.startswith("INSERT")]
    assert len(statements) - len(inserts) <= 15
    assert len(inserts) <= 2050 / 50
    assert Response.objects.values("reference").distinct().count() == 2000


def test_batch_is_idempotent_and_counts_what_was_new(consultation):
    responses_record_batch(consultation=consultation, items=[_reply(n) for n in range(10)])

    again = responses_record_batch(
        consultation=consultation, items=[_reply(n) for n in range(5, 15)] + [_reply(14)]
    )

    assert again.created == 5
    assert again.already_recorded == 6
    assert Response.objects.count() == 15


def test_batch_leaves_existing_records_untouched(consultation):
    existing = ResponseFactory(
        consultation=consultation,
        channel="mastodon",
        external_id="status-3",
        text="Original words",
        moderation_state=ModerationState.APPROVED,
    )

    result = responses_record_batch(consultation=consultation, items=[_reply(3, text="Changed")])

    existing.refresh_from_db()
    assert result.created == 0
    assert existing.text == "Original words"
    assert existing.moderation_state == ModerationState.APPROVED


def test_batch_records_answers_and_items_without_external_ids(consultation):
    free_text = consultation.questions.get(kind="free_text")
    letters = [
        ResponseInput(
            channel=Channel.LETTER,
            text=f"Letter {n}",
            received_at=RECEIVED,
            respondent=RespondentInput(external_id=f"letter-writer-{n}", name="A. Writer"),
            answers=(AnswerInput(question_id=free_text.pk, text=f"Letter {n}"),),
        )
        for n in range(3)
    ]

    first = responses_record_batch(consultation=consultation, items=letters)

    assert first.created == 3
    assert Answer.objects.filter(question=free_text).count() == 3
    assert set(Response.objects.values_list("external_id", flat=True)) == {None}


def test_same_external_id_on_different_channels_are_different_responses(consultation):
    result = responses_record_batch(
        consultation=consultation,
        items=[
            _reply(1),
            _reply(1, channel="x", respondent=RespondentInput(external_id="9")),
        ],
    )

    assert result.created == 2
