"""What a poll or a sweep reports: how far it got and why it stopped."""

from __future__ import annotations

from dataclasses import dataclass


class StopReason:
    CAUGHT_UP = ""
    NOTHING_TO_COLLECT = "nothing_to_collect"
    BUSY = "busy"
    RATE_LIMITED = "rate_limited"
    READ_BUDGET = "read_budget"
    RATE_BUDGET = "rate_budget"
    QUOTA = "quota"
    PAGE_LIMIT = "page_limit"
    ERROR = "error"


@dataclass
class CollectOutcome:
    pages: int = 0
    created: int = 0
    already_recorded: int = 0
    edited: int = 0
    quarantined: int = 0
    stopped_by: str = StopReason.CAUGHT_UP

    @property
    def complete(self) -> bool:
        return self.stopped_by == StopReason.CAUGHT_UP


@dataclass
class SweepOutcome:
    checked: int = 0
    withdrawn: int = 0
    stopped_by: str = ""
