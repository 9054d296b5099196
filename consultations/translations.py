"""Which content has its translation, and whether the translation keeps up with its source.

The default language's pages (home, the consultations index, each consultation with its
questions and outcome) and privacy notices are the sources; a translation is their copy in
another locale (Wagtail's ``translation_key``). A translation is out of date when its source
changed after the translation was last published (pages) or saved (privacy notices): the
translator's publishing is what says "this version follows the source" (docs/adr/0018).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from wagtail.actions.convert_alias import ConvertAliasPageAction
from wagtail.actions.copy_for_translation import CopyPageForTranslationAction
from wagtail.models import Locale, Page

from consultations.models import PrivacyNotice

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
        statuses.append(
            TranslationStatus(
                source=source,
                translation=translated,
                status=_status(
                    source.last_published_at,
                    translated,
                    translated.last_published_at if translated else None,
                    bool(translated and translated.live),
                ),
                source_changed_at=source.last_published_at,
                translation_changed_at=translated.last_published_at if translated else None,
            )
        )
    notices = PrivacyNotice.objects.filter(locale=default).select_related("department")
    notice_translations = {
        notice.translation_key: notice
        for notice in PrivacyNotice.objects.filter(locale__language_code=language_code)
    }
    for notice in notices:
        translated_notice = notice_translations.get(notice.translation_key)
        statuses.append(
            TranslationStatus(
                source=notice,
                translation=translated_notice,
                status=_status(
                    notice.updated_at,
                    translated_notice,
                    translated_notice.updated_at if translated_notice else None,
                    translated_notice is not None,
                ),
                source_changed_at=notice.updated_at,
                translation_changed_at=translated_notice.updated_at if translated_notice else None,
            )
        )
    return statuses


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
