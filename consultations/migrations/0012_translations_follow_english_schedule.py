"""Bring the live translations' schedules in step with their English pages once.

Since this release a translation's opens, closes and outcome dates follow its English
page (consultations.translations.translations_schedule_follow, on each English publish;
docs/adr/0018). A Welsh page whose dates already differ would keep them until either page
is next published: its form closing on the old date. This copies them now, as publishing
the English page would. Only the live rows: a translation built from a revision takes the
English dates anyway (ConsultationPage.with_content_json), so revisions are left alone.
"""

from django.conf import settings
from django.db import migrations
from wagtail.coreutils import get_supported_content_language_variant

SCHEDULE_FIELDS = ("opens_at", "closes_at", "outcome_published_at")


def translations_follow_english_schedule(apps, schema_editor):
    ConsultationPage = apps.get_model("consultations", "ConsultationPage")
    default_language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
    sources = ConsultationPage.objects.filter(locale__language_code=default_language)
    schedules = {
        row["translation_key"]: row for row in sources.values("translation_key", *SCHEDULE_FIELDS)
    }
    translations = ConsultationPage.objects.filter(
        live=True, translation_key__in=list(schedules)
    ).exclude(locale__language_code=default_language)
    for translation in translations:
        source = schedules[translation.translation_key]
        followed = {name: source[name] for name in SCHEDULE_FIELDS}
        # As consultations.models.schedule_followed: no outcome date on a translation with
        # no outcome written, whose page links the English outcome meanwhile.
        if not translation.outcome:
            followed["outcome_published_at"] = None
        if any(getattr(translation, name) != value for name, value in followed.items()):
            ConsultationPage.objects.filter(pk=translation.pk).update(**followed)


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0011_consultation_video_link"),
    ]

    operations = [
        # Nothing to undo: going back, the translations keep the English dates they have.
        migrations.RunPython(translations_follow_english_schedule, migrations.RunPython.noop),
    ]
