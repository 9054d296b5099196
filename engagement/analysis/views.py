"""The public summary of a consultation's responses, and its figures as CSV.

Only public data: figures over ``public_responses()`` and their published words, plus the
accountability counts (numbers only).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat
from django.utils.translation import gettext, ngettext
from wagtail import hooks

from consultations.models import ConsultationPage, QuestionKind, department_ids_for_user
from consultations.permissions import user_may_read_original_words
from consultations.selectors import QuestionWords, consultation_public, question_words
from engagement.analysis import charts
from engagement.analysis.models import ThemeEdit
from engagement.analysis.selectors import (
    ConsultationFigures,
    LabelCount,
    ThemeFigure,
    consultation_figures,
    themes_live,
)
from engagement.analysis.services import (
    AnalysisError,
    response_theme_assign,
    theme_rename,
    theme_split,
    themes_merge,
)
from engagement.analysis.summaries import public_accountability, public_figures
from engagement.csv_cells import csv_cell_safe
from engagement.record.models import Response
from engagement.record.selectors import WeeklyAccountability, accountability_counts


def _consultation(slug: str) -> ConsultationPage:
    consultation = consultation_public(slug=slug)
    if consultation is None:
        raise Http404("No such consultation")
    return consultation


def _option_label(tally, recorded: str, labels: dict[str, str]) -> str:
    if recorded in labels:
        return labels[recorded]
    return gettext(recorded) if tally.kind == QuestionKind.AGREEMENT_SCALE else recorded


def summary_charts(
    figures: ConsultationFigures, *, words: dict[int, QuestionWords] | None = None
) -> list[dict]:
    """Each chart with its heading and data-table rows, in the order the page shows them.
    ``words``: the questions as the page's language asks them (``question_words``); the
    figures keep the consultation's own words, which the open data publishes."""
    words = words or {}
    sections: list[tuple[str, str, str, Sequence[LabelCount | ThemeFigure], Callable[..., str]]] = [
        (
            "over-time",
            gettext("Responses over time"),
            gettext("Day"),
            figures.by_day,
            charts.column_chart,
        ),
        (
            "by-channel",
            gettext("Responses by channel"),
            gettext("Channel"),
            figures.by_channel,
            charts.bar_chart,
        ),
        (
            "by-theme",
            gettext("Responses by theme"),
            gettext("Theme"),
            figures.themes,
            charts.bar_chart,
        ),
        (
            "sentiment",
            gettext("Sentiment of responses"),
            gettext("Sentiment"),
            figures.sentiment,
            charts.bar_chart,
        ),
    ]
    result = []
    for chart_id, title, column, rows, draw in sections:
        result.append(
            {
                "id": chart_id,
                "title": title,
                "column": column,
                "rows": [{"label": row.label, "count": row.count} for row in rows],
                "svg": draw(chart_id=f"chart-{chart_id}", title=title, rows=rows),
            }
        )
    for position, tally in enumerate(figures.answer_tallies, start=1):
        chart_id = f"answers-{position}"
        asked = words.get(tally.question_id)
        if asked is not None or tally.kind == QuestionKind.AGREEMENT_SCALE:
            labels = asked.labels if asked is not None else {}
            # The agreement scale's options are recorded in English, shown through the catalogue.
            tally = replace(
                tally,
                question_text=asked.text if asked is not None else tally.question_text,
                rows=tuple(
                    replace(row, label=_option_label(tally, row.label, labels))
                    for row in tally.rows
                ),
            )
        result.append(
            {
                "id": chart_id,
                "title": tally.question_text,
                "column": gettext("Answer"),
                "caption": ngettext("%(count)s answered", "%(count)s answered", tally.answered)
                % {"count": tally.answered},
                "rows": [{"label": row.label, "count": row.count} for row in tally.rows],
                "svg": charts.bar_chart(
                    chart_id=f"chart-{chart_id}", title=tally.question_text, rows=tally.rows
                ),
            }
        )
    return result


def ledger_segments() -> tuple[charts.Segment, ...]:
    """What became of the responses, bottom of each column first; GOV.UK colours. Named in
    the language of the page drawing them."""
    return (
        charts.Segment(gettext("Published"), "#1d70b8"),
        charts.Segment(gettext("Awaiting moderation"), "#b1b4b6"),
        charts.Segment(gettext("Not published"), "#d4351c"),
        charts.Segment(gettext("Withdrawn"), "#4c2c92"),
        charts.Segment(gettext("Erased"), "#0b0c0c"),
    )


def ledger_chart(weeks: Sequence[WeeklyAccountability]) -> dict:
    title = gettext("What became of the responses, by week received")
    columns = [
        (
            # Django's month abbreviations, in the page's language.
            dateformat.format(week.week_start, "j M"),
            (
                week.counts.published,
                week.counts.pending,
                week.counts.hidden,
                week.counts.withdrawn,
                week.counts.erased,
            ),
        )
        for week in weeks
    ]
    return {
        "weeks": weeks,
        "svg": charts.stacked_column_chart(
            chart_id="chart-ledger", title=title, segments=ledger_segments(), columns=columns
        ),
    }


def consultation_summary(request, slug: str):
    consultation = _consultation(slug)
    summary = public_figures(consultation=consultation)
    figures = summary.figures
    accountability = public_accountability(consultation=consultation)
    return render(
        request,
        "analysis/summary/summary.html",
        {
            "consultation": consultation,
            "summary": summary,
            "figures": figures,
            "counts": accountability.counts,
            "charts": (
                summary_charts(figures, words=question_words(consultation)) if figures else []
            ),
            "ledger": {
                **ledger_chart(accountability.weeks),
                "csv_url": reverse("consultation_ledger_csv", kwargs={"slug": consultation.slug}),
            },
            # Apps above this one add to the summary (connectors: engagement per post).
            **summary_contributions(consultation),
        },
    )


def consultation_summary_csv(request, slug: str):
    consultation = _consultation(slug)
    summary = public_figures(consultation=consultation)
    figures = summary.figures
    if figures is None:
        # Being prepared in the background: say so, rather than a spreadsheet missing rows.
        unavailable = HttpResponse(
            gettext(
                "The figures for this summary are being prepared. Check again in a few minutes."
            ),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        unavailable["Retry-After"] = "60"
        return unavailable
    counts = public_accountability(consultation=consultation).counts
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{consultation.slug}-summary.csv"'
    writer = csv.writer(response)
    writer.writerow(["section", "label", "count"])
    if summary.updating and summary.as_of is not None:
        writer.writerow(["figures_as_of", summary.as_of.isoformat(), ""])
    for label, value in (
        ("collected", counts.collected),
        ("published", counts.published),
        ("pending", counts.pending),
        ("hidden", counts.hidden),
        ("withdrawn", counts.withdrawn),
        ("erased", counts.erased),
    ):
        writer.writerow(["totals", label, value])
    for section, rows in (
        ("day", figures.by_day),
        ("channel", figures.by_channel),
        ("question_answered", figures.by_question),
        ("theme", figures.themes),
        ("sentiment", figures.sentiment),
        ("top_term", figures.top_terms),
        ("language", figures.language_mix),
    ):
        for row in rows:
            label = row.key if section == "day" and isinstance(row, LabelCount) else row.label
            writer.writerow([section, csv_cell_safe(label), row.count])
    for tally in figures.answer_tallies:
        for row in tally.rows:
            writer.writerow(
                [
                    f"answers: {csv_cell_safe(tally.question_text)}",
                    csv_cell_safe(row.label),
                    row.count,
                ]
            )
    for campaign in figures.campaigns:
        writer.writerow(["campaign", csv_cell_safe(campaign.representative_text), campaign.count])
    return response


# --- Officer dashboard (in the Wagtail admin; registered in engagement.analysis.wagtail_hooks) ---


def user_may_analyse(user) -> bool:
    return bool(user.is_active and (user.is_superuser or user.has_perm("record.export_response")))


def _officer_consultations(user):
    pages = ConsultationPage.objects.all().select_related("department").order_by("-opens_at")
    if user.is_superuser:
        return pages
    return pages.filter(department_id__in=department_ids_for_user(user))


def _require_analyst(request) -> None:
    if not user_may_analyse(request.user):
        raise PermissionDenied


def dashboard_index(request):
    _require_analyst(request)
    rows = [
        (consultation, accountability_counts(consultation=consultation))
        for consultation in _officer_consultations(request.user)[:50]
    ]
    return render(request, "analysis/dashboard/index.html", {"rows": rows})


def _theme_action(request, consultation) -> str:
    """Apply one analyst edit from the dashboard's forms; returns the message to show."""
    themes = themes_live(consultation=consultation)
    action = request.POST.get("action", "")
    theme = themes.filter(pk=request.POST.get("theme") or 0).first()
    if theme is None:
        raise AnalysisError("Choose a theme.")
    if action == "rename":
        theme_rename(theme=theme, label=request.POST.get("label", ""), user=request.user)
        return f"Renamed the theme to “{theme.display_label}”."
    if action == "merge":
        into = themes.filter(pk=request.POST.get("into") or 0).first()
        if into is None:
            raise AnalysisError("Choose the theme to merge into.")
        themes_merge(themes=[theme], into=into, user=request.user)
        return f"Merged into “{into.display_label}”."
    references = [value.strip().upper() for value in request.POST.get("references", "").split()]
    responses = list(Response.objects.filter(consultation=consultation, reference__in=references))
    missing = sorted(set(references) - {response.reference for response in responses})
    if not references or missing:
        raise AnalysisError(
            "Enter response references of this consultation"
            + (f" (not found: {', '.join(missing)})" if missing else "")
            + "."
        )
    if action == "split":
        new = theme_split(
            theme=theme,
            response_ids=[response.pk for response in responses],
            label=request.POST.get("label", ""),
            user=request.user,
        )
        return f"Made the theme “{new.display_label}”."
    if action == "assign":
        for response in responses:
            response_theme_assign(response=response, theme=theme, user=request.user)
        return f"Assigned {len(responses)} response(s) to “{theme.display_label}”."
    raise AnalysisError("Unknown action.")


def dashboard_consultation(request, pk: int):
    _require_analyst(request)
    consultation = get_object_or_404(_officer_consultations(request.user), pk=pk)
    if request.method == "POST":
        try:
            messages.success(request, _theme_action(request, consultation))
        except AnalysisError as error:
            messages.error(request, str(error))
        return redirect(request.path)
    original_words = user_may_read_original_words(request.user, consultation)
    figures = consultation_figures(
        consultation=consultation, public=False, original_words=original_words
    )
    themes = list(themes_live(consultation=consultation).order_by("sort_order", "pk"))
    return render(
        request,
        "analysis/dashboard/consultation.html",
        {
            "consultation": consultation,
            "figures": figures,
            "counts": accountability_counts(consultation=consultation),
            "charts": summary_charts(figures),
            "themes": themes,
            "theme_figures": {figure.theme_id: figure for figure in figures.themes},
            "edits": ThemeEdit.objects.filter(theme__consultation=consultation).select_related(
                "theme", "edited_by"
            )[:20],
            "runs": consultation.analysis_runs.all()[:5],
            "original_words": original_words,
            # Apps above this one add to the dashboard (connectors: engagement per post).
            **dashboard_contributions(consultation),
        },
    )


DASHBOARD_CONTEXT_HOOK = "analysis_dashboard_context"


SUMMARY_CONTEXT_HOOK = "analysis_summary_context"


def summary_contributions(consultation: ConsultationPage) -> dict:
    context: dict = {}
    for contribute in hooks.get_hooks(SUMMARY_CONTEXT_HOOK):
        context.update(contribute(consultation))
    return context


def dashboard_contributions(consultation: ConsultationPage) -> dict:
    context: dict = {}
    for contribute in hooks.get_hooks(DASHBOARD_CONTEXT_HOOK):
        context.update(contribute(consultation))
    return context
