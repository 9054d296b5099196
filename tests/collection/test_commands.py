"""The collect_replies and collect_loop commands (import_responses: tests/record)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from connectors.models import CollectionState
from engagement.record.models import Response


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- collect_replies / collect_loop ------------------------------------------------------


def test_collect_replies_backfills_one_consultation_and_reports_per_channel(announced):
    replies = {announced.reply(announced.root_id, f"c{n}", f"Reply {n}") for n in range(3)}
    announced.settle()

    out, _ = _run("collect_replies", "--consultation", announced.page.slug, "--since", "2020-01-01")

    assert "3 new" in out and "caught up" in out
    recorded = set(
        Response.objects.filter(consultation=announced.page).values_list("external_id", flat=True)
    )
    assert recorded == replies


def test_collect_replies_refuses_an_unknown_consultation_or_a_bad_date(announced):
    with pytest.raises(CommandError, match="No consultation"):
        _run("collect_replies", "--consultation", "no-such-thing")
    with pytest.raises(CommandError, match="not a date"):
        _run("collect_replies", "--consultation", announced.page.slug, "--since", "last week")


@pytest.mark.parametrize("network", ["mastodon"])
def test_one_iteration_of_the_demo_loop_collects_what_is_due(announced):
    reply = announced.reply(announced.root_id, "demo", "Posted on the sandbox page.")

    out, _ = _run("collect_loop", "--once")

    assert "1 new responses" in out
    assert Response.objects.filter(external_id=reply, consultation=announced.page).exists()
    # Polled: not due again until its interval has passed.
    state = CollectionState.objects.get(consultation=announced.page)
    assert state.next_poll_at > timezone.now()
    out, _ = _run("collect_loop", "--once")
    assert "0 polls" in out
