"""Reads for the public record's search: matches, facets, sorting, pages.

On OpenSearch/Elasticsearch the node answers everything in one request: the words,
the filters, the exact total, the facet counts and the page (``search.engine``).
On the database backend the backend decides which public responses match the words
(every one of them: no cap), and the facets are counted with the ORM over those
matches, one grouped query per facet. Both give the same counts for the same matches
(tests/search/test_backend_parity.py).
What is shown is always re-read through ``public_responses()``: a row the index
has not yet forgotten (hidden a moment ago) is never displayed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import TruncMonth
from django.utils import dateformat, timezone
from django.utils.translation import gettext_lazy as _
from modelsearch.backends import get_search_backend
from modelsearch.query import And, Phrase, PlainText

from consultations.models import ConsultationPage, Question
from consultations.selectors import consultations_public
from engagement.analysis.models import Theme, ThemeMembership
from engagement.analysis.selectors import SENTIMENT_LABELS, figures_sentiment, themes_live
from engagement.record.channels import channel_choices
from engagement.record.models import Answer, Response
from engagement.record.selectors import public_responses
from engagement.search_words import plain_query, query_parts, query_words
from search import engine
from search.indexes import is_search_node

PAGE_SIZE = 20

# Names for the language facet; another language shows its code.
LANGUAGE_NAMES = {"en": "English", "cy": "Welsh (Cymraeg)"}


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


def _matched_pks(
    *, q: str, consultation: ConsultationPage | None, backend_name: str, ranked: bool
) -> list[int]:
    """Every response matching ``q`` in the index, best first when ``ranked``."""
    words, phrases = query_parts(q)
    if not words and not phrases:
        return []
    backend = get_search_backend(backend_name)
    scope = Response.objects.all()
    if consultation is not None:
        scope = scope.filter(consultation=consultation)
    query = words
    if phrases:
        parts = [PlainText(words, operator="and")] if words else []
        query = And([*parts, *(Phrase(phrase) for phrase in phrases)])
    # Scoring is the slow part on the database backend: only rank when sorting by relevance.
    results = backend.search(query, scope, operator="and", order_by_relevance=ranked)
    return [response.pk for response in results]


def theme_survivors(*, consultation: ConsultationPage) -> dict[int, Theme]:
    """Every theme of the consultation, merged or not, mapped to the live theme it counts under.

    Analysts may merge a theme into one that is later merged itself, so the chain is
    followed to its end; a chain that loops (never written by the services) is left out.
    """
    live = {theme.pk: theme for theme in themes_live(consultation=consultation)}
    merged_into = dict(
        Theme.objects.filter(consultation=consultation, is_merged_into__isnull=False).values_list(
            "pk", "is_merged_into_id"
        )
    )
    survivors = dict(live)
    for theme_id in merged_into:
        seen = {theme_id}
        target = merged_into[theme_id]
        while target in merged_into and target not in seen:
            seen.add(target)
            target = merged_into[target]
        if target in live:
            survivors[theme_id] = live[target]
    return survivors


def _filtered(
    responses: QuerySet[Response],
    filters: ResponseFilters,
    *,
    skip: str = "",
    survivors: dict[int, Theme] | None = None,
) -> QuerySet[Response]:
    if filters.channels and skip != "channel":
        responses = responses.filter(channel__in=filters.channels)
    if filters.question_ids and skip != "question":
        answered = Answer.objects.filter(question_id__in=filters.question_ids).filter(
            ~Q(published_text="") | ~Q(choices=[])
        )
        responses = responses.filter(pk__in=answered.values("response_id"))
    if filters.months and skip != "month":
        window = Q(pk__in=[])
        for value in filters.months:
            bounds = _month_range(value)
            if bounds:
                window |= Q(received_at__gte=bounds[0], received_at__lt=bounds[1])
        responses = responses.filter(window)
    if filters.theme_ids and skip != "theme":
        wanted = set(filters.theme_ids)
        theme_ids = [pk for pk, live in (survivors or {}).items() if live.pk in wanted]
        members = ThemeMembership.objects.filter(theme_id__in=theme_ids)
        responses = responses.filter(pk__in=members.values("response_id"))
    if filters.sentiments and skip != "sentiment":
        responses = responses.filter(analysis__sentiment_label__in=filters.sentiments)
    if filters.languages and skip != "language":
        responses = responses.filter(language__in=filters.languages)
    return responses


def _language_option(value: str, count: int, filters: ResponseFilters) -> FacetOption:
    return FacetOption(
        value=value,
        label=LANGUAGE_NAMES.get(value, value),
        count=count,
        selected=value in filters.languages,
    )


def _theme_facet(
    responses: QuerySet[Response], filters: ResponseFilters, survivors: dict[int, Theme]
) -> list[FacetOption]:
    """Responses per live theme, a merged theme's members counted (once) under its survivor."""
    if not survivors:
        return []
    by_survivor: dict[int, list[int]] = {}
    for theme_id, live in survivors.items():
        by_survivor.setdefault(live.pk, []).append(theme_id)
    counts = (
        ThemeMembership.objects.filter(
            theme_id__in=list(survivors),
            response_id__in=_filtered(responses, filters, skip="theme", survivors=survivors)
            .order_by()
            .values("pk"),
        )
        .annotate(
            survivor=Case(
                *(When(theme_id__in=ids, then=Value(pk)) for pk, ids in by_survivor.items()),
                output_field=IntegerField(),
            )
        )
        .order_by()
        .values("survivor")
        .annotate(count=Count("response_id", distinct=True))
    )
    themes = {live.pk: live for live in survivors.values()}
    return sorted(
        (
            FacetOption(
                value=str(row["survivor"]),
                label=themes[row["survivor"]].display_label,
                count=row["count"],
                selected=row["survivor"] in filters.theme_ids,
            )
            for row in counts
        ),
        key=lambda option: (-option.count, option.label, int(option.value)),
    )


def _sentiment_facet(
    responses: QuerySet[Response], filters: ResponseFilters, survivors: dict[int, Theme]
) -> list[FacetOption]:
    """Responses per sentiment, in the summary's order; responses not analysed yet are absent."""
    figures = figures_sentiment(
        responses=_filtered(responses, filters, skip="sentiment", survivors=survivors)
    )
    return [
        FacetOption(
            value=figure.key,
            label=figure.label,
            count=figure.count,
            selected=figure.key in filters.sentiments,
        )
        for figure in figures
        if figure.count
    ]


def _facets(
    responses: QuerySet[Response], filters: ResponseFilters, survivors: dict[int, Theme]
) -> dict[str, list]:
    """Counts per channel, question, month, theme and sentiment; each ignores its own selection only."""
    labels = dict(channel_choices())
    channel_counts = (
        _filtered(responses, filters, skip="channel", survivors=survivors)
        .order_by()
        .values("channel")
        .annotate(count=Count("pk"))
    )
    channels = sorted(
        (
            FacetOption(
                value=row["channel"],
                label=str(labels.get(row["channel"], row["channel"])),
                count=row["count"],
                selected=row["channel"] in filters.channels,
            )
            for row in channel_counts
        ),
        key=lambda option: (-option.count, option.label),
    )
    answered = (
        Answer.objects.filter(
            response_id__in=_filtered(
                responses, filters, skip="question", survivors=survivors
            ).values("pk"),
            question__isnull=False,
        )
        .filter(~Q(published_text="") | ~Q(choices=[]))
        .order_by()
        .values("question_id", "question__text", "question__sort_order")
        .annotate(count=Count("response_id", distinct=True))
    )
    questions = [
        FacetOption(
            value=str(row["question_id"]),
            label=row["question__text"],
            count=row["count"],
            selected=row["question_id"] in filters.question_ids,
        )
        for row in sorted(
            answered, key=lambda row: (row["question__sort_order"], row["question_id"])
        )
    ]
    month_counts = (
        _filtered(responses, filters, skip="month", survivors=survivors)
        .order_by()
        .annotate(month=TruncMonth("received_at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(count=Count("pk"))
    )
    months = sorted(
        (
            FacetOption(
                value=row["month"].strftime("%Y-%m"),
                label=dateformat.format(row["month"], "F Y"),
                count=row["count"],
                selected=row["month"].strftime("%Y-%m") in filters.months,
            )
            for row in month_counts
        ),
        key=lambda option: option.value,
        reverse=True,
    )
    language_counts = (
        _filtered(responses, filters, skip="language", survivors=survivors)
        .exclude(language="")
        .order_by()
        .values("language")
        .annotate(count=Count("pk"))
    )
    languages = sorted(
        (_language_option(row["language"], row["count"], filters) for row in language_counts),
        key=lambda option: (-option.count, option.label),
    )
    return {
        "channel": channels,
        "question": questions,
        "month": months,
        "theme": _theme_facet(responses, filters, survivors),
        "sentiment": _sentiment_facet(responses, filters, survivors),
        "language": languages,
    }


def responses_search(
    *,
    filters: ResponseFilters,
    consultation: ConsultationPage | None = None,
    page_number: int | str = 1,
    per_page: int = PAGE_SIZE,
    backend_name: str = "default",
) -> ResponseSearch:
    """Public responses matching the words and filters, a page of them, and the facet counts."""
    backend = get_search_backend(backend_name)
    if is_search_node(backend):
        return _search_on_node(
            backend=backend,
            filters=filters,
            consultation=consultation,
            page_number=page_number,
            per_page=per_page,
        )
    base = public_responses(consultation=consultation)
    ranked: list[int] | None = None
    if filters.q.strip():
        ranked = _matched_pks(
            q=filters.q,
            consultation=consultation,
            backend_name=backend_name,
            ranked=filters.effective_sort == Sort.RELEVANCE,
        )
        base = base.filter(pk__in=ranked)
    # Themes belong to one consultation: the site-wide search has no theme facet.
    survivors = theme_survivors(consultation=consultation) if consultation is not None else {}
    facets = _facets(base, filters, survivors)
    shown = _filtered(base, filters, survivors=survivors)
    sort = filters.effective_sort
    if sort == Sort.RELEVANCE and ranked is not None:
        allowed = set(shown.values_list("pk", flat=True))
        ordered: list[int] | QuerySet = [pk for pk in ranked if pk in allowed]
    elif sort == Sort.OLDEST:
        ordered = shown.order_by("received_at", "pk").prefetch_related("answers")
    else:
        ordered = shown.order_by("-received_at", "-pk").prefetch_related("answers")
    paginator = Paginator(ordered, per_page)
    page = paginator.get_page(page_number)
    if isinstance(ordered, list):
        rows = {
            row.pk: row
            for row in public_responses()
            .filter(pk__in=list(page.object_list))
            .prefetch_related("answers")
        }
        page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
    else:
        page.object_list = list(page.object_list)
    return ResponseSearch(
        total=paginator.count, page=page, facets=facets, terms=search_terms(filters.q)
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
    if consultation is not None:
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
            label=label,
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
) -> ResponseSearch:
    public = consultations_public()
    if consultation is not None:
        public = public.filter(pk=consultation.pk)
    facets = ["channel", "question", "month", "sentiment", "language"]
    if consultation is not None:
        # Themes belong to one consultation: the site-wide search has no theme facet.
        facets.append("theme")
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
    ids = list(page.object_list)
    rows = {
        row.pk: row for row in public_responses().filter(pk__in=ids).prefetch_related("answers")
    }
    page.object_list = [rows[pk] for pk in ids if pk in rows]
    return ResponseSearch(
        total=answer.total,
        page=page,
        facets=_facets_from_buckets(answer.buckets, filters, consultation),
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
    return list(consultations_public().order_by().search(words, operator="and")[:limit])
