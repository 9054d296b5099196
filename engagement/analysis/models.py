"""What the analysis found: sentiment, themes, campaigns and the runs that found them.

Written only by ``engagement.analysis.services``. Analysis reads the ORIGINAL text
(analysts are trusted); what reaches the public is chosen at display time from
public responses.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from engagement.record.models import Response


class CampaignGroup(models.Model):
    """Near-identical responses (an organised campaign or copy-paste), shown as one with a count."""

    consultation = models.ForeignKey(
        "consultations.ConsultationPage", on_delete=models.CASCADE, related_name="campaign_groups"
    )
    representative = models.ForeignKey(
        Response, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The original wording, for analysts only; the public sees a public member's published text.
    representative_text = models.TextField(blank=True)
    count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-count", "pk"]

    def __str__(self) -> str:
        return f"Campaign of {self.count}"


class ResponseAnalysis(models.Model):
    """What the analysis found in one response; kept so re-runs embed only new or edited text."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="analysis")
    text_hash = models.CharField(max_length=64)
    # None, and the label "not_analysed", for a language the sentiment model cannot read.
    sentiment_compound = models.FloatField(null=True, blank=True)
    sentiment_label = models.CharField(max_length=20)
    language = models.CharField(max_length=20, blank=True)
    # float32 row of the sentence embedding, unit length.
    embedding = models.BinaryField()
    campaign_group = models.ForeignKey(
        CampaignGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    analysed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "response analyses"

    def __str__(self) -> str:
        return f"Analysis of {self.response_id}"


class Theme(models.Model):
    """A group of responses by meaning; the model proposes it, analysts may rename, merge or split."""

    consultation = models.ForeignKey(
        "consultations.ConsultationPage", on_delete=models.CASCADE, related_name="themes"
    )
    # The model's label, rebuilt each run from public wording only.
    label = models.CharField(max_length=200, blank=True)
    analyst_label = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    terms = models.JSONField(default=list, blank=True)
    # float32 unit-length centre, so a re-run can find the theme again whatever its name.
    centroid = models.BinaryField(default=b"")
    is_merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_themes"
    )
    created_by_analyst = models.BooleanField(default=False)
    sort_order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.display_label

    @property
    def display_label(self) -> str:
        return self.analyst_label or self.label or f"Theme {self.pk}"


class ThemeAssignedBy(models.TextChoices):
    MODEL = "model", "Model"
    ANALYST = "analyst", "Analyst"


class ThemeMembership(models.Model):
    """A response in a theme; an analyst's assignment is never overwritten by the model."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="memberships")
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="theme_memberships"
    )
    assigned_by = models.CharField(
        max_length=10, choices=ThemeAssignedBy, default=ThemeAssignedBy.MODEL
    )
    assigned_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["theme", "response"], name="response_once_per_theme")
        ]

    def __str__(self) -> str:
        return f"{self.response_id} in {self.theme_id}"


class ThemeEditAction(models.TextChoices):
    RENAME = "rename", "Renamed"
    MERGE = "merge", "Merged"
    SPLIT = "split", "Split"
    ASSIGN = "assign", "Response assigned"


class ThemeEdit(models.Model):
    """The audit trail of analysts' theme edits: who did what, when."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="edits")
    action = models.CharField(max_length=10, choices=ThemeEditAction)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    edited_at = models.DateTimeField(auto_now_add=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-edited_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.theme_id} {self.action}"


class AnalysisRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class AnalysisRun(models.Model):
    """One analysis of one consultation, with its figures and time, for the record."""

    consultation = models.ForeignKey(
        "consultations.ConsultationPage", on_delete=models.CASCADE, related_name="analysis_runs"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=AnalysisRunStatus, default=AnalysisRunStatus.RUNNING
    )
    seed = models.IntegerField(default=0)
    responses_analysed = models.PositiveIntegerField(default=0)
    responses_embedded = models.PositiveIntegerField(default=0)
    themes_found = models.PositiveIntegerField(default=0)
    campaign_groups_found = models.PositiveIntegerField(default=0)
    duration_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Analysis of {self.consultation_id} at {self.started_at:%Y-%m-%d %H:%M}"


class PublicSummary(models.Model):
    """A consultation's public summary figures, computed in the background, read by every view.

    ``version`` goes up in the same transaction as anything that changes the figures
    (engagement/analysis/summaries.py). Figures at an older ``figures_version`` are still
    served, marked as of ``computed_at``, after a change that only added responses; a change
    that may take words off the record drops them and records ``dropped_version``, and no
    figures computed from before it are stored.
    """

    consultation = models.OneToOneField(
        "consultations.ConsultationPage",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="public_summary",
    )
    version = models.PositiveBigIntegerField(default=0)
    figures_version = models.PositiveBigIntegerField(null=True, blank=True)
    figures = models.JSONField(null=True, blank=True)
    # When the computation of the stored figures began: every response published before
    # then is in them ("figures as of").
    computed_at = models.DateTimeField(null=True, blank=True)
    dropped_version = models.PositiveBigIntegerField(null=True, blank=True)
    # Set when a recompute is enqueued, cleared by the one that finds the version unmoved:
    # while set, further changes enqueue nothing (one pending recompute per consultation).
    recompute_requested_at = models.DateTimeField(null=True, blank=True)
    # What became of every response (totals and by week), stored under the same version
    # but apart from the figures: the responses page and the API read them without paying
    # for the figures' quotes and terms.
    accountability_version = models.PositiveBigIntegerField(null=True, blank=True)
    accountability = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "public summaries"

    def __str__(self) -> str:
        return f"Public summary of {self.consultation_id}"
