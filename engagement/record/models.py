"""The record: who responded to which consultation, where, and what they said.

Every channel (the web form, social replies, imports) writes here through
``engagement.record.services`` and nowhere else. The consultation is referred to by
its label ("consultations.ConsultationPage"): the record never imports the pages.
"""

from __future__ import annotations

import hmac
from functools import lru_cache

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.crypto import salted_hmac
from wagtail.search import index

from consultations.selectors import consultations_public
from engagement.record.channels import Channel as Channel  # re-exported for callers
from engagement.record.channels import channel_choices

# The languages the search index analyses with their own rules ("hub_<name>" analysers):
# a response's words go to the field of its language, or of the default one.
INDEXED_LANGUAGES = {"en": "english", "cy": "welsh"}
DEFAULT_INDEXED_LANGUAGE = "en"


class ModerationState(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    HIDDEN = "hidden", "Hidden"
    WITHDRAWN = "withdrawn", "Withdrawn"
    # Erased on its author's request (engagement.record.erasure): a tombstone only.
    ERASED = "erased", "Erased on request"


class ModerationReason(models.TextChoices):
    """Why a moderator held a response back (a fixed list, for accountability)."""

    ABUSIVE = "abusive", "Abusive"
    OFF_TOPIC = "off_topic", "Off-topic"
    SPAM = "spam", "Spam"
    PERSONAL_DATA = "personal_data", "Personal data"
    LEGAL = "legal", "Legal reasons"


PSEUDONYM_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # as references: easy to read aloud


def public_pseudonym(*, respondent_id: int, consultation_id: int) -> str:
    """The name the public sees for a respondent in ONE consultation, e.g. ``R-7K3Q-9XPA``.

    A keyed hash of (respondent, consultation): stable within a consultation, and two
    consultations' pseudonyms of one person cannot be linked without the key. Eight
    characters of 30 keep two respondents of a consultation from sharing one (about one
    chance in a million for a thousand respondents).
    """
    keyed = _pseudonym_hmac(settings.SECRET_KEY).copy()
    keyed.update(f"{respondent_id}:{consultation_id}".encode())
    digest = keyed.digest()
    # Eight base-30 digits, least significant first, two at a time.
    number = int.from_bytes(digest[:8], "big")
    number, first = divmod(number, _PAIRS_BASE)
    number, second = divmod(number, _PAIRS_BASE)
    number, third = divmod(number, _PAIRS_BASE)
    fourth = number % _PAIRS_BASE
    return f"R-{_PAIRS[first]}{_PAIRS[second]}-{_PAIRS[third]}{_PAIRS[fourth]}"


# Two base-30 digits as their characters, the lower first: an export names a million.
_PAIRS_BASE = len(PSEUDONYM_ALPHABET) ** 2
_PAIRS = [
    PSEUDONYM_ALPHABET[pair % len(PSEUDONYM_ALPHABET)]
    + PSEUDONYM_ALPHABET[pair // len(PSEUDONYM_ALPHABET)]
    for pair in range(_PAIRS_BASE)
]


@lru_cache(maxsize=2)
def _pseudonym_hmac(secret: str) -> hmac.HMAC:
    """``salted_hmac``'s keyed HMAC before any message, to ``copy()`` for each pseudonym.

    Deriving the key once, not per name, matters to an export naming a million people;
    an HMAC fed its message later is the same as one given it at once.
    """
    return salted_hmac("engagement.record.pseudonym", b"", secret=secret, algorithm="sha256")


class Respondent(models.Model):
    """A person (or account) who responded, identified per channel.

    ``external_id`` is the platform's user id; for the web form it is a keyed
    hash of the email address (or random when none is given), so the raw email
    is never an identifier. ``pseudonym`` is for officers; the public sees a pseudonym
    per consultation (``public_pseudonym``), so one person is not linkable across them,
    or the name given with one response (``Response.public_name``): anyone may type
    someone's email into the web form, so nothing about a respondent is taken from one
    submission for another.
    """

    channel = models.CharField(max_length=20, choices=channel_choices)
    external_id = models.CharField(max_length=255)
    handle = models.CharField(max_length=255, blank=True)
    display_name = models.CharField(max_length=255, blank=True)
    pseudonym = models.PositiveIntegerField(unique=True)
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="unique_respondent_per_channel"
            )
        ]

    def __str__(self) -> str:
        return pseudonym_label(self.pseudonym)


def pseudonym_label(pseudonym: int) -> str:
    return f"Respondent {pseudonym}"


def public_name_for(
    *, publish_name: bool, published_name: str, respondent_id: int, consultation_id: int
) -> str:
    """What the public sees as a response's author: the redacted name given with that
    response when they asked for it to be shown, else the consultation's pseudonym (never
    the respondent's record-wide one, so one person is not linkable across consultations)."""
    if publish_name and published_name:
        return published_name
    pseudonym = public_pseudonym(respondent_id=respondent_id, consultation_id=consultation_id)
    return f"Respondent {pseudonym}"


def has_publishable_content() -> Q:
    """A response with something to show: published words, or an answer with some."""
    publishable_answers = Answer.objects.filter(response=OuterRef("pk")).filter(
        ~Q(published_text="") | ~Q(choices=[])
    )
    return ~Q(published_text="") | Q(Exists(publishable_answers))


class ResponseQuerySet(models.QuerySet):
    def public(self) -> ResponseQuerySet:
        """The responses the public may see: the ONE definition of "public".

        Approved, not withdrawn, on a public consultation page (``consultations_public``),
        and with something to show: a non-empty ``published_text`` or an answer with
        published words or choices. Whatever renders these must show only
        ``published_text`` (and answers' ``published_text`` and ``choices``), never ``text``.
        """
        return self.filter(
            moderation_state=ModerationState.APPROVED,
            withdrawn_at__isnull=True,
            erased_at__isnull=True,
            consultation__in=consultations_public().values("pk"),
        ).filter(has_publishable_content())


class Response(index.Indexed, models.Model):
    """One response to one consultation, from any channel, in its original words."""

    consultation = models.ForeignKey(
        "consultations.ConsultationPage", on_delete=models.PROTECT, related_name="responses"
    )
    channel = models.CharField(max_length=20, choices=channel_choices)
    # The platform's id for the post/message; null (not "") for the web form so the
    # partial unique constraint on (channel, external_id) skips it.
    external_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    respondent = models.ForeignKey(Respondent, on_delete=models.PROTECT, related_name="responses")
    text = models.TextField(blank=True)
    received_at = models.DateTimeField()
    moderation_state = models.CharField(
        max_length=20, choices=ModerationState, default=ModerationState.PENDING
    )
    reference = models.CharField(max_length=20, unique=True)
    consent_to_publish = models.BooleanField(default=False)
    # The name given with this response (web form, imports), never shown as typed; whether
    # they asked for it to be shown; and the name after redaction, which the public sees
    # once a moderator approved the response (auto-approval leaves named responses alone).
    respondent_name = models.CharField(max_length=200, blank=True)
    publish_name = models.BooleanField(default=False)
    # Longer than the name: a redaction marker may be longer than what it replaces.
    published_name = models.CharField(max_length=1000, blank=True)
    parent_external_id = models.CharField(max_length=255, blank=True)
    root_external_id = models.CharField(max_length=255, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    language = models.CharField(max_length=20, blank=True)
    raw_payload = models.JSONField(default=dict, blank=True)
    # What the public may see: the text after redaction (engagement.moderation.redaction)
    # and any moderator's further redaction. Never the original.
    published_text = models.TextField(blank=True)
    # The removals made, as [{"kind", "start", "end", "replacement"}], for moderators.
    redactions = models.JSONField(default=list, blank=True)
    # What the abuse/profanity screen (engagement.moderation.screening) found in the
    # original words, as [{"term", "category", "found"}]; a flagged response is never
    # approved automatically.
    flagged_terms = models.JSONField(default=list, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderation_reason = models.CharField(max_length=20, choices=ModerationReason, blank=True)
    # The source's last edit of the text (earlier wordings are ResponseRevisions).
    edited_at = models.DateTimeField(null=True, blank=True)
    # A withdrawn response is a tombstone: ids and times stay, the words are gone.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=30, blank=True)
    # Erased on its author's request: reference, consultation, channel and times stay,
    # everything said and everything that could identify its author is gone.
    erased_at = models.DateTimeField(null=True, blank=True)
    # The department's retention period for original words ran out (engagement.record.
    # retention): ``text`` and the answers' ``text`` now hold the redacted wording, and
    # ``redactions`` keeps each removal's kind but no longer its place in the original.
    original_expired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=Q(external_id__isnull=False),
                name="unique_response_per_channel",
            )
        ]
        indexes = [
            models.Index(fields=["consultation", "moderation_state"]),
            models.Index(fields=["consultation", "received_at"]),
        ]
        permissions = [
            ("moderate_response", "Can moderate responses"),
            ("export_response", "Can export and analyse responses"),
        ]

    # Search (search/): only public rows, only their published words — never ``text``.
    # search/ indexes through its outbox, so modelsearch's own save signals stay off.
    search_auto_update = False
    search_fields = [
        index.SearchField("published_text"),
        index.AutocompleteField("published_text"),
        index.RelatedFields(
            "answers", [index.SearchField("published_text"), index.FilterField("question_id")]
        ),
        index.FilterField("consultation"),
        index.FilterField("channel"),
        index.FilterField("received_at"),
        # What OpenSearch answers alone (search/engine.py): the page's sort tie-break and
        # every facet. modelsearch names filter fields "<name>_filter" in the document.
        index.FilterField("id"),
        index.FilterField("indexed_language"),
        index.FilterField("indexed_question_ids", type="IntegerField"),
        index.FilterField("indexed_theme_ids", type="IntegerField"),
        index.FilterField("indexed_sentiment"),
        # The published words once per language, each analysed by its language's rules
        # (stems, stop words: the analysers are in WAGTAILSEARCH_BACKENDS' INDEX_SETTINGS).
        # Filter fields, not search fields: the database backend must not index them twice.
        *(
            index.FilterField(
                f"indexed_words_{code}",
                es_extra={"type": "text", "analyzer": f"hub_{name}"},
            )
            for code, name in INDEXED_LANGUAGES.items()
        ),
    ]

    def __str__(self) -> str:
        return self.reference

    @property
    def public_name(self) -> str:
        """Its author as the public sees them in this consultation (``public_name_for``)."""
        return public_name_for(
            publish_name=self.publish_name,
            published_name=self.published_name,
            respondent_id=self.respondent_id,
            consultation_id=self.consultation_id,
        )

    @classmethod
    def get_indexed_objects(cls):
        # The analysis's reverse relations, by name: the record never imports the analysis.
        # Answers in primary key order: the document lists them, and a document built twice
        # from the same rows must be the same (search.documents builds it from plain rows).
        answers = models.Prefetch("answers", queryset=Answer.objects.order_by("pk"))
        return (
            cls.objects.public()
            .select_related("respondent", "analysis")
            .prefetch_related(answers, "theme_memberships__theme")
        )

    # --- The search document (``search_fields`` above); read through get_indexed_objects.

    def _prefetched(self, relation: str):
        """The rows of ``relation`` that get_indexed_objects prefetched, else a query.

        A document reads the answers three times; ``self.answers.all()`` builds a new
        queryset each time even when prefetched, which cost more than the rest of the
        document in the outbox drain."""
        cache = getattr(self, "_prefetched_objects_cache", {})
        if relation in cache:
            return cache[relation]
        return getattr(self, relation).all()

    def indexed_words(self) -> str:
        """Every published word of the response: its text and its answers' texts."""
        parts = [
            self.published_text,
            *(answer.published_text for answer in self._prefetched("answers")),
        ]
        return "\n".join(part for part in parts if part)

    def indexed_language(self) -> str | None:
        """The language as recorded, for the language facet (absent when unknown)."""
        return self.language or None

    def indexed_analyser_language(self) -> str:
        """The language whose analyser reads the words: Welsh for "cy", English otherwise."""
        primary = self.language.split("-")[0].lower()
        return primary if primary in INDEXED_LANGUAGES else DEFAULT_INDEXED_LANGUAGE

    def indexed_words_en(self) -> str:
        return self.indexed_words() if self.indexed_analyser_language() == "en" else ""

    def indexed_words_cy(self) -> str:
        return self.indexed_words() if self.indexed_analyser_language() == "cy" else ""

    def indexed_question_ids(self) -> list[int]:
        """Questions answered with published words or choices (the question facet's rule)."""
        return sorted(
            {
                answer.question_id
                for answer in self._prefetched("answers")
                if answer.question_id is not None and (answer.published_text or answer.choices)
            }
        )

    def indexed_theme_ids(self) -> list[int]:
        """The live themes the response counts under: a merged theme counts as the one it
        was merged into, to the end of the chain (a chain that loops counts nowhere)."""
        live: set[int] = set()
        for membership in self._prefetched("theme_memberships"):
            theme, seen = membership.theme, set()
            while theme.is_merged_into is not None and theme.pk not in seen:
                seen.add(theme.pk)
                theme = theme.is_merged_into
            if theme.is_merged_into_id is None and theme.consultation_id == self.consultation_id:
                live.add(theme.pk)
        return sorted(live)

    def indexed_sentiment(self) -> str | None:
        analysis = getattr(self, "analysis", None)
        return (analysis.sentiment_label or None) if analysis is not None else None


class Answer(models.Model):
    """The answer to one question of a web (or imported) response."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    # SET_NULL: an officer may edit a question away; the answer and the
    # question's wording at the time stay in the record.
    question = models.ForeignKey(
        "consultations.Question", null=True, on_delete=models.SET_NULL, related_name="answers"
    )
    question_text = models.CharField(max_length=300)
    text = models.TextField(blank=True)
    # The free-text answer after redaction: what the public may see.
    published_text = models.TextField(blank=True)
    choices = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.question_text}: {self.display_value}"

    @property
    def display_value(self) -> str:
        return self.text or ", ".join(self.choices)


class WithdrawalReason(models.TextChoices):
    DELETED_AT_SOURCE = "deleted_at_source", "Deleted by its author on the platform"
    PRIVATE_AT_SOURCE = "private_at_source", "Made private by its author on the platform"


class ResponseRevision(models.Model):
    """An earlier wording of a response its author edited at the source."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="revisions")
    text = models.TextField(blank=True)
    # When the source says this wording was replaced, and when the hub saw the new one.
    replaced_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["response", "recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.response} before {self.replaced_at or self.recorded_at:%Y-%m-%d %H:%M}"


class ErasureSelector(models.TextChoices):
    PLATFORM_ID = "platform_id", "Channel and platform id"
    EMAIL = "email", "Email address"
    REFERENCE = "reference", "Response reference"


class ErasureRequest(models.Model):
    """The audit trail of erasure on request: who erased whose responses, when and why.

    The person is named only by a keyed hash of what they were found by, so the
    audit trail itself does not keep what it erased.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()
    selector = models.CharField(max_length=20, choices=ErasureSelector)
    channel = models.CharField(max_length=20, choices=channel_choices, blank=True)
    selector_hash = models.CharField(max_length=64)
    # The tombstones' references, and how many rows each store erased.
    references = models.JSONField(default=list, blank=True)
    respondents_erased = models.PositiveIntegerField(default=0)
    erased = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        permissions = [("erase_respondent", "Can erase a respondent on request")]

    def __str__(self) -> str:
        return f"Erasure of {len(self.references)} responses at {self.requested_at:%Y-%m-%d %H:%M}"


class RetentionKind(models.TextChoices):
    """What a department's retention schedule expires (one ``Department.retain_*_days`` each)."""

    ORIGINAL_TEXT = "original_text", "Original texts"
    RAW_PAYLOAD = "raw_payload", "Raw payloads"
    EMAIL = "email", "Email addresses"
    USER_AGENT = "user_agent", "User agents"


class RetentionRun(models.Model):
    """The audit trail of the retention schedule: one run, by Celery beat or the command.

    What it expired is in its ``expiries``; responses it left alone because no moderator
    had looked at them yet are counted in ``held_pending`` (per consultation in ``held``).
    A run that stopped part-way has no ``finished_at``; what it did is audited all the
    same, each consultation's expiries committed with its changes.
    """

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=40)
    department = models.ForeignKey(
        "consultations.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The one department the run was limited to, if any.",
    )
    held_pending = models.PositiveIntegerField(default=0)
    # {consultation id: responses pending moderation}, for consultations past a period.
    held = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Retention run at {self.started_at:%Y-%m-%d %H:%M}"


class RetentionExpiry(models.Model):
    """How many rows of one store one run expired, for one department, consultation and kind."""

    run = models.ForeignKey(RetentionRun, on_delete=models.CASCADE, related_name="expiries")
    # Null when the rows were tied to no consultation (a payload quarantined before its
    # consultation was known) or, for the department, to no department left.
    department = models.ForeignKey(
        "consultations.Department", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    consultation = models.ForeignKey(
        "consultations.ConsultationPage", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=RetentionKind)
    store = models.CharField(max_length=40)
    rows = models.PositiveIntegerField()

    class Meta:
        ordering = ["run", "pk"]
        verbose_name_plural = "retention expiries"

    def __str__(self) -> str:
        return f"{self.rows} {self.store} ({self.get_kind_display()})"


class ResponseNotification(models.Model):
    """The emails the hub sends about one web response to the address given with it
    (``Respondent.email``): the confirmation, and the outcome if its author asked for it.

    Each ``*_sent_at`` is set by a conditional update before the email goes (and cleared
    again if sending fails), so a task run twice, or by two workers at once, sends it once.
    """

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="notification")
    wants_outcome = models.BooleanField(default=False)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    outcome_sent_at = models.DateTimeField(null=True, blank=True)
    # The one-click unsubscribe (RFC 8058) from the outcome email.
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # The language of the form the response was sent from ("cy" on /cy/): the emails are
    # written in it, whatever language the detection records for the words themselves.
    language = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["wants_outcome"],
                condition=Q(outcome_sent_at__isnull=True, unsubscribed_at__isnull=True),
                name="outcome_email_waiting",
            )
        ]

    def __str__(self) -> str:
        return f"Emails about {self.response}"
