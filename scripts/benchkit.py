"""Shared by the benchmark scripts: time and peak memory of a stage, and a bench consultation.

Not a benchmark itself (``make bench`` runs ``scripts/bench_*.py``).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    # Writing 5 to clear_refs resets the kernel's high-water mark (VmHWM) for this process.
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class Measurement:
    result: Any
    seconds: float
    peak_mib: float
    growth_mib: float


def measure(run: Callable[[], Any]) -> Measurement:
    """Run once; the peak is this stage's own where the kernel allows resetting it."""
    own_peak = _reset_peak()
    before = _status_kib("VmRSS") or 0
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    peak = (
        (_status_kib("VmHWM") or 0)
        if own_peak
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    )
    return Measurement(result, seconds, peak / 1024, (peak - before) / 1024)


def bench_consultation(*, title: str = "Bench", opened_days_ago: int = 1, publish: bool = False):
    """A fresh department and open consultation to fill with bench rows (Django set up)."""
    from cms.management.commands.seed_demo import ensure_home_page
    from consultations.models import ConsultationIndexPage, ConsultationPage, Department

    stamp = time.time_ns()
    department = Department.objects.create(name=f"Bench {stamp}", slug=f"bench-{stamp}")
    index = ConsultationIndexPage.objects.first() or ensure_home_page().add_child(
        instance=ConsultationIndexPage(title="Consultations", slug="consultations")
    )
    now = datetime.now(tz=UTC)
    page = index.add_child(
        instance=ConsultationPage(
            title=title,
            slug=f"bench-{stamp}",
            summary="Bench",
            department=department,
            opens_at=now - timedelta(days=opened_days_ago),
            closes_at=now + timedelta(days=1),
        )
    )
    if publish:
        page.save_revision().publish()
    return page
