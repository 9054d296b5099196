"""Offline responses (email, letters, events) from a CSV or JSON Lines file, into the record.

Each row is checked with a pydantic schema; a bad row is reported with its line
number and left out, the good rows are recorded in bulk through
``engagement.record.services``. Importing the same file again records nothing
new: each row's external id is a keyed hash of what it says.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, cast

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.crypto import salted_hmac
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from consultations.models import ConsultationPage, Question, QuestionKind
from engagement.record.services import (
    AnswerInput,
    RespondentInput,
    ResponseInput,
    respondent_external_id_for_web,
    responses_record_batch,
)

IMPORT_CHANNELS = ("email", "letter", "event", "other")
_BATCH = 1000


class ImportRow(BaseModel):
    """One offline response as it appears in the file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=1, max_length=100_000)
    received_at: datetime
    channel: Literal["email", "letter", "event", "other"]
    question: str = Field(default="", max_length=300)
    name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=254)

    @field_validator("channel", mode="before")
    @classmethod
    def _lower(cls, value):
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value:
            try:
                validate_email(value)
            except DjangoValidationError:
                raise ValueError("not an email address") from None
        return value.lower()

    @field_validator("received_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        # A date in a spreadsheet has no zone: it is the department's local time.
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        if value > timezone.now():
            raise ValueError("is in the future")
        return value


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    already_recorded: int = 0
    errors: list[RowError] = field(default_factory=list)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (unknown format, no header, not UTF-8)."""


def _rows_csv(handle: io.TextIOBase) -> Iterator[tuple[int, dict | None, str]]:
    reader = csv.DictReader(handle)
    if not reader.fieldnames:
        raise ImportFileError("the CSV file has no header row")
    line = 1
    for record in reader:
        line_start = line + 1
        line = reader.line_num
        if None in record:
            yield line_start, None, "more values than there are columns"
            continue
        yield line_start, {key.strip(): (value or "") for key, value in record.items()}, ""


def _rows_jsonl(handle: io.TextIOBase) -> Iterator[tuple[int, dict | None, str]]:
    for number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except ValueError as error:
            # Mostly a JSONDecodeError; a number too long for int() raises a bare ValueError.
            yield number, None, f"not valid JSON ({getattr(error, 'msg', error)})"
            continue
        if not isinstance(value, dict):
            yield number, None, "a line must be a JSON object"
            continue
        yield number, value, ""


def import_format(path: Path, declared: str = "") -> str:
    kind = (declared or path.suffix.lstrip(".")).lower()
    if kind in {"jsonl", "ndjson", "json"}:
        return "jsonl"
    if kind == "csv":
        return "csv"
    raise ImportFileError(f"cannot tell the format of {path.name}: use a .csv or .jsonl file")


def _row_error(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'row'}: {item['msg']}"
        for item in error.errors()
    )


def _external_id(consultation: ConsultationPage, row: ImportRow) -> str:
    digest = salted_hmac(
        "engagement.import.row",
        json.dumps(
            [consultation.pk, row.channel, row.received_at.isoformat(), row.email, row.name]
            + [row.question, row.text]
        ),
        secret=settings.SECRET_KEY,
        algorithm="sha256",
    ).hexdigest()
    return f"import:{digest[:40]}"


def _question_for(row: ImportRow, questions: list[Question]) -> Question | None:
    wanted = row.question.strip()
    for question in questions:
        if wanted == str(question.pk) or wanted.casefold() == question.text.casefold():
            return question
    raise ValueError(f"question: “{wanted}” is not a question of this consultation")


def _answers(row: ImportRow, question: Question | None) -> tuple[AnswerInput, ...]:
    if question is None:
        return ()
    if question.kind == QuestionKind.FREE_TEXT:
        return (AnswerInput(question_id=question.pk, text=row.text),)
    picked = tuple(part.strip() for part in row.text.split(";") if part.strip())
    unknown = [choice for choice in picked if choice not in question.choices]
    if unknown:
        raise ValueError(f"text: {unknown!r} are not options of “{question.text}”")
    return (AnswerInput(question_id=question.pk, choices=picked),)


def responses_import(
    *,
    consultation: ConsultationPage,
    path: Path,
    file_format: str = "",
    on_row: Callable[[], None] | None = None,
) -> ImportReport:
    """Import the file's rows as responses to ``consultation``; see the module docstring."""
    kind = import_format(path, file_format)
    questions = list(Question.objects.filter(page=consultation))
    report = ImportReport()
    pending: list[ResponseInput] = []

    def flush() -> None:
        if pending:
            result = responses_record_batch(consultation=consultation, items=pending)
            report.created += result.created
            report.already_recorded += result.already_recorded
            pending.clear()

    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = _rows_csv(handle) if kind == "csv" else _rows_jsonl(handle)
            for line, values, problem in rows:
                report.rows += 1
                if on_row is not None:
                    on_row()
                if problem:
                    report.errors.append(RowError(line, problem))
                    continue
                try:
                    row = ImportRow.model_validate(
                        # A row without a problem always has its values.
                        {
                            key: value
                            for key, value in cast(dict, values).items()
                            if value not in ("", None)
                        }
                    )
                    question = _question_for(row, questions) if row.question else None
                    answers = _answers(row, question)
                except ValidationError as error:
                    report.errors.append(RowError(line, _row_error(error)))
                    continue
                except ValueError as error:
                    report.errors.append(RowError(line, str(error)))
                    continue
                pending.append(
                    ResponseInput(
                        channel=row.channel,
                        text=row.text,
                        received_at=row.received_at,
                        respondent=RespondentInput(
                            external_id=respondent_external_id_for_web(email=row.email),
                            name=row.name,
                        ),
                        external_id=_external_id(consultation, row),
                        answers=answers,
                    )
                )
                if len(pending) >= _BATCH:
                    flush()
    except UnicodeDecodeError as error:
        raise ImportFileError(f"the file is not UTF-8 text ({error.reason})") from error
    flush()
    return report
