"""CSV cells a spreadsheet shows as text: the one escaper for every CSV the hub serves.

A leaf module (it imports nothing of the hub's), so any layer may use it.
"""

from __future__ import annotations

from typing import Any

# OWASP "CSV injection": a spreadsheet runs a cell starting with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell_safe(value: Any) -> str:
    """The value as a CSV cell a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text
