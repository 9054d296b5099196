"""Reads of the analysis: the figures of the public summary and the officers' dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import dateformat
from django.utils.translation import gettext_lazy as _

from consultations.models import ConsultationPage, QuestionKind
from engagement.analysis.engine import language_mix, top_terms
from engagement.analysis.engine.sentiment import NOT_ANALYSED
from engagement.analysis.models import AnalysisRun, CampaignGroup, ResponseAnalysis, Theme
from engagement.record.channels import channel_choices
from engagement.record.models import Answer, ModerationState, Response
from engagement.record.selectors import public_responses

# Figures for summaries and the dashboard (engagement.analysis.services writes what they read).
# ``public=True`` reads only public_responses() and their published words, for the public
# summary and its CSV; ``public=False`` reads every response still in the record, for
# officers. Withdrawn responses are never counted: their words are gone. Officers read the
# original words only with ``original_words=True`` (those who may moderate the
# consultation); everyone else the published, redacted words of every response.


@dataclass(frozen=True)
class LabelCount:
    label: str
    count: int
    key: str = ""


@dataclass(frozen=True)
class AnswerTally:
    question_id: int
    question_text: str
    kind: str
    answered: int
    rows: tuple[LabelCount, ...]


@dataclass(frozen=True)
class ThemeFigure:
    theme_id: int
    label: str
    count: int
    terms: tuple[str, ...]
    quotes: tuple[str, ...]  # public: published_text of public responses only
    # The responses quoted, in the same order: a stored summary checks them before serving.
    quote_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CampaignFigure:
    count: int
    representative_text: str  # public: a public member's published_text, or "" when none
    representative_id: int | None = None  # the response representative_text is of


@dataclass(frozen=True)
class ConsultationFigures:
    public: bool
    total: int
    by_channel: tuple[LabelCount, ...]
    by_day: tuple[LabelCount, ...]
    by_question: tuple[LabelCount, ...]
    answer_tallies: tuple[AnswerTally, ...]
    top_terms: tuple[LabelCount, ...]
    language_mix: tuple[LabelCount, ...]
    sentiment: tuple[LabelCount, ...]
    themes: tuple[ThemeFigure, ...]
    campaigns: tuple[CampaignFigure, ...]
    last_run: AnalysisRun | None


QUOTES_PER_THEME = 3
# "Not analysed": replies in a language the sentiment model does not read (engine.sentiment),
# shown apart so that the other three are never read as covering them.
SENTIMENT_LABELS = (
    ("positive", _("Positive")),
    ("neutral", _("Neutral")),
    ("negative", _("Negative")),
    ("not_analysed", _("Not analysed")),
)


def figures_responses(*, consultation: ConsultationPage, public: bool) -> QuerySet[Response]:
    if public:
        return public_responses(consultation=consultation)
    return Response.objects.filter(consultation=consultation, withdrawn_at__isnull=True).exclude(
        moderation_state=ModerationState.WITHDRAWN
    )


def figures_by_channel(*, responses: QuerySet[Response]) -> tuple[LabelCount, ...]:
    labels = dict(channel_choices())
    rows = responses.order_by().values("channel").annotate(n=Count("pk")).order_by("-n", "channel")
    return tuple(
        LabelCount(
            label=str(labels.get(row["channel"], row["channel"])),
            count=row["n"],
            key=row["channel"],
        )
        for row in rows
    )


def figures_by_day(*, responses: QuerySet[Response]) -> tuple[LabelCount, ...]:
    rows = (
        responses.order_by()
        .annotate(day=TruncDate("received_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("day")
    )
    return tuple(
        LabelCount(
            label=dateformat.format(row["day"], "j M Y"),
            count=row["n"],
            key=row["day"].isoformat(),
        )
        for row in rows
    )


def figures_by_question(
    *, consultation: ConsultationPage, responses: QuerySet[Response]
) -> tuple[LabelCount, ...]:
    answered = (
        Answer.objects.filter(response__in=responses.order_by().values("pk"))
        .filter(~Q(text="") | ~Q(choices=[]))
        .values("question_id")
        .annotate(n=Count("response_id", distinct=True))
    )
    counts = {row["question_id"]: row["n"] for row in answered}
    return tuple(
        LabelCount(label=question.text, count=counts.get(question.pk, 0), key=str(question.pk))
        for question in consultation.questions.all().order_by("sort_order", "pk")
    )


def answer_tallies(
    *, consultation: ConsultationPage, responses: QuerySet[Response]
) -> tuple[AnswerTally, ...]:
    """For each choice and agreement-scale question: how many chose each option.

    Options are counted as recorded; a recorded value no longer among the question's
    options (the officer edited them) is still counted, after the current ones.
    """
    tallies = []
    questions = consultation.questions.filter(
        kind__in=[
            QuestionKind.SINGLE_CHOICE,
            QuestionKind.MULTIPLE_CHOICE,
            QuestionKind.AGREEMENT_SCALE,
        ]
    ).order_by("sort_order", "pk")
    for question in questions:
        counts: dict[str, int] = dict.fromkeys(question.choices, 0)
        answered = 0
        for choices in Answer.objects.filter(
            question=question, response__in=responses.order_by().values("pk")
        ).values_list("choices", flat=True):
            if not choices:
                continue
            answered += 1
            for choice in dict.fromkeys(choices):
                counts[choice] = counts.get(choice, 0) + 1
        tallies.append(
            AnswerTally(
                question_id=question.pk,
                question_text=question.text,
                kind=question.kind,
                answered=answered,
                rows=tuple(LabelCount(label=label, count=count) for label, count in counts.items()),
            )
        )
    return tuple(tallies)


def figures_sentiment(*, responses: QuerySet[Response]) -> tuple[LabelCount, ...]:
    rows = (
        ResponseAnalysis.objects.filter(response__in=responses.order_by().values("pk"))
        .values("sentiment_label")
        .annotate(n=Count("pk"))
    )
    counts = {row["sentiment_label"]: row["n"] for row in rows}
    return tuple(
        LabelCount(label=str(label), count=counts.get(key, 0), key=key)
        for key, label in SENTIMENT_LABELS
        # A row of nothing "not analysed" would only puzzle a reader.
        if key != NOT_ANALYSED or counts.get(key)
    )


def themes_live(*, consultation: ConsultationPage) -> QuerySet[Theme]:
    return Theme.objects.filter(consultation=consultation, is_merged_into__isnull=True)


def _words_field(*, public: bool, original_words: bool) -> str:
    return "text" if original_words and not public else "published_text"


def figures_themes(
    *,
    consultation: ConsultationPage,
    responses: QuerySet[Response],
    public: bool,
    original_words: bool = False,
) -> tuple[ThemeFigure, ...]:
    words = _words_field(public=public, original_words=original_words)
    wording = dict(responses.order_by().values_list("pk", words))
    result = []
    for theme in themes_live(consultation=consultation).order_by("sort_order", "pk"):
        members = list(
            theme.memberships.filter(response_id__in=wording.keys()).values_list(
                "response_id", flat=True
            )
        )
        if not members:
            continue
        quotes: list[str] = []
        quote_ids: list[int] = []
        if theme.centroid:
            centre = np.frombuffer(bytes(theme.centroid), dtype=np.float32)
            rows = ResponseAnalysis.objects.filter(response_id__in=members).values_list(
                "response_id", "embedding"
            )
            scored = sorted(
                (
                    -float(np.frombuffer(bytes(embedding), dtype=np.float32) @ centre),
                    response_id,
                )
                for response_id, embedding in rows
            )
            seen: set[str] = set()
            for _score, response_id in scored:
                text = wording.get(response_id, "").strip()
                folded = " ".join(text.lower().split())
                if text and folded not in seen:
                    seen.add(folded)
                    quotes.append(text)
                    quote_ids.append(response_id)
                if len(quotes) == QUOTES_PER_THEME:
                    break
        result.append(
            ThemeFigure(
                theme_id=theme.pk,
                label=theme.display_label,
                count=len(members),
                terms=tuple(theme.terms),
                quotes=tuple(quotes),
                quote_ids=tuple(quote_ids),
            )
        )
    result.sort(key=lambda figure: (-figure.count, figure.theme_id))
    return tuple(result)


def figures_campaigns(
    *,
    consultation: ConsultationPage,
    responses: QuerySet[Response],
    public: bool,
    original_words: bool = False,
) -> tuple[CampaignFigure, ...]:
    in_scope = set(responses.order_by().values_list("pk", flat=True))
    result = []
    for group in CampaignGroup.objects.filter(consultation=consultation).order_by("-count", "pk"):
        members = [
            pk for pk in group.members.values_list("response_id", flat=True) if pk in in_scope
        ]
        if len(members) < 2:
            continue
        if public or not original_words:
            texts = dict(responses.filter(pk__in=members).values_list("pk", "published_text"))
            # A None representative_id (no representative) is simply a miss here.
            representative_id: int | None = next(
                (
                    pk
                    for pk in (cast(int, group.representative_id), *sorted(texts))
                    if texts.get(pk)
                ),
                None,
            )
            representative = texts[representative_id] if representative_id is not None else ""
        else:
            representative_id = group.representative_id
            representative = group.representative_text
        result.append(
            CampaignFigure(
                count=len(members),
                representative_text=representative,
                representative_id=representative_id,
            )
        )
    return tuple(result)


def consultation_figures(
    *, consultation: ConsultationPage, public: bool, original_words: bool = False
) -> ConsultationFigures:
    """Every figure of a consultation's summary; see the note above on ``public`` and
    ``original_words``."""

    responses = figures_responses(consultation=consultation, public=public)
    words = _words_field(public=public, original_words=original_words)
    texts = [text for text in responses.order_by("pk").values_list(words, flat=True) if text]
    return ConsultationFigures(
        public=public,
        total=responses.count(),
        by_channel=figures_by_channel(responses=responses),
        by_day=figures_by_day(responses=responses),
        by_question=figures_by_question(consultation=consultation, responses=responses),
        answer_tallies=answer_tallies(consultation=consultation, responses=responses),
        top_terms=tuple(
            LabelCount(label=term.term, count=term.count) for term in top_terms(texts, n=15)
        ),
        language_mix=tuple(
            LabelCount(label=item.language, count=item.count) for item in language_mix(texts)
        ),
        sentiment=figures_sentiment(responses=responses),
        themes=figures_themes(
            consultation=consultation,
            responses=responses,
            public=public,
            original_words=original_words,
        ),
        campaigns=figures_campaigns(
            consultation=consultation,
            responses=responses,
            public=public,
            original_words=original_words,
        ),
        last_run=AnalysisRun.objects.filter(consultation=consultation).first(),
    )
