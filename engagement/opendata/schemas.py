"""The shapes the read-only JSON API (engagement/opendata/api.py) answers with."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from ninja import Schema
from pydantic import Field

from consultations.models import ConsultationStatus
from engagement.opendata.exports import LICENCE_NAME, LICENCE_URL
from engagement.record.channels import channel_values

# Built once the apps are ready (the API is imported by the URLconf), social networks included.
# mypy cannot follow members computed at run time (hence the ignores).
ChannelName = StrEnum("ChannelName", {value: value for value in channel_values()})  # type: ignore[misc]
StatusName = StrEnum("StatusName", {value: value for value in ConsultationStatus.values})  # type: ignore[misc]


class Problem(Schema):
    """An error, as RFC 9457 problem details."""

    type: str = Field("about:blank", description="A URI for the kind of problem")
    title: str = Field(description="A short summary of the kind of problem")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong with this request and how to fix it")
    errors: list[str] = Field(default_factory=list, description="One line per invalid parameter")


class DepartmentOut(Schema):
    name: str
    slug: str


class CountsOut(Schema):
    """What became of every response collected: collected = published + pending + hidden
    + withdrawn + erased (on their authors' request), and hidden is the sum of
    hidden_by_reason."""

    collected: int
    published: int
    pending: int
    hidden: int
    withdrawn: int
    erased: int
    hidden_by_reason: dict[str, int]


class LedgerWeekOut(CountsOut):
    """The responses received in one week (from its Monday, in the hub's time zone) and what
    has become of them since; the weeks' counts add up to the consultation's."""

    week_start: date


class LedgerOut(Schema):
    consultation: str = Field(description="The consultation's slug")
    totals: CountsOut
    weeks: list[LedgerWeekOut] = Field(
        description="Every week from the first response's to the last one's, quiet weeks as zeros"
    )


class LedgerQuery(Schema):
    consultation: str = Field(
        max_length=255, pattern=r"^[-a-zA-Z0-9_]+$", description="A consultation's slug"
    )


class ConsultationOut(Schema):
    slug: str
    title: str
    summary: str
    department: DepartmentOut
    status: StatusName
    opens_at: datetime
    closes_at: datetime
    url: str = Field(description="The consultation's public page")
    responses_csv: str = Field(description="Its public responses as CSV (open data)")
    responses_json: str = Field(description="Its public responses as JSON (open data)")
    ledger_csv: str = Field(description="What became of its responses, by week, as CSV")
    counts: CountsOut


class AnswerOut(Schema):
    question_id: int | None = Field(description="Null when the question was later removed")
    question: str = Field(description="The question's wording when it was answered")
    published_text: str = Field(description="The answer's free text, with personal data removed")
    choices: list[str]


class ResponseOut(Schema):
    reference: str
    consultation: str = Field(description="The consultation's slug")
    channel: ChannelName
    received_at: datetime
    respondent: str = Field(
        description='A pseudonym such as "Respondent R-7K3Q-9XPA", one per consultation, '
        "or a name given with consent to publish it"
    )
    published_text: str = Field(description="What they said, with personal data removed")
    personal_details_removed: int = Field(
        ge=0,
        description="How many personal details (emails, phone numbers, addresses…) were "
        "removed from what they said before it was published; never what they were",
    )
    answers: list[AnswerOut]
    url: str = Field(description="The original public post, where the platform has one")
    language: str


class PageOut(Schema):
    count: int = Field(description="How many results there are on all pages")
    page: int
    pages: int
    next: str | None = Field(description="The next page's URL, or null on the last page")
    previous: str | None = Field(description="The previous page's URL, or null on the first")
    licence: str = LICENCE_NAME
    licence_url: str = LICENCE_URL


class ConsultationPageOut(PageOut):
    results: list[ConsultationOut]


class ResponsePageOut(PageOut):
    results: list[ResponseOut]


MAX_ID = 2**31 - 1


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_ID, description="Page number, from 1")


class ResponseFilters(PageQuery):
    consultation: str | None = Field(
        None, max_length=255, pattern=r"^[-a-zA-Z0-9_]+$", description="A consultation's slug"
    )
    q: str | None = Field(
        None,
        max_length=200,
        pattern=r"^[^\x00]*$",
        description="Words to search for in the published text and answers",
    )
    channel: ChannelName | None = Field(None, description="Where the response came from")
    question: int | None = Field(
        None, ge=1, le=MAX_ID, description="Only responses answering this question (its id)"
    )
    # A string parsed by the view (engagement.opendata.api.since_parse): pydantic's datetime would
    # also take a bare number as a Unix time, which the schema does not promise.
    since: str | None = Field(
        None,
        max_length=64,
        json_schema_extra={"format": "date-time"},
        description="Only responses received at or after this ISO 8601 date-time, "
        "e.g. 2026-03-01T09:00:00Z (a date alone means its midnight, UTC)",
    )
