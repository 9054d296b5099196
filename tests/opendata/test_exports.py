import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.http import StreamingHttpResponse

from engagement.csv_cells import csv_cell_safe
from engagement.opendata import exports
from engagement.record.models import Channel, ModerationState
from tests.factories.consultations import consultation_with_questions
from tests.factories.record import AnswerFactory, RespondentFactory, ResponseFactory
from tests.opendata.conftest import (
    APPROVED_ANSWER_PUBLISHED,
    APPROVED_PUBLISHED,
    assert_only_public_words,
)


def _body(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode("utf-8")


def _csv_url(consultation) -> str:
    return f"/consultations/{consultation.slug}/responses.csv"


def _json_url(consultation) -> str:
    return f"/consultations/{consultation.slug}/responses.json"


def test_csv_export_serves_only_the_approved_published_words(client, record):
    response = client.get(_csv_url(record.consultation))

    assert response.status_code == 200
    body = _body(response)
    assert_only_public_words(body)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 1
    row = rows[0]
    assert row["reference"] == record.approved.reference
    assert row["consultation"] == record.consultation.slug
    assert row["channel"] == "web"
    assert row["received_at"] == "2026-03-02T09:30:00Z"
    assert row["respondent"] == "Ada Citizen"
    assert row["published_text"] == APPROVED_PUBLISHED
    assert row["How would this affect you?"] == APPROVED_ANSWER_PUBLISHED
    assert row["How do you travel?"] == ""
    assert row["language"] == "en"


def test_csv_export_has_one_column_per_question_between_text_and_url(client, record):
    body = _body(client.get(_csv_url(record.consultation)))

    header = next(csv.reader(io.StringIO(body)))
    assert header == [
        *exports.BASE_COLUMNS,
        "How would this affect you?",
        "How do you travel?",
        "What would help?",
        "Do you agree with the proposal?",
        "url",
        "language",
    ]


def test_csv_export_is_an_attachment_under_the_open_government_licence(client, record):
    response = client.get(_csv_url(record.consultation))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{record.consultation.slug}-responses.csv"'
    )
    assert response["X-Licence"] == "Open Government Licence v3.0"
    assert "open-government-licence/version/3" in response["Link"]
    assert 'rel="license"' in response["Link"]


def test_json_export_serves_only_the_approved_published_words(client, record):
    response = client.get(_json_url(record.consultation))

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{record.consultation.slug}-responses.json"'
    )
    assert response["X-Licence"] == "Open Government Licence v3.0"
    body = _body(response)
    assert_only_public_words(body)
    items = json.loads(body)
    assert items == [
        {
            "reference": record.approved.reference,
            "consultation": record.consultation.slug,
            "channel": "web",
            "received_at": "2026-03-02T09:30:00Z",
            "respondent": "Ada Citizen",
            "published_text": APPROVED_PUBLISHED,
            "personal_details_removed": 0,
            "answers": [
                {
                    "question_id": record.question_id,
                    "question": "How would this affect you?",
                    "published_text": APPROVED_ANSWER_PUBLISHED,
                    "choices": [],
                }
            ],
            "url": "",
            "language": "en",
        }
    ]


def test_exports_of_a_consultation_without_public_responses_are_valid_and_empty(client, home_page):
    consultation = consultation_with_questions(title="Nobody answered")
    ResponseFactory(consultation=consultation, published_text="not yet", text="not yet")

    assert json.loads(_body(client.get(_json_url(consultation)))) == []
    rows = list(csv.reader(io.StringIO(_body(client.get(_csv_url(consultation))))))
    assert len(rows) == 1
    assert rows[0][0] == "reference"


@pytest.mark.parametrize("suffix", ["csv", "json"])
def test_exports_of_unknown_or_unpublished_consultations_are_not_found(client, record, suffix):
    assert client.get(f"/consultations/no-such-thing/responses.{suffix}").status_code == 404
    draft = client.get(f"/consultations/{record.draft.slug}/responses.{suffix}")
    assert draft.status_code == 404


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tindented", "'\tindented"),
        ("\rcarriage", "'\rcarriage"),
        ("Plain words = fine", "Plain words = fine"),
        ("", ""),
        (None, ""),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_as_a_formula_are_quoted(value, cell):
    assert csv_cell_safe(value) == cell


def test_csv_export_quotes_formulas_in_every_public_column(client, home_page):
    consultation = consultation_with_questions(title="Injection")
    question = consultation.questions.get(kind="single_choice")
    respondent = RespondentFactory(channel=Channel.WEB)
    response = ResponseFactory(
        consultation=consultation,
        channel=Channel.WEB,
        external_id=None,
        respondent=respondent,
        respondent_name="=cmd|' /C calc'!A0",
        publish_name=True,
        published_name="=cmd|' /C calc'!A0",
        published_text="=1+1",
        moderation_state=ModerationState.APPROVED,
        language="@en",
    )
    AnswerFactory(
        response=response,
        question=question,
        question_text=question.text,
        text="",
        published_text="",
        choices=["-Car"],
    )

    body = _body(client.get(_csv_url(consultation)))
    row = next(csv.DictReader(io.StringIO(body)))

    assert row["published_text"] == "'=1+1"
    assert row["respondent"] == "'=cmd|' /C calc'!A0"
    assert row["How do you travel?"] == "'-Car"
    assert row["language"] == "'@en"
    # JSON is data, not a spreadsheet: it keeps the words as they are.
    item = json.loads(_body(client.get(_json_url(consultation))))[0]
    assert item["published_text"] == "=1+1"


def test_exports_stream_rows_oldest_first_across_chunks(home_page):
    consultation = consultation_with_questions(title="Many")
    for day in range(1, 8):
        ResponseFactory(
            consultation=consultation,
            published_text=f"Response of day {day}",
            moderation_state=ModerationState.APPROVED,
            received_at=datetime(2026, 3, day, 12, tzinfo=UTC),
        )

    pieces = list(exports.csv_rows(consultation=consultation, chunk_size=2))
    items = json.loads("".join(exports.json_chunks(consultation=consultation, chunk_size=2)))

    # A chunk of rows per generator step: nothing more is built up before it is sent.
    assert [piece.count("\r\n") for piece in pieces] == [1, 2, 2, 2, 1]
    rows = list(csv.DictReader(io.StringIO("".join(pieces))))
    expected = [f"Response of day {day}" for day in range(1, 8)]
    assert [row["published_text"] for row in rows] == expected
    assert [item["published_text"] for item in items] == expected


def _csv_of_records(consultation) -> str:
    """The CSV as the export first wrote it: one row per ``export_records`` dict, the
    answers' public value under their questions, every cell through ``csv_cell_safe``."""
    questions = exports.export_questions(consultation=consultation)
    lines = io.StringIO()
    writer = csv.writer(lines)
    writer.writerow(
        [
            csv_cell_safe(name)
            for name in [*exports.BASE_COLUMNS, *(q.text for q in questions), "url", "language"]
        ]
    )
    for record in exports.export_records(consultation=consultation):
        answers = {answer["question_id"]: answer for answer in record["answers"]}
        cells = [
            *(record[column] for column in exports.BASE_COLUMNS),
            *(
                exports.answer_public_value(answers[q.pk]) if q.pk in answers else ""
                for q in questions
            ),
            record["url"],
            record["language"],
        ]
        writer.writerow([csv_cell_safe(cell) for cell in cells])
    return lines.getvalue()


def test_csv_export_rows_are_the_json_records_cell_for_cell(client, home_page):
    consultation = consultation_with_questions(title="Every kind of cell")
    questions = {q.kind: q for q in consultation.questions.all()}
    free_text, single, multiple = (
        questions["free_text"],
        questions["single_choice"],
        questions["multiple_choice"],
    )
    welsh = ResponseFactory(
        consultation=consultation,
        published_text="Mae angen mwy o fysiau ar y Sul, diolch",
        moderation_state=ModerationState.APPROVED,
        received_at=datetime(2026, 3, 1, 8, tzinfo=UTC),
        language="cy",
        url="https://social.example/@a/1",
    )
    AnswerFactory(
        response=welsh,
        question=free_text,
        question_text=free_text.text,
        text="Bysiau, ysgolion",
        published_text="Bysiau, ysgolion",
    )
    AnswerFactory(
        response=welsh,
        question=multiple,
        question_text=multiple.text,
        text="",
        published_text="",
        choices=["Bus", "-Walk"],
    )
    redacted = ResponseFactory(
        consultation=consultation,
        channel=Channel.WEB,
        external_id=None,
        respondent=RespondentFactory(channel=Channel.WEB),
        publish_name=True,
        published_name='Grace, "Hopper"',
        text="Call me on 07700 900123 or grace@example.org",
        published_text="Call me on [phone number removed] or [email removed]\nthanks",
        redactions=[{"kind": "phone"}, {"kind": "email"}],
        moderation_state=ModerationState.APPROVED,
        received_at=datetime(2026, 3, 1, 9, 15, 30, 250, tzinfo=UTC),
        language="en",
    )
    AnswerFactory(
        response=redacted,
        question=single,
        question_text=single.text,
        text="",
        published_text="",
        choices=["=Train"],
    )
    # An answer whose question was deleted since: in the JSON, under no column of the CSV.
    AnswerFactory(response=redacted, question=None, question_text="Gone", published_text="x")
    formula = ResponseFactory(
        consultation=consultation,
        published_text="+44 is my country code",
        moderation_state=ModerationState.APPROVED,
        received_at=datetime(2026, 3, 1, 9, 15, 30, 250, tzinfo=UTC),
    )

    body = _body(client.get(_csv_url(consultation)))

    assert body == _csv_of_records(consultation)
    rows = list(csv.DictReader(io.StringIO(body)))
    # Oldest first; received at the same moment, in the order they were recorded.
    same_moment = sorted([redacted, formula], key=lambda response: response.pk)
    assert [row["reference"] for row in rows] == [
        welsh.reference,
        *(response.reference for response in same_moment),
    ]
    by_reference = {row["reference"]: row for row in rows}
    assert by_reference[welsh.reference]["published_text"] == welsh.published_text
    assert by_reference[welsh.reference][free_text.text] == "Bysiau, ysgolion"
    assert by_reference[welsh.reference][multiple.text] == "Bus, -Walk"
    assert by_reference[welsh.reference]["language"] == "cy"
    assert by_reference[welsh.reference]["respondent"] == welsh.public_name
    assert by_reference[redacted.reference]["respondent"] == 'Grace, "Hopper"'
    assert by_reference[redacted.reference]["personal_details_removed"] == "2"
    assert by_reference[redacted.reference][single.text] == "'=Train"
    assert by_reference[redacted.reference]["received_at"] == "2026-03-01T09:15:30.000250Z"
    assert "07700" not in body and "grace@example.org" not in body
    assert by_reference[formula.reference]["published_text"] == "'+44 is my country code"
