"""The search node's documents of public responses, built from plain rows.

modelsearch's ``mapping.get_document(response)`` walks ``Response.search_fields`` for
every response, resolving each field's model field and definition model again, on ORM
instances with prefetched relations: about 1,100 documents a second, most of the
outbox drain's time. ``response_documents`` reads the same public rows (the record's
rule, ``Response.get_indexed_objects()``) as a few ``values()`` queries and fills a
plan made once from ``search_fields``: the same document, key for key and value for
value (tests/search/test_documents.py compares the two on varied responses). A field
added to ``search_fields`` that the plan cannot read stops the drain with an error
rather than leave the field out of every document.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, partial
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from modelsearch import index

from engagement.analysis.models import Theme, ThemeMembership
from engagement.record.models import DEFAULT_INDEXED_LANGUAGE, INDEXED_LANGUAGES, Answer, Response


@dataclass(frozen=True, slots=True)
class AnswerRow:
    published_text: str
    question_id: int | None
    has_choices: bool


@dataclass(slots=True)
class ResponseRow:
    """A public response as its document reads it (``sentiment`` "" when not analysed)."""

    pk: int
    consultation_id: int
    channel: str
    received_at: datetime
    language: str
    published_text: str
    sentiment: str
    answers: list[AnswerRow] = field(default_factory=list)
    theme_ids: list[int] = field(default_factory=list)

    @property
    def words(self) -> str:
        # Response.indexed_words
        parts = [self.published_text, *(answer.published_text for answer in self.answers)]
        return "\n".join(part for part in parts if part)

    @property
    def analyser(self) -> str:
        # Response.indexed_analyser_language
        primary = self.language.split("-")[0].lower()
        return primary if primary in INDEXED_LANGUAGES else DEFAULT_INDEXED_LANGUAGE

    def words_in(self, code: str) -> str:
        return self.words if self.analyser == code else ""

    def question_ids(self) -> list[int]:
        # Response.indexed_question_ids
        return sorted(
            {
                answer.question_id
                for answer in self.answers
                if answer.question_id is not None and (answer.published_text or answer.has_choices)
            }
        )


@dataclass(frozen=True)
class IndexedResponse:
    """A public response's document, and the ``updated_at`` of the row it was read from."""

    pk: int
    updated_at: datetime
    document: dict[str, Any]


# How each of Response's search fields reads a row: (field's class, field name) -> value.
_RESPONSE_VALUES: dict[tuple[type, str], Callable[[ResponseRow], Any]] = {
    (index.SearchField, "published_text"): lambda row: row.published_text,
    (index.AutocompleteField, "published_text"): lambda row: row.published_text,
    (index.FilterField, "consultation"): lambda row: row.consultation_id,
    (index.FilterField, "channel"): lambda row: row.channel,
    (index.FilterField, "received_at"): lambda row: row.received_at,
    (index.FilterField, "id"): lambda row: row.pk,
    (index.FilterField, "indexed_language"): lambda row: row.language or None,
    (index.FilterField, "indexed_question_ids"): ResponseRow.question_ids,
    (index.FilterField, "indexed_theme_ids"): lambda row: row.theme_ids,
    (index.FilterField, "indexed_sentiment"): lambda row: row.sentiment or None,
    **{
        (index.FilterField, f"indexed_words_{code}"): partial(ResponseRow.words_in, code=code)
        for code in INDEXED_LANGUAGES
    },
}
_ANSWER_VALUES: dict[tuple[type, str], Callable[[AnswerRow], Any]] = {
    (index.SearchField, "published_text"): lambda answer: answer.published_text,
    (index.FilterField, "question_id"): lambda answer: answer.question_id,
}


def _unreadable(model: type, search_field: Any) -> ImproperlyConfigured:
    return ImproperlyConfigured(
        f"search/documents.py cannot read {model.__name__}'s search field "
        f"{type(search_field).__name__}({search_field.field_name!r}); add it to the plan"
    )


def _field_plan(
    mapping: Any, fields: Iterable[Any], values: dict[tuple[type, str], Callable]
) -> list[tuple[str, Callable, bool]]:
    """(document key, value of a row, whether the value also goes to ``_edgengrams``)."""
    plan = []
    for search_field in fields:
        reader = values.get((type(search_field), search_field.field_name))
        if reader is None:
            raise _unreadable(mapping.model, search_field)
        plan.append(
            (
                mapping.get_field_column_name(search_field),
                reader,
                isinstance(search_field, index.AutocompleteField),
            )
        )
    return plan


@cache
def _plan(mapping_class: type) -> tuple[list, str, list, list[str]]:
    """Response's document plan for this mapping class: built once, from search_fields."""
    mapping = mapping_class(Response)
    top: list[tuple[str, Callable, bool]] = []
    answers_key = ""
    answers_plan: list = []
    for search_field in Response.get_search_fields():
        if isinstance(search_field, index.RelatedFields):
            if search_field.field_name != "answers":
                raise _unreadable(Response, search_field)
            answers_key = mapping.get_field_column_name(search_field)
            answers_plan = _field_plan(mapping_class(Answer), search_field.fields, _ANSWER_VALUES)
            # Stands in the document's key order; filled from the answers below.
            top.append((answers_key, _no_value, False))
            continue
        top.extend(_field_plan(mapping, [search_field], _RESPONSE_VALUES))
    return top, answers_key, answers_plan, mapping.get_all_content_types()


def _no_value(row: ResponseRow) -> None:
    return None


def _live_theme_ids(memberships: dict[int, list[int]], consultations: dict[int, int]) -> None:
    """Replace each response's theme ids by the live themes it counts under
    (Response.indexed_theme_ids: a merged theme counts as the end of its chain)."""
    themes: dict[int, tuple[int | None, int]] = {}
    wanted = {theme_id for ids in memberships.values() for theme_id in ids}
    while wanted:
        rows = Theme.objects.filter(pk__in=wanted).values_list(
            "pk", "is_merged_into_id", "consultation_id"
        )
        for pk, merged_into, consultation_id in rows:
            themes[pk] = (merged_into, consultation_id)
        wanted = {merged for merged, _ in themes.values() if merged is not None} - set(themes)
    for response_id, theme_ids in memberships.items():
        live: set[int] = set()
        for theme_id in theme_ids:
            current, seen = theme_id, set()
            into, of_consultation = themes[current]
            while into is not None and current not in seen:
                seen.add(current)
                current = into
                into, of_consultation = themes[current]
            if into is None and of_consultation == consultations[response_id]:
                live.add(current)
        memberships[response_id] = sorted(live)


def response_documents(
    *, response_ids: Iterable[int], mapping_class: type
) -> list[IndexedResponse]:
    """The documents of those of ``response_ids`` that are public now, as
    ``mapping_class(Response).get_document`` builds them; the others are left out."""
    ids = list(response_ids)
    if not ids:
        return []
    public = (
        Response.get_indexed_objects()
        .prefetch_related(None)
        .filter(pk__in=ids)
        .values_list(
            "pk",
            "updated_at",
            "consultation_id",
            "channel",
            "received_at",
            "language",
            "published_text",
            "analysis__sentiment_label",
        )
    )
    rows: dict[int, ResponseRow] = {}
    updated: dict[int, datetime] = {}
    for pk, updated_at, consultation_id, channel, received_at, language, text, sentiment in public:
        updated[pk] = updated_at
        rows[pk] = ResponseRow(
            pk=pk,
            consultation_id=consultation_id,
            channel=channel,
            received_at=received_at,
            language=language,
            published_text=text,
            sentiment=sentiment or "",
        )
    if not rows:
        return []
    # In primary key order, as get_indexed_objects prefetches them.
    answers = (
        Answer.objects.filter(response_id__in=rows)
        .order_by("pk")
        .values_list("response_id", "published_text", "question_id", "choices")
    )
    for response_id, text, question_id, choices in answers:
        rows[response_id].answers.append(AnswerRow(text, question_id, bool(choices)))
    memberships: dict[int, list[int]] = defaultdict(list)
    for response_id, theme_id in ThemeMembership.objects.filter(response_id__in=rows).values_list(
        "response_id", "theme_id"
    ):
        memberships[response_id].append(theme_id)
    _live_theme_ids(memberships, {pk: row.consultation_id for pk, row in rows.items()})
    for response_id, theme_ids in memberships.items():
        rows[response_id].theme_ids = theme_ids

    return [
        IndexedResponse(pk=pk, updated_at=updated[pk], document=document_build(row, mapping_class))
        for pk, row in rows.items()
    ]


def document_build(row: ResponseRow, mapping_class: type) -> dict[str, Any]:
    """``mapping_class(Response).get_document(response)`` for the response ``row`` holds
    (its answers in primary key order, its live theme ids sorted): for callers that
    already hold the rows, such as a bulk load."""
    top, answers_key, answers_plan, content_types = _plan(mapping_class)
    document: dict[str, Any] = {"pk": str(row.pk), "_django_content_type": list(content_types)}
    edgengrams = []
    for key, reader, also_partial in top:
        if key == answers_key:
            nested = []
            for answer in row.answers:
                nested_document = {}
                for name, value, nested_partial in answers_plan:
                    nested_document[name] = value(answer)
                    if nested_partial:
                        edgengrams.append(nested_document[name])
                nested.append(nested_document)
            document[key] = nested
            continue
        value = reader(row)
        document[key] = value
        if also_partial:
            edgengrams.append(value)
    document["_edgengrams"] = edgengrams
    return document
