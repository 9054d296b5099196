"""Which content has its translation, and whether the translation keeps up with its source.

The default language's pages (home, the consultations index, each consultation with its
questions and outcome) and privacy notices are the sources; a translation is their copy in
another locale (Wagtail's ``translation_key``). A translation is out of date when its source
changed after the translation was last published (pages) or saved (privacy notices): the
translator's publishing is what says "this version follows the source" (docs/adr/0018).

For a page, "changed" is judged field by field: the source's revision that was live when
the translation was last published (Wagtail's publish log names it) against the source's
live revision now. The report names what differs (the title, the summary, each body block,
each question's text, hint or options), and a source republished with none of those changed
leaves its translation up to date. Without that revision (published before the log, or
purged) it falls back to the dates alone.

A consultation's schedule (when it opens, closes and shows its outcome) is not the
translator's to follow: a translation takes it from its source whenever either is
published (``translations_schedule_follow``, ``ConsultationPage.with_content_json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from wagtail.actions.convert_alias import ConvertAliasPageAction
from wagtail.actions.copy_for_translation import CopyPageForTranslationAction
from wagtail.models import GroupPagePermission, Locale, Page, PageLogEntry, Revision, WorkflowPage

from consultations.models import (
    SCHEDULE_FIELDS,
    ConsultationPage,
    PrivacyNotice,
    default_language_code,
    schedule_followed,
)

MISSING = "missing"
NOT_PUBLISHED = "not_published"
OUT_OF_DATE = "out_of_date"
UP_TO_DATE = "up_to_date"

STATUS_LABELS = {
    MISSING: "Missing",
    NOT_PUBLISHED: "Draft, not published",
    OUT_OF_DATE: "Out of date",
    UP_TO_DATE: "Up to date",
}


@dataclass(frozen=True)
class TranslationStatus:
    source: Page | PrivacyNotice
    translation: Page | PrivacyNotice | None
    status: str
    source_changed_at: datetime | None
    translation_changed_at: datetime | None
    # What changed in the source since the translation followed it, for an out-of-date page
    # (empty when only the dates could tell, or for a privacy notice, which keeps no history).
    changed_fields: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


def _status(source_at: datetime | None, translation, translation_at: datetime | None, live: bool):
    if translation is None:
        return MISSING
    if not live:
        return NOT_PUBLISHED
    if source_at is not None and (translation_at is None or source_at > translation_at):
        return OUT_OF_DATE
    return UP_TO_DATE


# Wagtail's log actions that make a revision live (by hand, by workflow, or when scheduled).
_PUBLISH_ACTIONS = ("wagtail.publish", "wagtail.publish.scheduled")
# The fields a translator writes their own copy of, and how the report names them. The
# schedule is not among them: it follows the source by itself (SCHEDULE_FIELDS).
_PAGE_FIELDS = (
    ("title", "Title"),
    ("summary", "Summary"),
    ("introduction", "Introduction"),
    ("body", "Body"),
    ("outcome", "Outcome"),
)
_QUESTION_FIELDS = (("text", "text"), ("help_text", "hint"), ("options", "options"))


def _live_revision_at(page: Page, moment: datetime) -> Revision | None:
    """The revision of ``page`` that was live at ``moment``: the last one published by then."""
    revision_id = (
        PageLogEntry.objects.filter(
            page_id=page.pk,
            action__in=_PUBLISH_ACTIONS,
            revision__isnull=False,
            timestamp__lte=moment,
        )
        .order_by("-timestamp", "-pk")
        .values_list("revision_id", flat=True)
        .first()
    )
    return Revision.objects.filter(pk=revision_id).first() if revision_id else None


def _stream_changes(label: str, before, after) -> list[str]:
    """The blocks of a StreamField added, changed or removed, by position in ``after``
    (blocks keep their ids across edits, so a block moved is not a block changed)."""
    child_blocks = after.stream_block.child_blocks

    def name(block_type: str) -> str:
        child = child_blocks.get(block_type)
        return str(child.label) if child is not None else block_type

    earlier = {block["id"]: block for block in before.get_prep_value()}
    changes = []
    for position, block in enumerate(after.get_prep_value(), start=1):
        old = earlier.pop(block["id"], None)
        if old is None:
            changes.append(f"{label}: block {position} ({name(block['type'])}) added")
        elif (old["type"], old["value"]) != (block["type"], block["value"]):
            changes.append(f"{label}: block {position} ({name(block['type'])})")
    changes.extend(f"{label}: a {name(old['type'])} block removed" for old in earlier.values())
    return changes


def _question_changes(before: Page, after: Page) -> list[str]:
    """Questions added, removed or reworded, matched by their ``translation_key`` (the
    Welsh page's questions share it), numbered as the source asks them now."""

    def ordered(page):
        return sorted(page.questions.all(), key=lambda question: question.sort_order or 0)

    earlier = {str(question.translation_key): question for question in ordered(before)}
    changes = []
    for position, question in enumerate(ordered(after), start=1):
        old = earlier.pop(str(question.translation_key), None)
        if old is None:
            changes.append(f"Question {position} added")
            continue
        changes.extend(
            f"Question {position}: {label}"
            for field, label in _QUESTION_FIELDS
            if getattr(old, field) != getattr(question, field)
        )
    changes.extend(f"Question “{old.text}” removed" for old in earlier.values())
    return changes


def page_fields_changed(*, before: Page, after: Page) -> tuple[str, ...]:
    """What a translator must follow between two versions of a source page: the names of
    the fields (and body blocks, and questions) that differ, in the page's order."""
    changes: list[str] = []
    for field, label in _PAGE_FIELDS:
        if not hasattr(after, field):
            continue
        old, new = getattr(before, field), getattr(after, field)
        if hasattr(new, "stream_block"):
            changes.extend(_stream_changes(label, old, new))
        elif old != new:
            changes.append(label)
    if hasattr(after, "questions"):
        changes.extend(_question_changes(before, after))
    return tuple(changes)


def _page_status(source: Page, translated: Page | None) -> tuple[str, tuple[str, ...]]:
    if translated is None or not translated.live:
        return _status(source.last_published_at, translated, None, False), ()
    followed = (
        _live_revision_at(source, translated.last_published_at)
        if translated.last_published_at
        else None
    )
    if followed is None:
        return (
            _status(source.last_published_at, translated, translated.last_published_at, True),
            (),
        )
    current = source.live_revision.as_object() if source.live_revision_id else source
    changed = page_fields_changed(before=followed.as_object(), after=current)
    return (OUT_OF_DATE if changed else UP_TO_DATE), changed


def _notice_section_label(name: str) -> str:
    field = PrivacyNotice._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


def _notice_status(
    source: PrivacyNotice, translated: PrivacyNotice | None
) -> tuple[str, tuple[str, ...]]:
    """Section by section: the English notice now against its words when the translation
    was last saved (``PrivacyNotice.source_sections``); by save times where those were not
    kept (a translation saved before they were)."""
    if translated is None or not translated.source_sections:
        at = translated.updated_at if translated else None
        return _status(source.updated_at, translated, at, translated is not None), ()
    changed = tuple(
        _notice_section_label(name)
        for _, name in PrivacyNotice.SECTIONS
        if translated.source_sections.get(name) != getattr(source, name)
    )
    return (OUT_OF_DATE if changed else UP_TO_DATE), changed


def translation_statuses(*, language_code: str) -> list[TranslationStatus]:
    """Every source in the default language with its translation's status in
    ``language_code``, the pages in tree order, then the privacy notices."""
    default = Locale.get_default()
    statuses: list[TranslationStatus] = []
    sources = (
        # Every page below Wagtail's root: the home page, the index and the consultations.
        Page.objects.live().filter(locale=default, depth__gt=1).order_by("path").specific()
    )
    translations = {
        page.translation_key: page
        for page in Page.objects.filter(
            locale__language_code=language_code,
            translation_key__in=[source.translation_key for source in sources],
        )
    }
    for source in sources:
        translated = translations.get(source.translation_key)
        status, changed_fields = _page_status(source, translated)
        statuses.append(
            TranslationStatus(
                source=source,
                translation=translated,
                status=status,
                source_changed_at=source.last_published_at,
                translation_changed_at=translated.last_published_at if translated else None,
                changed_fields=changed_fields,
            )
        )
    notices = PrivacyNotice.objects.filter(locale=default).select_related("department")
    notice_translations = {
        notice.translation_key: notice
        for notice in PrivacyNotice.objects.filter(locale__language_code=language_code)
    }
    for notice in notices:
        translated_notice = notice_translations.get(notice.translation_key)
        status, changed_fields = _notice_status(notice, translated_notice)
        statuses.append(
            TranslationStatus(
                source=notice,
                translation=translated_notice,
                status=status,
                source_changed_at=notice.updated_at,
                translation_changed_at=translated_notice.updated_at if translated_notice else None,
                changed_fields=changed_fields,
            )
        )
    return statuses


def translations_schedule_follow(*, page: ConsultationPage) -> list[int]:
    """Copy the schedule of ``page``, a consultation in the default language as just
    published, onto its live translations; returns the ids of those that changed.

    The rows only, no new revision: the translation's words are as its translator
    published them, and its own revisions take the schedule from ``page`` when built
    (``ConsultationPage.with_content_json``). ``update()`` sends no signals, and needs
    none: the cached public pages hang on the site's generation, which every publish
    bumps (cms.apps, at once and again on commit, and this runs inside the publish's
    transaction); the search index's copy of a translation is never filtered by date
    (``consultations_public()`` searches the default language's pages only)."""
    if page.locale.language_code != default_language_code():
        return []
    source = {name: getattr(page, name) for name in SCHEDULE_FIELDS}
    changed = []
    translations = ConsultationPage.objects.filter(
        translation_key=page.translation_key, live=True
    ).exclude(pk=page.pk)
    for translation in translations:
        followed = schedule_followed(source, has_outcome=bool(translation.outcome))
        if any(getattr(translation, name) != value for name, value in followed.items()):
            ConsultationPage.objects.filter(pk=translation.pk).update(**followed)
            changed.append(translation.pk)
    return changed


def consultation_published(sender, instance, **kwargs) -> None:
    """Wagtail's ``page_published`` for consultations (connected in ``ConsultationsConfig``)."""
    translations_schedule_follow(page=instance)


@transaction.atomic
def translations_permissions_follow(*, page: Page) -> None:
    """Give each translation of ``page`` and of its descendants the group page permissions and
    workflow its source has (the comms roles' grants sit on the consultations index): a
    Welsh index made with "Translate" after ``roles_ensure`` ran is otherwise a tree no comms
    role may add to or edit. Idempotent; takes nothing away."""
    sources = (
        Page.objects.descendant_of(page, inclusive=True)
        .filter(locale_id=page.locale_id)
        .filter(
            Q(pk__in=GroupPagePermission.objects.values("page_id"))
            | Q(pk__in=WorkflowPage.objects.values("page_id"))
        )
    )
    for source in sources:
        grants = list(GroupPagePermission.objects.filter(page=source))
        workflow = WorkflowPage.objects.filter(page=source).values_list("workflow_id", flat=True)
        for translation in source.get_translations():
            for grant in grants:
                GroupPagePermission.objects.get_or_create(
                    group_id=grant.group_id, page=translation, permission_id=grant.permission_id
                )
            if workflow:
                WorkflowPage.objects.get_or_create(
                    page=translation, defaults={"workflow_id": workflow[0]}
                )


@transaction.atomic
def page_translation_create(*, page: Page, language_code: str, user=None) -> Page:
    """A draft copy of ``page`` (and of any ancestor not yet translated) in the language,
    for a translator to rewrite and publish. Returns the existing one when there is one."""
    locale, _ = Locale.objects.get_or_create(language_code=language_code)
    existing = page.get_translation_or_none(locale)
    if existing is not None:
        return existing.specific
    translated = CopyPageForTranslationAction(
        page.specific, locale, copy_parents=True, user=user
    ).execute(skip_permission_checks=user is None)
    # Wagtail copies missing ancestors as aliases (mirrors of the English page); the home
    # page and the index are content to translate too, so they become pages of their own.
    for ancestor in translated.get_ancestors().filter(alias_of__isnull=False):
        ConvertAliasPageAction(ancestor.specific, user=user).execute(
            skip_permission_checks=user is None
        )
    return Page.objects.get(pk=translated.pk).specific


@transaction.atomic
def privacy_notice_translation_create(
    *, notice: PrivacyNotice, language_code: str
) -> PrivacyNotice:
    """A copy of ``notice`` in the language, for a translator to rewrite."""
    locale, _ = Locale.objects.get_or_create(language_code=language_code)
    existing = notice.get_translation_or_none(locale)
    if existing is not None:
        return existing
    translated = notice.copy_for_translation(locale)
    translated.save()
    return translated
