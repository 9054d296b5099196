"""Accessible charts drawn on the server as SVG (no JavaScript).

Every chart is an ``<svg role="img">`` named by its ``<title>`` and described by its
``<desc>``, with each value written as text beside its bar, so nothing depends on colour
alone. Pages put a data table next to each chart as the alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# GOV.UK Design System colours.
BLUE = "#1d70b8"
TEXT = "#0b0c0c"
GREY = "#b1b4b6"
FONT = "GDS Transport, arial, sans-serif"

BAR_HEIGHT = 24
BAR_GAP = 10
LABEL_WIDTH = 260
CHART_WIDTH = 640


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def _bars(rows: Sequence) -> list[Bar]:
    return [Bar(label=str(row.label), value=int(row.count)) for row in rows]


def _shorten(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _describe(bars: Sequence[Bar], unit: str) -> str:
    return "; ".join(f"{bar.label}: {bar.value} {unit}" for bar in bars) or "No data yet"


def bar_chart(*, chart_id: str, title: str, rows: Sequence, unit: str = "responses") -> SafeString:
    """Horizontal bars, one per row (objects with ``label`` and ``count``), values written."""
    bars = _bars(rows)
    largest = max((bar.value for bar in bars), default=0) or 1
    plot_width = CHART_WIDTH - LABEL_WIDTH - 70
    height = max(len(bars), 1) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    parts = [
        f'<svg class="hub-chart" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(_describe(bars, unit))}</desc>',
        f'<g font-family="{FONT}" font-size="16" fill="{TEXT}">',
    ]
    if not bars:
        parts.append(f'<text x="0" y="{BAR_HEIGHT}">No data yet</text>')
    for position, bar in enumerate(bars):
        top = BAR_GAP + position * (BAR_HEIGHT + BAR_GAP)
        width = round(plot_width * bar.value / largest, 1)
        middle = top + BAR_HEIGHT / 2 + 5
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end">'
            f"{escape(_shorten(bar.label))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{top}" width="{width}" height="{BAR_HEIGHT}" '
            f'fill="{BLUE}" stroke="{TEXT}" stroke-width="0"></rect>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{middle}" font-weight="bold">'
            f"{bar.value}</text>"
        )
    parts.append(
        f'<line x1="{LABEL_WIDTH}" y1="0" x2="{LABEL_WIDTH}" y2="{height}" stroke="{TEXT}"/>'
    )
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)


def column_chart(
    *, chart_id: str, title: str, rows: Sequence, unit: str = "responses"
) -> SafeString:
    """Columns over time, left to right; the first, last and busiest days are named."""
    bars = _bars(rows)
    largest = max((bar.value for bar in bars), default=0) or 1
    height, axis = 260, 210
    left, right = 40, CHART_WIDTH - 10
    step = (right - left) / max(len(bars), 1)
    column = max(min(step * 0.7, 40), 2)
    parts = [
        f'<svg class="hub-chart" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(_describe(bars, unit))}</desc>',
        f'<g font-family="{FONT}" font-size="14" fill="{TEXT}">',
        f'<line x1="{left}" y1="{axis}" x2="{right}" y2="{axis}" stroke="{TEXT}"/>',
    ]
    if not bars:
        parts.append(f'<text x="{left}" y="{axis - 10}">No data yet</text>')
    busiest = max(range(len(bars)), key=lambda i: (bars[i].value, -i), default=None)
    labelled = {0, len(bars) - 1}
    # The busiest day is named too, unless its label would overlap an end's.
    if busiest is not None and min(busiest, len(bars) - 1 - busiest) * step >= 100:
        labelled.add(busiest)
    for position, bar in enumerate(bars):
        bar_height = round((axis - 30) * bar.value / largest, 1)
        x = left + position * step + (step - column) / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{axis - bar_height}" width="{column:.1f}" '
            f'height="{bar_height}" fill="{BLUE}"></rect>'
        )
        centre = x + column / 2
        # Values fit above every column up to about twenty; beyond, the table has them.
        if position in labelled or len(bars) <= 20:
            parts.append(
                f'<text x="{centre:.1f}" y="{axis - bar_height - 6}" text-anchor="middle" '
                f'font-weight="bold">{bar.value}</text>'
            )
        if position in labelled:
            parts.append(
                f'<text x="{centre:.1f}" y="{axis + 20}" text-anchor="middle">'
                f"{escape(bar.label)}</text>"
            )
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)


@dataclass(frozen=True)
class Segment:
    """One part of a stacked column: what it counts, and its colour in the legend."""

    label: str
    colour: str


def stacked_column_chart(
    *,
    chart_id: str,
    title: str,
    segments: Sequence[Segment],
    columns: Sequence[tuple[str, Sequence[int]]],
    unit: str = "responses",
) -> SafeString:
    """Columns over time, each split into ``segments`` (bottom first), its total written
    above it and a legend below; ``columns`` are (label, one value per segment). The
    description and the page's data table give every value, so no colour is needed to
    read it."""
    totals = [sum(values) for _label, values in columns]
    largest = max(totals, default=0) or 1
    legend_rows = (len(segments) + 2) // 3
    axis = 210
    height = axis + 40 + legend_rows * 24
    left, right = 40, CHART_WIDTH - 10
    step = (right - left) / max(len(columns), 1)
    width = max(min(step * 0.7, 40), 2)
    description = "; ".join(
        f"{label}: {total} {unit} ("
        + ", ".join(
            f"{segment.label} {value}" for segment, value in zip(segments, values, strict=True)
        )
        + ")"
        for (label, values), total in zip(columns, totals, strict=True)
    )
    parts = [
        f'<svg class="hub-chart" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description or "No data yet")}</desc>',
        f'<g font-family="{FONT}" font-size="14" fill="{TEXT}">',
        f'<line x1="{left}" y1="{axis}" x2="{right}" y2="{axis}" stroke="{TEXT}"/>',
    ]
    if not columns:
        parts.append(f'<text x="{left}" y="{axis - 10}">No data yet</text>')
    for position, ((label, values), total) in enumerate(zip(columns, totals, strict=True)):
        x = left + position * step + (step - width) / 2
        top = float(axis)
        for segment, value in zip(segments, values, strict=True):
            if not value:
                continue
            segment_height = round((axis - 30) * value / largest, 1)
            top -= segment_height
            # A white edge between segments keeps neighbouring colours apart.
            parts.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{width:.1f}" height="{segment_height}" '
                f'fill="{segment.colour}" stroke="#ffffff" stroke-width="1"></rect>'
            )
        centre = x + width / 2
        if len(columns) <= 20 or position in (0, len(columns) - 1):
            parts.append(
                f'<text x="{centre:.1f}" y="{top - 6:.1f}" text-anchor="middle" '
                f'font-weight="bold">{total}</text>'
            )
        if position in (0, len(columns) - 1):
            parts.append(
                f'<text x="{centre:.1f}" y="{axis + 20}" text-anchor="middle">{escape(label)}</text>'
            )
    for position, segment in enumerate(segments):
        row, column = divmod(position, 3)
        x, y = left + column * 200, axis + 40 + row * 24
        parts.append(
            f'<rect x="{x}" y="{y - 12}" width="14" height="14" fill="{segment.colour}" '
            f'stroke="{TEXT}" stroke-width="1"></rect>'
            f'<text x="{x + 20}" y="{y}">{escape(segment.label)}</text>'
        )
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)
