"""Channel accounts, the channels a consultation is posted to, and every delivery with its audit trail."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel
from wagtail.models import Orderable

from connectors import outbound
from connectors.crypto import credentials_decrypt, credentials_encrypt
from connectors.registry import network_allows_respondent_replies, network_choices
from connectors.types import ChannelCredentials


def _new_idempotency_key() -> str:
    return uuid.uuid4().hex


class ChannelAccount(models.Model):
    """A department's account on one network, with its credentials encrypted at rest."""

    department = models.ForeignKey(
        "consultations.Department", on_delete=models.CASCADE, related_name="channel_accounts"
    )
    network = models.CharField(max_length=20, choices=network_choices)
    base_url = models.URLField(
        blank=True,
        help_text="The API, instance or server; blank means the network's own service.",
    )
    account_id = models.CharField(max_length=200, blank=True)
    handle = models.CharField(max_length=200)
    display_name = models.CharField(max_length=200, blank=True)
    # Fernet token of a JSON object; never plaintext (see connectors.crypto).
    credentials_ciphertext = models.TextField(blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    last_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    # When the network says the credentials stop working (a token's expiry), from the last check.
    credentials_expire_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        FieldPanel("department"),
        FieldPanel("network"),
        FieldPanel("handle"),
        FieldPanel("display_name"),
        FieldPanel("base_url"),
        FieldPanel("is_active"),
    ]

    class Meta:
        ordering = ["department__name", "network", "handle"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "network", "base_url", "handle"],
                name="connectors_channel_unique_per_department",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()} @{self.handle} ({self.department})"

    def clean(self) -> None:
        super().clean()
        if self.base_url:
            # Checked again on every connection (DNS may change); refused early here.
            try:
                outbound.base_url_check(self.base_url)
            except outbound.OutboundRefused as refused:
                raise ValidationError({"base_url": refused.reason}) from None

    @property
    def credentials(self) -> dict[str, str]:
        return credentials_decrypt(self.credentials_ciphertext)

    def set_credentials(self, credentials: dict[str, str]) -> None:
        self.credentials_ciphertext = credentials_encrypt(credentials)

    def channel_credentials(self) -> ChannelCredentials:
        secrets = dict(self.credentials)
        session = secrets.pop("session", "")
        return ChannelCredentials(
            network=self.network,
            base_url=self.base_url,
            account_id=self.account_id,
            handle=self.handle,
            secrets=secrets,
            session=session,
        )


class ConsultationChannel(Orderable):
    """A channel a consultation page is cross-posted to."""

    page = ParentalKey(
        "consultations.ConsultationPage",
        on_delete=models.CASCADE,
        related_name="cross_post_channels",
    )
    channel = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="+")
    # Off by default: once the outcome is out, one reply to each public top-level reply
    # collected on this channel (connectors.respondent_replies), where the network allows it.
    reply_to_respondents = models.BooleanField(
        default=False,
        verbose_name="Reply to each respondent with the outcome",
        help_text=(
            "Once the outcome is published, reply once to each public reply to our posts "
            "on this channel, linking to the summary. Only on networks whose rules allow "
            "automated replies to people (the README says which)."
        ),
    )

    panels = [FieldPanel("channel"), FieldPanel("reply_to_respondents")]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(fields=["page", "channel"], name="connectors_page_channel_once")
        ]

    def __str__(self) -> str:
        return str(self.channel)

    def clean(self) -> None:
        super().clean()
        page = getattr(self, "page", None)
        if page is None or self.channel_id is None:
            return
        if page.department_id and self.channel.department_id != page.department_id:
            raise ValidationError(
                {"channel": f"{self.channel} belongs to another department than this consultation."}
            )
        if self.reply_to_respondents and not network_allows_respondent_replies(
            self.channel.network
        ):
            raise ValidationError(
                {
                    "reply_to_respondents": (
                        f"{self.channel.get_network_display()}'s rules do not allow automated "
                        "replies to people who did not ask for them (see the README)."
                    )
                }
            )


class DeliveryKind(models.TextChoices):
    ANNOUNCE = "announce", gettext_lazy("Announcement")
    REMINDER_7D = "reminder_7d", gettext_lazy("Closes in 7 days")
    REMINDER_1D = "reminder_1d", gettext_lazy("Closes tomorrow")
    CLOSED = "closed", gettext_lazy("Now closed")
    # A reply in the announcement's thread once the outcome is published (connectors.outcomes).
    OUTCOME = "outcome", gettext_lazy("Outcome published")
    # One reply to one respondent's top-level reply, with the outcome (connectors.respondent_replies).
    RESPONDENT_REPLY = "respondent_reply", gettext_lazy("Outcome reply to a respondent")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    # Set (and committed) before the first write: found on a retry it means the
    # outcome of the last write is unknown.
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    DELETED = "deleted", "Deleted"
    # Not sent, for good: what it answered was withdrawn, hidden or deleted before it went.
    CANCELLED = "cancelled", "Cancelled"


class Delivery(models.Model):
    """One message (announcement, reminder or outcome reply) of one consultation on one
    channel: exactly once."""

    consultation = models.ForeignKey(
        "consultations.ConsultationPage", on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.ForeignKey(ChannelAccount, on_delete=models.PROTECT, related_name="deliveries")
    kind = models.CharField(max_length=20, choices=DeliveryKind.choices)
    # The response a respondent reply answers (kind ``respondent_reply`` only): one each.
    response = models.ForeignKey(
        "record.Response",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outcome_replies",
    )
    # Empty for the consultation's own language; else the translation it posts ("cy"), as a
    # post of its own: replies under it are heard in that language.
    language = models.CharField(max_length=20, blank=True, default="")
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    due_at = models.DateTimeField()
    # The thread as composed on the first attempt, so every retry sends the same text.
    planned_parts = models.JSONField(default=list, blank=True)
    idempotency_key = models.CharField(max_length=64, default=_new_idempotency_key, editable=False)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # The next attempt after a rate limit or a temporary failure, as the task's retry keeps
    # it: beat's sweep for due deliveries leaves the delivery to that retry until then.
    retry_at = models.DateTimeField("next retry", null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "channel", "kind", "language"],
                condition=~models.Q(kind="respondent_reply"),
                name="connectors_delivery_once_per_language",
            ),
            # One reply per response, whichever worker or beat run scheduled it.
            models.UniqueConstraint(
                fields=["response"],
                condition=models.Q(kind="respondent_reply"),
                name="connectors_respondent_reply_once",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="respondent_reply", response__isnull=False)
                | (~models.Q(kind="respondent_reply") & models.Q(response__isnull=True)),
                name="connectors_delivery_response_iff_respondent_reply",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.consultation} on {self.channel}"

    @property
    def first_url(self) -> str:
        first = self.posts.order_by("position").first()
        return first.url if first else ""


class DeliveryPost(models.Model):
    """One published part of a delivery's thread, as the network knows it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="posts")
    position = models.PositiveIntegerField()
    external_id = models.CharField(max_length=300)
    cid = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    text = models.TextField()
    posted_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The network's public counts for the post, by its own names (e.g. like_count), as
    # last read (connectors.engagement); empty where the network gives none.
    public_metrics = models.JSONField(default=dict, blank=True, editable=False)
    metrics_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["delivery", "position"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "position"], name="connectors_part_once"),
        ]
        indexes = [models.Index(fields=["external_id"])]

    def __str__(self) -> str:
        return f"{self.delivery} part {self.position + 1}: {self.external_id}"


class DeliveryEventAction(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    ATTEMPT = "attempt", "Attempt"
    POSTED = "posted", "Part posted"
    RECOVERED = "recovered", "Part found after an unknown outcome"
    DELIVERED = "delivered", "Delivered"
    RATE_LIMITED = "rate_limited", "Rate limited"
    TRANSIENT_ERROR = "transient_error", "Temporary error"
    OUTCOME_UNKNOWN = "outcome_unknown", "Outcome unknown"
    FAILED = "failed", "Failed"
    RETRY_REQUESTED = "retry_requested", "Retry requested"
    DELETE_REQUESTED = "delete_requested", "Deletion requested"
    DELETED = "deleted", "Deleted"
    CANCELLED = "cancelled", "Cancelled before sending"


class DeliveryEvent(models.Model):
    """The audit trail: who triggered each post, retry and deletion, and what happened."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30, choices=DeliveryEventAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        who = self.actor or "system"
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()} by {who}"


# --- Collecting replies --------------------------------------------------------------------


class CollectionState(models.Model):
    """Where collecting replies stands for one consultation on one channel.

    ``cursor`` is saved in the same transaction as the responses of the page it
    covers, so a worker killed mid-poll resumes exactly after the last commit.
    """

    consultation = models.ForeignKey(
        "consultations.ConsultationPage", on_delete=models.CASCADE, related_name="collection_states"
    )
    channel = models.ForeignKey(
        ChannelAccount, on_delete=models.CASCADE, related_name="collection_states"
    )
    cursor = models.TextField(blank=True, editable=False)
    # Posts the network has counted as read for this consultation (X bills per post read).
    posts_read = models.PositiveBigIntegerField(default=0)
    # The per-network request budget: requests made in the window that started at window_started_at.
    window_started_at = models.DateTimeField(null=True, blank=True)
    window_requests = models.PositiveIntegerField(default=0)
    #: Units of a network's daily quota spent on ``quota_day`` (the network's own day).
    quota_day = models.DateField(null=True, blank=True)
    quota_units_used = models.PositiveIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_complete_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    rate_limited_until = models.DateTimeField(null=True, blank=True)
    # Set when a budget or a limit stopped collection before it caught up; cleared when it does.
    incomplete_since = models.DateTimeField(null=True, blank=True)
    incomplete_reason = models.TextField(blank=True)
    last_error = models.TextField(blank=True)
    collected = models.PositiveIntegerField(default=0)
    # The deletion sweep walks the record by primary key, a batch at a time, and wraps around.
    sweep_after_id = models.PositiveBigIntegerField(default=0)
    last_swept_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["consultation", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "channel"], name="connectors_collection_once"
            )
        ]

    def __str__(self) -> str:
        return f"Collecting {self.consultation} on {self.channel}"


class QuarantinedPayload(models.Model):
    """A payload from a network that failed validation, kept with the reason for an administrator."""

    channel = models.ForeignKey(
        ChannelAccount, null=True, on_delete=models.SET_NULL, related_name="quarantined_payloads"
    )
    consultation = models.ForeignKey(
        "consultations.ConsultationPage",
        null=True,
        on_delete=models.SET_NULL,
        related_name="quarantined_payloads",
    )
    network = models.CharField(max_length=20, choices=network_choices)
    route = models.CharField(max_length=40, blank=True)
    payload = models.JSONField(default=dict)
    error = models.TextField()
    # A hash of the payload, so a thread re-read on every poll quarantines its bad item once.
    fingerprint = models.CharField(max_length=64, editable=False)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "fingerprint"], name="connectors_quarantine_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()} {self.route} payload: {self.error[:80]}"


class WebhookReceipt(models.Model):
    """A webhook delivery already acted on, so a replay of it is not acted on again.

    Kept for ``HUB_WEBHOOK_MAX_AGE`` seconds and a little more: anything older is refused
    by its timestamp anyway.
    """

    network = models.CharField(max_length=20, choices=network_choices)
    key = models.CharField(max_length=255)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "key"], name="connectors_webhook_once")
        ]

    def __str__(self) -> str:
        return f"{self.network} webhook {self.key}"
