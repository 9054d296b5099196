"""Reads of the record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate

from consultations.models import ConsultationPage, QuestionKind, department_ids_for_user
from engagement.models import (
    AnalysisRun,
    Answer,
    CampaignGroup,
    Channel,
    ModerationReason,
    ModerationState,
    Response,
    ResponseAnalysis,
    Theme,
)


def responses_for_consultation(*, consultation_id: int) -> QuerySet[Response]:
    return (
        Response.objects.filter(consultation_id=consultation_id)
        .select_related("respondent")
        .prefetch_related("answers")
        .order_by("-received_at")
    )


def response_count_for_consultation(*, consultation_id: int) -> int:
    return Response.objects.filter(consultation_id=consultation_id).count()


# --- The public record -------------------------------------------------------------------


_PUBLISHABLE_ANSWERS = Answer.objects.filter(response=OuterRef("pk")).filter(
    ~Q(published_text="") | ~Q(choices=[])
)
_HAS_PUBLISHABLE_CONTENT = ~Q(published_text="") | Q(Exists(_PUBLISHABLE_ANSWERS))


def public_responses(*, consultation: ConsultationPage | None = None) -> QuerySet[Response]:
    """The responses the public may see: the ONE definition of "public".

    Approved, not withdrawn, on a live (published) consultation page, and with
    something to show: a non-empty ``published_text`` or an answer with published
    words or choices. Whatever renders these must show only ``published_text``
    (and answers' ``published_text`` and ``choices``), never ``text``.
    """
    responses = Response.objects.filter(
        moderation_state=ModerationState.APPROVED,
        withdrawn_at__isnull=True,
        consultation__live=True,
    ).filter(_HAS_PUBLISHABLE_CONTENT)
    if consultation is not None:
        responses = responses.filter(consultation=consultation)
    return responses.select_related("respondent").order_by("-received_at", "-pk")


# An approved response with nothing left to publish (e.g. empty once redacted) is
# counted as held back under this key, so the accountability figures still add up.
NOTHING_TO_PUBLISH = "nothing_to_publish"
# A hidden response recorded without one of the fixed reasons (legacy rows).
REASON_NOT_RECORDED = "not_recorded"
HIDDEN_REASON_LABELS: dict[str, str] = {
    **{value: str(label) for value, label in ModerationReason.choices},
    NOTHING_TO_PUBLISH: "Nothing left to publish",
    REASON_NOT_RECORDED: "Reason not recorded",
}


@dataclass(frozen=True)
class AccountabilityCounts:
    """What happened to every response collected: ``collected`` is always
    ``published + pending + hidden + withdrawn``, and ``hidden`` is the sum of
    ``hidden_by_reason`` (keys: ``HIDDEN_REASON_LABELS``; every ModerationReason is
    present, the two extra keys only when non-zero)."""

    collected: int
    published: int
    pending: int
    withdrawn: int
    hidden: int
    hidden_by_reason: dict[str, int] = field(default_factory=dict)

    def hidden_reasons(self) -> list[tuple[str, str, int]]:
        """(key, label, count) for each reason with at least one response, for display."""
        return [
            (key, HIDDEN_REASON_LABELS.get(key, key), count)
            for key, count in self.hidden_by_reason.items()
            if count
        ]


def accountability_counts(*, consultation: ConsultationPage) -> AccountabilityCounts:
    """How many responses were collected for a consultation and what became of each."""
    responses = Response.objects.filter(consultation=consultation)
    withdrawn = Q(withdrawn_at__isnull=False) | Q(moderation_state=ModerationState.WITHDRAWN)
    live = ~withdrawn
    hidden = live & Q(moderation_state=ModerationState.HIDDEN)
    approved = live & Q(moderation_state=ModerationState.APPROVED)
    # Unknown states (none today) count as pending: not yet decided, not public.
    pending = live & ~Q(moderation_state__in=[ModerationState.HIDDEN, ModerationState.APPROVED])
    figures = responses.aggregate(
        collected=Count("pk"),
        withdrawn=Count("pk", filter=withdrawn),
        pending=Count("pk", filter=pending),
        approved=Count("pk", filter=approved),
        published=Count("pk", filter=approved & _HAS_PUBLISHABLE_CONTENT),
        **{
            f"hidden_{value}": Count("pk", filter=hidden & Q(moderation_reason=value))
            for value in ModerationReason.values
        },
        hidden_without_reason=Count(
            "pk", filter=hidden & ~Q(moderation_reason__in=ModerationReason.values)
        ),
    )
    by_reason = {value: figures[f"hidden_{value}"] for value in ModerationReason.values}
    if figures["hidden_without_reason"]:
        by_reason[REASON_NOT_RECORDED] = figures["hidden_without_reason"]
    nothing_to_publish = figures["approved"] - figures["published"]
    if nothing_to_publish:
        by_reason[NOTHING_TO_PUBLISH] = nothing_to_publish
    # A response on an unpublished page is still counted as published here: the counts
    # describe moderation, and the page they are shown on is the consultation's own.
    return AccountabilityCounts(
        collected=figures["collected"],
        published=figures["published"],
        pending=figures["pending"],
        withdrawn=figures["withdrawn"],
        hidden=sum(by_reason.values()),
        hidden_by_reason=by_reason,
    )


# --- The moderation inbox (moderators only: these read the ORIGINAL text) -----------------


def consultations_moderated_by(*, user) -> QuerySet[ConsultationPage]:
    """The consultations whose responses ``user`` may moderate."""
    consultations = ConsultationPage.objects.all()
    if not user.is_superuser:
        if not user.has_perm("engagement.moderate_response"):
            return consultations.none()
        consultations = consultations.filter(department_id__in=department_ids_for_user(user))
    return consultations.order_by("-closes_at", "title")


@dataclass(frozen=True)
class InboxFilters:
    consultation_id: int | None = None
    channel: str = ""
    state: str = ""
    received_from: date | None = None
    received_to: date | None = None
    flagged: bool | None = None
    query: str = ""


def moderation_inbox(*, user, filters: InboxFilters) -> QuerySet[Response]:
    """The responses ``user`` may moderate that match ``filters``, oldest first.

    The search is a database ``icontains`` over the original words and the reference:
    the search index holds only public, published text, and moderators need to find
    what the public cannot see.
    """
    responses = Response.objects.filter(
        consultation__in=consultations_moderated_by(user=user).values("pk")
    )
    if filters.consultation_id:
        responses = responses.filter(consultation_id=filters.consultation_id)
    if filters.channel:
        responses = responses.filter(channel=filters.channel)
    if filters.state:
        responses = responses.filter(moderation_state=filters.state)
    if filters.received_from:
        responses = responses.filter(received_at__date__gte=filters.received_from)
    if filters.received_to:
        responses = responses.filter(received_at__date__lte=filters.received_to)
    if filters.flagged is True:
        responses = responses.exclude(flagged_terms=[])
    elif filters.flagged is False:
        responses = responses.filter(flagged_terms=[])
    if filters.query:
        answered = Answer.objects.filter(response=OuterRef("pk"), text__icontains=filters.query)
        responses = responses.filter(
            Q(text__icontains=filters.query)
            | Q(reference__iexact=filters.query)
            | Q(Exists(answered))
        )
    return (
        responses.select_related("consultation", "respondent", "moderated_by")
        .prefetch_related("answers", "decisions__decided_by")
        .order_by("received_at", "pk")
    )


# --- Figures for summaries and the dashboard (engagement.services.analysis writes them) ---
# ``public=True`` reads only public_responses() and their published words, for the public
# summary and its CSV; ``public=False`` reads every response still in the record, for
# officers. Withdrawn responses are never counted: their words are gone.


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


@dataclass(frozen=True)
class CampaignFigure:
    count: int
    representative_text: str  # public: a public member's published_text, or "" when none


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
SENTIMENT_LABELS = (("positive", "Positive"), ("neutral", "Neutral"), ("negative", "Negative"))


def figures_responses(*, consultation: ConsultationPage, public: bool) -> QuerySet[Response]:
    if public:
        return public_responses(consultation=consultation)
    return Response.objects.filter(consultation=consultation, withdrawn_at__isnull=True).exclude(
        moderation_state=ModerationState.WITHDRAWN
    )


def figures_by_channel(*, responses: QuerySet[Response]) -> tuple[LabelCount, ...]:
    labels = dict(Channel.choices)
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
            label=row["day"].strftime("%-d %b %Y"), count=row["n"], key=row["day"].isoformat()
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
        LabelCount(label=label, count=counts.get(key, 0), key=key)
        for key, label in SENTIMENT_LABELS
    )


def themes_live(*, consultation: ConsultationPage) -> QuerySet[Theme]:
    return Theme.objects.filter(consultation=consultation, is_merged_into__isnull=True)


def figures_themes(
    *, consultation: ConsultationPage, responses: QuerySet[Response], public: bool
) -> tuple[ThemeFigure, ...]:
    import numpy as np

    wording = dict(responses.order_by().values_list("pk", "published_text" if public else "text"))
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
                if len(quotes) == QUOTES_PER_THEME:
                    break
        result.append(
            ThemeFigure(
                theme_id=theme.pk,
                label=theme.display_label,
                count=len(members),
                terms=tuple(theme.terms),
                quotes=tuple(quotes),
            )
        )
    result.sort(key=lambda figure: (-figure.count, figure.theme_id))
    return tuple(result)


def figures_campaigns(
    *, consultation: ConsultationPage, responses: QuerySet[Response], public: bool
) -> tuple[CampaignFigure, ...]:
    in_scope = set(responses.order_by().values_list("pk", flat=True))
    result = []
    for group in CampaignGroup.objects.filter(consultation=consultation).order_by("-count", "pk"):
        members = [
            pk for pk in group.members.values_list("response_id", flat=True) if pk in in_scope
        ]
        if len(members) < 2:
            continue
        if public:
            texts = dict(responses.filter(pk__in=members).values_list("pk", "published_text"))
            representative = texts.get(group.representative_id) or next(
                (texts[pk] for pk in sorted(texts) if texts[pk]), ""
            )
        else:
            representative = group.representative_text
        result.append(CampaignFigure(count=len(members), representative_text=representative))
    return tuple(result)


def consultation_figures(*, consultation: ConsultationPage, public: bool) -> ConsultationFigures:
    """Every figure of a consultation's summary; see the note above on ``public``."""
    from engagement.analysis import language_mix, top_terms

    responses = figures_responses(consultation=consultation, public=public)
    texts = [
        text
        for text in responses.order_by("pk").values_list(
            "published_text" if public else "text", flat=True
        )
        if text
    ]
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
        themes=figures_themes(consultation=consultation, responses=responses, public=public),
        campaigns=figures_campaigns(consultation=consultation, responses=responses, public=public),
        last_run=AnalysisRun.objects.filter(consultation=consultation).first(),
    )


@dataclass(frozen=True)
class DeliveryEngagement:
    network: str
    handle: str
    kind: str
    url: str
    posted_at: object
    responses: int


def engagement_per_delivery(*, consultation: ConsultationPage) -> tuple[DeliveryEngagement, ...]:
    """Responses per delivered post: replies whose thread root is one of the post's parts."""
    from connectors.models import Delivery

    deliveries = (
        Delivery.objects.filter(consultation=consultation, delivered_at__isnull=False)
        .select_related("channel")
        .prefetch_related("posts")
        .order_by("delivered_at", "pk")
    )
    result = []
    for delivery in deliveries:
        parts = [post.external_id for post in delivery.posts.all()]
        result.append(
            DeliveryEngagement(
                network=delivery.channel.get_network_display(),
                handle=delivery.channel.handle,
                kind=delivery.get_kind_display(),
                url=delivery.first_url,
                posted_at=delivery.delivered_at,
                responses=Response.objects.filter(
                    consultation=consultation, root_external_id__in=parts
                ).count()
                if parts
                else 0,
            )
        )
    return tuple(result)
