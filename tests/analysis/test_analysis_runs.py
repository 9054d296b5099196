"""Analysis runs over the record: tallies, themes across re-runs, analysts' edits, campaigns."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from engagement.analysis.models import (
    AnalysisRunStatus,
    ResponseAnalysis,
    Theme,
    ThemeAssignedBy,
    ThemeEdit,
    ThemeMembership,
)
from engagement.analysis.selectors import answer_tallies, consultation_figures, figures_responses
from engagement.analysis.services import (
    AnalysisError,
    analysis_run,
    response_theme_assign,
    theme_rename,
    theme_split,
    themes_merge,
)
from engagement.record.models import ModerationState
from tests.factories.consultations import UserFactory
from tests.factories.record import ResponseFactory

pytestmark = pytest.mark.django_db


def _partition(consultation) -> dict[int, frozenset[int]]:
    return {
        theme.pk: frozenset(theme.memberships.values_list("response_id", flat=True))
        for theme in Theme.objects.filter(consultation=consultation, is_merged_into__isnull=True)
    }


def _expected_tally(seeded, question_text, response_ids) -> Counter:
    expected = Counter()
    for response_id, chosen in seeded.choices[question_text].items():
        if response_id in response_ids:
            expected.update(set(chosen))
    return expected


@pytest.mark.parametrize("public", [True, False])
def test_answer_tallies_match_the_recorded_answers_exactly(seeded, public):
    in_scope = {r.pk for r in seeded.responses if not public or r.pk not in seeded.hidden_ids}
    responses = figures_responses(consultation=seeded.consultation, public=public)

    tallies = answer_tallies(consultation=seeded.consultation, responses=responses)

    assert len(tallies) == 3
    for tally in tallies:
        counted = Counter({row.label: row.count for row in tally.rows if row.count})
        assert counted == _expected_tally(seeded, tally.question_text, in_scope)
        answered = sum(
            1
            for pk, chosen in seeded.choices[tally.question_text].items()
            if chosen and pk in in_scope
        )
        assert tally.answered == answered


def test_channel_and_day_counts_add_up_to_the_public_total(seeded):
    figures = consultation_figures(consultation=seeded.consultation, public=True)

    public_count = len(seeded.responses) - len(seeded.hidden_ids)
    assert figures.total == public_count
    assert sum(row.count for row in figures.by_channel) == public_count
    assert sum(row.count for row in figures.by_day) == public_count


def test_a_rerun_embeds_only_new_or_edited_responses(seeded):
    first = analysis_run(consultation=seeded.consultation, seed=0)
    assert first.status == AnalysisRunStatus.SUCCEEDED
    assert first.responses_embedded == len(seeded.responses)

    again = analysis_run(consultation=seeded.consultation, seed=0)
    assert again.responses_embedded == 0

    edited = seeded.responses[0]
    edited.text = "The buses never come on Sundays, please fix the timetable."
    edited.save()
    ResponseFactory(consultation=seeded.consultation, text="Cycle lanes would help my commute.")
    third = analysis_run(consultation=seeded.consultation, seed=0)
    assert third.responses_embedded == 2
    assert ResponseAnalysis.objects.filter(response__consultation=seeded.consultation).count() == (
        len(seeded.responses) + 1
    )


def test_themes_are_stable_across_reruns_with_the_same_seed(seeded):
    analysis_run(consultation=seeded.consultation, seed=0)
    first = _partition(seeded.consultation)
    assert len(first) >= 2

    analysis_run(consultation=seeded.consultation, seed=0)

    assert _partition(seeded.consultation) == first


def test_themes_from_scratch_are_the_same_with_the_same_seed(seeded):
    analysis_run(consultation=seeded.consultation, seed=0)
    first = sorted(_partition(seeded.consultation).values(), key=sorted)
    Theme.objects.filter(consultation=seeded.consultation).delete()
    ResponseAnalysis.objects.filter(response__consultation=seeded.consultation).delete()

    analysis_run(consultation=seeded.consultation, seed=0)

    assert sorted(_partition(seeded.consultation).values(), key=sorted) == first


def test_an_analysts_rename_and_merge_survive_a_rerun(seeded):
    analyst = UserFactory()
    analysis_run(consultation=seeded.consultation, seed=0)
    kept, absorbed = list(Theme.objects.filter(consultation=seeded.consultation))[:2]
    absorbed_members = set(absorbed.memberships.values_list("response_id", flat=True))
    theme_rename(theme=kept, label="Buses and getting about", user=analyst)
    themes_merge(themes=[kept, absorbed], into=kept, user=analyst)
    ResponseFactory(consultation=seeded.consultation, text="More buses to the villages please.")

    analysis_run(consultation=seeded.consultation, seed=0)

    kept.refresh_from_db()
    absorbed.refresh_from_db()
    assert kept.display_label == "Buses and getting about"
    assert absorbed.is_merged_into_id == kept.pk
    kept_members = set(kept.memberships.values_list("response_id", flat=True))
    assert len(absorbed_members & kept_members) >= 0.9 * len(absorbed_members)
    assert list(ThemeEdit.objects.filter(theme=kept).values_list("action", flat=True)) == [
        "merge",
        "rename",
    ]


def test_an_analysts_assignment_is_never_overwritten_by_the_model(seeded):
    analyst = UserFactory()
    analysis_run(consultation=seeded.consultation, seed=0)
    first, second = list(Theme.objects.filter(consultation=seeded.consultation))[:2]
    response = first.memberships.first().response
    response_theme_assign(response=response, theme=second, user=analyst)

    analysis_run(consultation=seeded.consultation, seed=0)

    memberships = ThemeMembership.objects.filter(response=response)
    assert [(m.theme_id, m.assigned_by) for m in memberships] == [
        (second.pk, ThemeAssignedBy.ANALYST)
    ]


def test_a_split_theme_keeps_its_analyst_members_after_a_rerun(seeded):
    analyst = UserFactory()
    analysis_run(consultation=seeded.consultation, seed=0)
    theme = Theme.objects.filter(consultation=seeded.consultation).first()
    moving = list(theme.memberships.values_list("response_id", flat=True)[:3])

    new = theme_split(theme=theme, response_ids=moving, label="Parking", user=analyst)
    analysis_run(consultation=seeded.consultation, seed=0)

    assert set(new.memberships.values_list("response_id", flat=True)) == set(moving)
    assert Theme.objects.get(pk=new.pk).display_label == "Parking"


def test_theme_edits_refuse_bad_input_with_a_clear_error(seeded):
    analyst = UserFactory()
    analysis_run(consultation=seeded.consultation, seed=0)
    theme = Theme.objects.filter(consultation=seeded.consultation).first()

    with pytest.raises(AnalysisError, match="name"):
        theme_rename(theme=theme, label="  ", user=analyst)
    with pytest.raises(AnalysisError, match="other theme"):
        themes_merge(themes=[theme], into=theme, user=analyst)
    assert Theme.objects.get(pk=theme.pk).analyst_label == ""


def test_campaign_letters_are_found_as_one_group(seeded):
    run = analysis_run(consultation=seeded.consultation, seed=0)

    figures = consultation_figures(consultation=seeded.consultation, public=False)
    assert run.campaign_groups_found >= 1
    largest = figures.campaigns[0]
    assert largest.count >= 0.9 * len(seeded.campaign_ids)
    grouped = set(
        ResponseAnalysis.objects.filter(
            response__consultation=seeded.consultation, campaign_group__isnull=False
        ).values_list("response_id", flat=True)
    )
    assert len(grouped & seeded.campaign_ids) >= 0.9 * len(seeded.campaign_ids)


def test_withdrawn_responses_leave_the_analysis(seeded):
    analysis_run(consultation=seeded.consultation, seed=0)
    gone = seeded.responses[1]
    gone.withdrawn_at = timezone.now()
    gone.moderation_state = ModerationState.WITHDRAWN
    gone.text = ""
    gone.save()

    analysis_run(consultation=seeded.consultation, seed=0)

    assert not ResponseAnalysis.objects.filter(response=gone).exists()
    assert not ThemeMembership.objects.filter(response=gone).exists()


def test_analyse_responses_command_prints_the_run_and_its_time(seeded, capsys):
    call_command("analyse_responses", consultation=seeded.consultation.slug, no_progress=True)

    output = capsys.readouterr().out
    assert (
        f"Analysed {len(seeded.responses)} responses ({len(seeded.responses)} embedded)" in output
    )
    assert " s (seed 0)." in output
    assert "themes" in output


def test_analyse_responses_command_rejects_an_unknown_slug(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No consultation"):
        call_command("analyse_responses", consultation="no-such-thing", no_progress=True)
