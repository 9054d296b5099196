"""Reads for the public record's search: matches, facets, sorting, pages.

On OpenSearch/Elasticsearch the node answers everything in one request: the words,
the filters, the exact total, the facet counts and the page (``search.engine``).
On the database backend the same questions go to the search documents the drain keeps
(``search.fulltext``): the words match through the database's own full-text index
(PostgreSQL tsvector/GIN, SQLite FTS5), and the total, the page and each facet (one
grouped query per facet) are indexed queries over every match, with no cap. Both give
the same counts for the same matches (tests/search/test_backend_parity.py).
What is shown is always re-read through ``public_responses()``: a row the index
has not yet forgotten (hidden a moment ago) is never displayed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connections, router
from django.db.models import Count, QuerySet
from django.utils import dateformat, timezone
from django.utils.translation import gettext_lazy as _

from consultations.models import ConsultationPage, Question
from consultations.selectors import consultations_public
from engagement.analysis.selectors import SENTIMENT_LABELS, themes_live
from engagement.languages import language_primary
from engagement.record.channels import channel_choices
from engagement.record.models import ModerationState, Response
from engagement.record.selectors import public_responses
from engagement.search_words import plain_query, query_words
from search import engine, fulltext
from search.backends import search_backend
from search.indexes import is_search_node
from search.models import ResponseDocument, ResponseDocumentQuestion, ResponseDocumentTheme

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PAGE_SIZE = 20

# Names for the language facet; another language shows its code.
LANGUAGE_NAMES: dict[str, StrOrPromise] = {"en": _("English"), "cy": _("Welsh (Cymraeg)")}


class Sort:
    NEWEST = "newest"
    OLDEST = "oldest"
    RELEVANCE = "relevance"
    CHOICES = [
        (NEWEST, _("Newest first")),
        (OLDEST, _("Oldest first")),
        (RELEVANCE, _("Most relevant")),
    ]


@dataclass(frozen=True)
class ResponseFilters:
    q: str = ""
    channels: tuple[str, ...] = ()
    question_ids: tuple[int, ...] = ()
    # "2026-03": calendar months in the site's time zone.
    months: tuple[str, ...] = ()
    # Live themes of the consultation; a theme merged into one counts as that one.
    theme_ids: tuple[int, ...] = ()
    # "positive", "neutral", "negative" (engagement.analysis.selectors.SENTIMENT_LABELS).
    sentiments: tuple[str, ...] = ()
    # Response.language values, as the language facet lists them.
    languages: tuple[str, ...] = ()
    # Received at or after this moment (the open-data API's ``since``); no facet shows it.
    since: datetime | None = None
    sort: str = ""

    @property
    def effective_sort(self) -> str:
        if self.sort == Sort.RELEVANCE and not self.q:
            return Sort.NEWEST
        return self.sort or (Sort.RELEVANCE if self.q else Sort.NEWEST)


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class ResponseSearch:
    total: int
    page: Page
    facets: dict[str, list[FacetOption]] = field(default_factory=dict)
    terms: tuple[str, ...] = ()


def _search_node_errors() -> tuple[type[BaseException], ...]:
    """What the node's clients raise when the node cannot be reached (refused, dropped,
    timed out) or answers that it cannot search now (recovering its shards, shedding
    load); a bad query is a bug and is not among them."""
    from elastic_transport import TransportError as ElasticsearchTransportError
    from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

    return (OpenSearchConnectionError, ElasticsearchTransportError, engine.SearchNodeBusy)


# The search node is away: the public pages say so rather than fail (search/views.py).
SEARCH_NODE_AWAY = _search_node_errors()


def responses_search_unavailable(*, q: str = "") -> ResponseSearch:
    """An empty result for a page that says the search node cannot answer now."""
    return ResponseSearch(total=0, page=Paginator([], PAGE_SIZE).get_page(1), terms=search_terms(q))


def search_terms(q: str) -> tuple[str, ...]:
    """The words of a query, as highlighting marks them."""
    return tuple(dict.fromkeys(word for word in query_words(q) if len(word) > 1))


def _month_range(value: str) -> tuple[datetime, datetime] | None:
    try:
        year, month = (int(part) for part in value.split("-"))
        start = datetime(year, month, 1)  # noqa: DTZ001 - made aware below
    except ValueError:
        return None
    end_year, end_month = (year + 1, 1) if month == 12 else (year, month + 1)
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(start, zone),
        timezone.make_aware(datetime(end_year, end_month, 1), zone),  # noqa: DTZ001
    )


def _language_option(value: str, count: int, filters: ResponseFilters) -> FacetOption:
    return FacetOption(
        value=value,
        # "en-GB" is English too: a tag as a network sent it, before the record kept languages.
        label=str(LANGUAGE_NAMES.get(value) or LANGUAGE_NAMES.get(language_primary(value), value)),
        count=count,
        selected=value in filters.languages,
    )


class _Hits(Sequence):
    """Matching ids as Django's Paginator sees them: counted once, fetched a page at a time."""

    def __init__(self, total: int, fetch: Callable[[int, int], list[int]]) -> None:
        self.total = total
        self.fetch = fetch

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, item):
        if not isinstance(item, slice):
            return self[item : item + 1][0]
        start = item.start or 0
        stop = self.total if item.stop is None else min(item.stop, self.total)
        return self.fetch(start, stop - start) if stop > start else []


def _documents_chosen(
    documents: QuerySet[ResponseDocument], filters: ResponseFilters, *, skip: str = ""
) -> QuerySet[ResponseDocument]:
    """``documents`` under every chosen facet value but those of ``skip``."""
    if filters.channels and skip != "channel":
        documents = documents.filter(channel__in=filters.channels)
    if filters.question_ids and skip != "question":
        answered = ResponseDocumentQuestion.objects.filter(question_id__in=filters.question_ids)
        documents = documents.filter(pk__in=answered.values("document_id"))
    if filters.months and skip != "month":
        ranges = [bounds for bounds in map(_month_range, filters.months) if bounds]
        documents = documents.filter(month__in=[start.strftime("%Y-%m") for start, _ in ranges])
    if filters.theme_ids and skip != "theme":
        members = ResponseDocumentTheme.objects.filter(theme_id__in=filters.theme_ids)
        documents = documents.filter(pk__in=members.values("document_id"))
    if filters.sentiments and skip != "sentiment":
        documents = documents.filter(sentiment__in=filters.sentiments)
    if filters.languages and skip != "language":
        documents = documents.filter(language__in=filters.languages)
    if filters.since is not None:
        documents = documents.filter(received_at__gte=filters.since)
    return documents


def _counted(rows: QuerySet, column: str) -> list[tuple[str, int]]:
    return [(str(row[column]), row["count"]) for row in rows.order_by() if row["count"]]


# The facets that are a column of the document, and the filter that selects their values.
_COLUMN_FACETS = {
    "channel": "channels",
    "month": "months",
    "sentiment": "sentiments",
    "language": "languages",
}
# Left out of their facet: not analysed yet, or not recorded.
_BLANK_UNCOUNTED = ("sentiment", "language")


def _shared_counts(
    shown: QuerySet[ResponseDocument], names: Sequence[str]
) -> tuple[dict[str, list[tuple[str, int]]], int]:
    """The column facets counted over ``shown`` and its total, in one pass (PostgreSQL).

    A facet with no value chosen counts the documents shown, as does the total, so one
    ``GROUPING SETS`` query reads the matches once for all of them instead of once each:
    a word search on a large record spends its time finding the matches, not counting.
    """
    buckets: dict[str, list[tuple[str, int]]] = {name: [] for name in names}
    try:
        sql, params = shown.order_by().values(*names).query.sql_with_params()
    except EmptyResultSet:
        return buckets, 0  # nothing can match (a query with no words)
    columns = ", ".join(names)
    sets = ", ".join(f"({name})" for name in names)
    every_column_rolled_up = (1 << len(names)) - 1
    total = 0
    connection = connections[router.db_for_read(ResponseDocument)]
    with connection.cursor() as cursor:
        # The column names are this module's; every value is in the queryset's params.
        cursor.execute(
            f"SELECT {columns}, GROUPING({columns}), COUNT(*) FROM ({sql}) AS shown "  # noqa: S608
            f"GROUP BY GROUPING SETS ({sets}, ())",
            params,
        )
        for *values, rolled_up, count in cursor.fetchall():
            if rolled_up == every_column_rolled_up:
                total = count
                continue
            # GROUPING sets a column's bit (the first column highest) when it is rolled up.
            position = next(
                i for i in range(len(names)) if not rolled_up & (1 << (len(names) - 1 - i))
            )
            name, value = names[position], values[position]
            if name in _BLANK_UNCOUNTED and value == "":
                continue
            buckets[name].append((str(value), count))
    return buckets, total


def _document_buckets(
    documents: QuerySet[ResponseDocument],
    filters: ResponseFilters,
    facets: Sequence[str],
    *,
    counted: dict[str, list[tuple[str, int]]] | None = None,
) -> dict[str, list[tuple[str, int]]]:
    """(value, count) per facet, as the node's aggregations give them: one query each,
    but for those already ``counted`` together."""
    buckets: dict[str, list[tuple[str, int]]] = dict(counted or {})
    for name in facets:
        if name in buckets:
            continue
        chosen = _documents_chosen(documents, filters, skip=name)
        if name == "question":
            answered = ResponseDocumentQuestion.objects.filter(document__in=chosen.values("pk"))
            buckets[name] = _counted(
                answered.values("question_id").annotate(count=Count("pk")), "question_id"
            )
        elif name == "theme":
            members = ResponseDocumentTheme.objects.filter(document__in=chosen.values("pk"))
            buckets[name] = _counted(
                members.values("theme_id").annotate(count=Count("pk")), "theme_id"
            )
        else:
            if name in _BLANK_UNCOUNTED:
                chosen = chosen.exclude(**{name: ""})  # not analysed yet, or not recorded
            buckets[name] = _counted(chosen.values(name).annotate(count=Count("pk")), name)
    return buckets


# Columns no results list shows: the original words never are, and the network's payload
# is the widest column to read and decode (a listing of 50 read every one of them).
_NOT_SHOWN_IN_LISTS = ("text", "raw_payload", "flagged_terms")


def _rows_shown(ids: list[int], *, consultation: ConsultationPage | None) -> list[Response]:
    """The page's responses, in the order of ``ids``, re-read through ``public_responses()``,
    with what a results list shows loaded: answers, respondent and consultation (each row
    links to it, in its language). Rows of one consultation share one object, so what the
    list reads from it (its locale, its translation) is read once, not once per row."""
    rows = public_responses().filter(pk__in=ids).defer(*_NOT_SHOWN_IN_LISTS)
    by_pk = {row.pk: row for row in rows.prefetch_related("answers")}
    shown = [by_pk[pk] for pk in ids if pk in by_pk]
    pages = {consultation.pk: consultation} if consultation is not None else {}
    missing = {row.consultation_id for row in shown} - pages.keys()
    if missing:
        pages |= ConsultationPage.objects.select_related("locale").in_bulk(missing)
    for row in shown:
        row.consultation = pages[row.consultation_id]
    return shown


def _search_in_database(
    *,
    filters: ResponseFilters,
    consultation: ConsultationPage | None,
    page_number: int | str,
    per_page: int,
    with_facets: bool,
) -> ResponseSearch:
    public = consultations_public()
    if consultation is not None:
        public = public.filter(pk=consultation.pk)
    documents = ResponseDocument.objects.filter(
        consultation_id__in=list(public.order_by().values_list("pk", flat=True)),
        # The record is in the same database: a moderator's decision (hidden, withdrawn,
        # erased) counts at once, not only when the drain has removed the document.
        response__moderation_state=ModerationState.APPROVED,
        response__withdrawn_at__isnull=True,
        response__erased_at__isnull=True,
    )
    q = filters.q.strip()
    matched = fulltext.matching_ids(q) if q else None
    if matched is not None:
        documents = documents.filter(pk__in=matched)
    elif q:
        documents = documents.none()  # words with nothing to match (punctuation only)
    facets = _facet_names(consultation) if with_facets else []
    shown = _documents_chosen(documents, filters)
    total = None
    counted: dict[str, list[tuple[str, int]]] = {}
    if with_facets and fulltext.vendor() == "postgresql":
        # Facets with nothing chosen count what is shown (their siblings' choices apply).
        shared = [
            name
            for name in facets
            if name in _COLUMN_FACETS and not getattr(filters, _COLUMN_FACETS[name])
        ]
        if shared:
            counted, total = _shared_counts(shown, shared)
    buckets = _document_buckets(documents, filters, facets, counted=counted)
    sort = filters.effective_sort

    def fetch(offset: int, size: int) -> list[int]:
        if sort == Sort.RELEVANCE and matched is not None:
            return fulltext.ranked_ids(q, shown, offset=offset, size=size)
        order = ("received_at", "pk") if sort == Sort.OLDEST else ("-received_at", "-pk")
        return list(shown.order_by(*order).values_list("pk", flat=True)[offset : offset + size])

    if total is None:
        total = shown.count()
    page = Paginator(_Hits(total, fetch), per_page).get_page(page_number)
    page.object_list = _rows_shown(list(page.object_list), consultation=consultation)
    return ResponseSearch(
        total=total,
        page=page,
        facets=_facets_from_buckets(buckets, filters, consultation) if with_facets else {},
        terms=search_terms(filters.q),
    )


def _facet_names(consultation: ConsultationPage | None) -> list[str]:
    facets = ["channel", "question", "month", "sentiment", "language"]
    if consultation is not None:
        # Themes belong to one consultation: the site-wide search has no theme facet.
        facets.append("theme")
    return facets


def responses_search(
    *,
    filters: ResponseFilters,
    consultation: ConsultationPage | None = None,
    page_number: int | str = 1,
    per_page: int = PAGE_SIZE,
    backend_name: str = "default",
    with_facets: bool = True,
) -> ResponseSearch:
    """Public responses matching the words and filters, a page of them, and the facet counts
    (none with ``with_facets=False``: the API lists, it does not count by facet)."""
    backend = search_backend(backend_name)
    if is_search_node(backend):
        return _search_on_node(
            backend=backend,
            filters=filters,
            consultation=consultation,
            page_number=page_number,
            per_page=per_page,
            with_facets=with_facets,
        )
    return _search_in_database(
        filters=filters,
        consultation=consultation,
        page_number=page_number,
        per_page=per_page,
        with_facets=with_facets,
    )


def _page_number(value: int | str) -> int:
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return 1


def _selections(filters: ResponseFilters) -> dict[str, dict]:
    """The chosen facet values as node filters, by facet name."""
    chosen: dict[str, dict] = {}
    terms = {
        "channel": filters.channels,
        "question": filters.question_ids,
        "theme": filters.theme_ids,
        "sentiment": filters.sentiments,
        "language": filters.languages,
    }
    for name, values in terms.items():
        if values:
            chosen[name] = {"terms": {engine.FIELD[name]: list(values)}}
    if filters.months:
        ranges = [bounds for bounds in map(_month_range, filters.months) if bounds]
        chosen["month"] = engine.month_clause(ranges) if ranges else {"terms": {"_id": []}}
    if filters.since is not None:
        # Not a facet: every facet counts under it.
        chosen["since"] = {
            "range": {engine.FIELD["received_at"]: {"gte": filters.since.isoformat()}}
        }
    return chosen


def _facets_from_buckets(
    buckets: dict[str, list[tuple[str, int]]],
    filters: ResponseFilters,
    consultation: ConsultationPage | None,
) -> dict[str, list[FacetOption]]:
    """The node's counts as the page shows them: the same labels and order as ``_facets``."""
    labels = dict(channel_choices())
    channels = sorted(
        (
            FacetOption(
                value=value,
                label=str(labels.get(value, value)),
                count=count,
                selected=value in filters.channels,
            )
            for value, count in buckets["channel"]
        ),
        key=lambda option: (-option.count, option.label),
    )
    question_counts = {int(value): count for value, count in buckets["question"]}
    questions = [
        FacetOption(
            value=str(question.pk),
            label=question.text,
            count=question_counts[question.pk],
            selected=question.pk in filters.question_ids,
        )
        for question in Question.objects.filter(pk__in=list(question_counts)).order_by(
            "sort_order", "pk"
        )
    ]
    months = []
    for value, count in buckets["month"]:
        bounds = _month_range(value)
        if bounds:
            months.append(
                FacetOption(
                    value=value,
                    label=dateformat.format(bounds[0], "F Y"),
                    count=count,
                    selected=value in filters.months,
                )
            )
    months.sort(key=lambda option: option.value, reverse=True)
    themes = []
    if consultation is not None and buckets["theme"]:
        live = {theme.pk: theme for theme in themes_live(consultation=consultation)}
        themes = sorted(
            (
                FacetOption(
                    value=value,
                    label=live[int(value)].display_label,
                    count=count,
                    selected=int(value) in filters.theme_ids,
                )
                for value, count in buckets["theme"]
                if int(value) in live
            ),
            key=lambda option: (-option.count, option.label, int(option.value)),
        )
    sentiment_counts = dict(buckets["sentiment"])
    sentiments = [
        FacetOption(
            value=key,
            label=str(label),
            count=sentiment_counts[key],
            selected=key in filters.sentiments,
        )
        for key, label in SENTIMENT_LABELS
        if sentiment_counts.get(key)
    ]
    languages = sorted(
        (_language_option(value, count, filters) for value, count in buckets["language"]),
        key=lambda option: (-option.count, option.label),
    )
    return {
        "channel": channels,
        "question": questions,
        "month": months,
        "theme": themes,
        "sentiment": sentiments,
        "language": languages,
    }


def _search_on_node(
    *,
    backend,
    filters: ResponseFilters,
    consultation: ConsultationPage | None,
    page_number: int | str,
    per_page: int,
    with_facets: bool,
) -> ResponseSearch:
    public = consultations_public()
    if consultation is not None:
        public = public.filter(pk=consultation.pk)
    facets = _facet_names(consultation) if with_facets else []
    search = engine.EngineSearch(
        backend=backend,
        q=filters.q.strip(),
        consultation_ids=list(public.order_by().values_list("pk", flat=True)),
        selections=_selections(filters),
        facets=facets,
        sort=filters.effective_sort,
    )
    offset = (_page_number(page_number) - 1) * per_page
    answer = search.first(offset=offset, size=per_page)
    page = Paginator(engine.EngineHits(search, answer, offset), per_page).get_page(page_number)
    page.object_list = _rows_shown(list(page.object_list), consultation=consultation)
    return ResponseSearch(
        total=answer.total,
        page=page,
        facets=_facets_from_buckets(answer.buckets, filters, consultation) if with_facets else {},
        terms=search_terms(filters.q),
    )


def public_response(*, consultation: ConsultationPage, reference: str) -> Response | None:
    return (
        public_responses(consultation=consultation)
        .filter(reference=reference)
        .prefetch_related("answers")
        .first()
    )


def consultations_search(*, q: str, limit: int = 10) -> list[ConsultationPage]:
    """Live, public consultation pages matching ``q`` (Wagtail's page index)."""
    words = plain_query(q)
    if not words:
        return []
    try:
        return list(consultations_public().order_by().search(words, operator="and")[:limit])
    except Exception as error:
        # Through modelsearch, the node's "cannot search now" is the client's own error.
        if engine.node_busy(error):
            raise engine.SearchNodeBusy(str(error)) from error
        raise
