"""Open data: a consultation's public responses as CSV or JSON, streamed row by row.

Only ``engagement.record.selectors.public_responses`` rows leave, and of them only the
published (redacted) text, the answers' published text and choices — never the
original ``text``. Rows are read with ``.iterator(chunk_size=...)`` and written
a chunk at a time, so memory stays flat however many responses there are.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from django.db.models import BooleanField, Expression, F, Func, IntegerField, QuerySet

from consultations.models import ConsultationPage, Question
from engagement.analysis.summaries import public_accountability
from engagement.csv_cells import csv_cell_safe
from engagement.moderation.removals import removals_count
from engagement.record.models import Answer, Response, public_name_for
from engagement.record.selectors import HIDDEN_REASON_LABELS, public_responses

CHUNK_SIZE = 2000
LICENCE_NAME = "Open Government Licence v3.0"
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"

# Keys of export_records' dicts, in column order; the questions' columns go between.
BASE_COLUMNS = [
    "reference",
    "consultation",
    "channel",
    "received_at",
    "respondent",
    "published_text",
    "personal_details_removed",
]
TRAILING_COLUMNS = ["url", "language"]


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def export_questions(*, consultation: ConsultationPage) -> list[Question]:
    return list(consultation.questions.order_by("sort_order", "pk"))


_RESPONSE_COLUMNS = (
    "pk",
    "reference",
    "channel",
    "received_at",
    "published_text",
    "url",
    "language",
    "publish_name",
    "published_name",
    "respondent_id",
    "personal_details_removed",
)
_ANSWER_COLUMNS = ("response_id", "question_id", "question_text", "published_text", "choices")


class JSONArrayLength(Func):
    """How many items a JSON array column holds, counted by the database."""

    function = "JSON_ARRAY_LENGTH"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSONB_ARRAY_LENGTH", **extra_context)


class ColumnIn(Expression):
    """``column IN (ids)`` for a chunk's ids; on PostgreSQL ``= ANY(%s)``, one array parameter:
    two thousand placeholders, each resolved by the ORM and the driver, cost a tenth of an
    export's time."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, values: list[int]) -> None:
        super().__init__()
        self.column: Any = F(column)
        self.values = values

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler, connection):
        column_sql, params = compiler.compile(self.column)
        placeholders = ", ".join(["%s"] * len(self.values))
        return f"{column_sql} IN ({placeholders})", (*params, *self.values)

    def as_postgresql(self, compiler, connection):
        column_sql, params = compiler.compile(self.column)
        return f"{column_sql} = ANY(%s)", (*params, list(self.values))


def export_queryset(*, consultation: ConsultationPage) -> QuerySet[Response]:
    """The public responses of one consultation, oldest first."""
    return public_responses(consultation=consultation).order_by("received_at", "pk")


def answer_public_record(
    *, question_id: int | None, question_text: str, published_text: str, choices
) -> dict[str, Any]:
    return {
        "question_id": question_id,
        "question": question_text,
        "published_text": published_text,
        "choices": list(choices or []),
    }


def answer_public_value(answer: dict[str, Any]) -> str:
    """What the public may read of an answer: its redacted text, else the choices made."""
    return answer["published_text"] or ", ".join(answer["choices"])


def response_public_record(response: Response, *, consultation_slug: str) -> dict[str, Any]:
    """One response (with ``respondent`` and ``answers`` loaded) as open data."""
    return {
        "reference": response.reference,
        "consultation": consultation_slug,
        "channel": response.channel,
        "received_at": utc_iso(response.received_at),
        "respondent": response.public_name,
        "published_text": response.published_text,
        # How many, never what: the removed words stay with the moderators.
        "personal_details_removed": removals_count(response.redactions),
        "answers": [
            answer_public_record(
                question_id=answer.question_id,
                question_text=answer.question_text,
                published_text=answer.published_text,
                choices=answer.choices,
            )
            for answer in response.answers.all()
        ],
        "url": response.url,
        "language": response.language,
    }


def _batches(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    while batch := list(islice(rows, size)):
        yield batch


def _public_rows(
    *, consultation: ConsultationPage, chunk_size: int | None
) -> Iterator[tuple[list[tuple], dict[int, list[tuple]]]]:
    """The public responses as bare ``_RESPONSE_COLUMNS`` rows, a chunk at a time, oldest
    first, each chunk with its answers' ``_ANSWER_COLUMNS`` (less ``response_id``) by
    response, in the order they were given.

    Bare columns with one query for each chunk's answers: model instances would cost
    several times the time for a million rows, and a chunk is all that is ever held.
    """
    size = chunk_size or CHUNK_SIZE
    rows = (
        export_queryset(consultation=consultation)
        .annotate(personal_details_removed=JSONArrayLength("redactions"))
        .values_list(*_RESPONSE_COLUMNS)
        .iterator(chunk_size=size)
    )
    for batch in _batches(rows, size):
        answers: dict[int, list[tuple]] = defaultdict(list)
        for response_id, *answer in (
            Answer.objects.filter(ColumnIn("response_id", [row[0] for row in batch]))
            .order_by("response_id", "pk")
            .values_list(*_ANSWER_COLUMNS)
        ):
            answers[response_id].append(tuple(answer))
        yield batch, answers


def export_records(
    *, consultation: ConsultationPage, chunk_size: int | None = None
) -> Iterator[dict[str, Any]]:
    """Each public response as ``response_public_record`` shapes it, oldest first."""
    for batch, answers in _public_rows(consultation=consultation, chunk_size=chunk_size):
        for (
            pk,
            reference,
            channel,
            received_at,
            published_text,
            url,
            language,
            publish_name,
            published_name,
            respondent_id,
            personal_details_removed,
        ) in batch:
            yield {
                "reference": reference,
                "consultation": consultation.slug,
                "channel": channel,
                "received_at": utc_iso(received_at),
                # Bare columns, so an export needs no model instances.
                "respondent": public_name_for(
                    publish_name=publish_name,
                    published_name=published_name,
                    respondent_id=respondent_id,
                    consultation_id=consultation.pk,
                ),
                "published_text": published_text,
                "personal_details_removed": personal_details_removed,
                "answers": [
                    answer_public_record(
                        question_id=question_id,
                        question_text=question_text,
                        published_text=answer_text,
                        choices=choices,
                    )
                    for question_id, question_text, answer_text, choices in answers.get(pk, ())
                ],
                "url": url,
                "language": language,
            }


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_rows(*, consultation: ConsultationPage, chunk_size: int | None = None) -> Iterator[str]:
    """The CSV export: a header, then the lines of each chunk of public responses.

    Each row's cells are the columns of ``response_public_record`` (the answers'
    ``answer_public_value`` under their questions), every one through ``csv_cell_safe``.
    A chunk's lines go out as one string: a million rows one at a time would cost a
    generator step, a ``csv`` write and an HTTP chunk each.
    """
    questions = export_questions(consultation=consultation)
    question_ids = [question.pk for question in questions]
    yield csv.writer(_Echo()).writerow(
        [
            csv_cell_safe(name)
            for name in [*BASE_COLUMNS, *(q.text for q in questions), *TRAILING_COLUMNS]
        ]
    )
    slug = consultation.slug
    lines = io.StringIO()
    writer = csv.writer(lines)
    for batch, answers in _public_rows(consultation=consultation, chunk_size=chunk_size):
        for (
            pk,
            reference,
            channel,
            received_at,
            published_text,
            url,
            language,
            publish_name,
            published_name,
            respondent_id,
            personal_details_removed,
        ) in batch:
            values = {
                question_id: answer_text or ", ".join(choices or [])
                for question_id, _, answer_text, choices in answers.get(pk, ())
            }
            writer.writerow(
                map(
                    csv_cell_safe,
                    (
                        reference,
                        slug,
                        channel,
                        utc_iso(received_at),
                        public_name_for(
                            publish_name=publish_name,
                            published_name=published_name,
                            respondent_id=respondent_id,
                            consultation_id=consultation.pk,
                        ),
                        published_text,
                        personal_details_removed,
                        *(values.get(question_id, "") for question_id in question_ids),
                        url,
                        language,
                    ),
                )
            )
        yield lines.getvalue()
        lines.seek(0)
        lines.truncate()


def json_chunks(*, consultation: ConsultationPage, chunk_size: int | None = None) -> Iterator[str]:
    """The JSON export: one array, written an element at a time (``[]`` when empty)."""
    yield "["
    separator = "\n"
    for record in export_records(consultation=consultation, chunk_size=chunk_size):
        yield separator + json.dumps(record, ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


# --- The ledger: what became of every response, by week received ------------------------------

LEDGER_COLUMNS = ["week_start", "collected", "published", "pending", "hidden"]
LEDGER_HIDDEN_REASONS = list(HIDDEN_REASON_LABELS)


def ledger_records(*, consultation: ConsultationPage) -> list[dict[str, Any]]:
    """One dict per week (``public_accountability``'s weeks): the week's Monday, its counts and the
    hidden ones by reason. Counts only: no response, word or person."""
    return [
        {
            "week_start": week.week_start,
            "collected": week.counts.collected,
            "published": week.counts.published,
            "pending": week.counts.pending,
            "hidden": week.counts.hidden,
            "withdrawn": week.counts.withdrawn,
            "erased": week.counts.erased,
            "hidden_by_reason": {
                reason: week.counts.hidden_by_reason.get(reason, 0)
                for reason in LEDGER_HIDDEN_REASONS
            },
        }
        for week in public_accountability(consultation=consultation).weeks
    ]


def ledger_csv_rows(*, consultation: ConsultationPage) -> Iterator[str]:
    """The ledger as CSV: a header, then a line per week; every reason has its column."""
    writer = csv.writer(_Echo())
    yield writer.writerow(
        [
            *LEDGER_COLUMNS,
            *(f"hidden_{reason}" for reason in LEDGER_HIDDEN_REASONS),
            "withdrawn",
            "erased",
        ]
    )
    for week in ledger_records(consultation=consultation):
        yield writer.writerow(
            [
                week["week_start"].isoformat(),
                *(week[column] for column in LEDGER_COLUMNS[1:]),
                *week["hidden_by_reason"].values(),
                week["withdrawn"],
                week["erased"],
            ]
        )
