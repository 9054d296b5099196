"""Move the pending reminders of translations to their English page's closing date once.

Publishing the English page now moves its translations' pending "one week left",
"closes tomorrow" and "now closed" posts with its closing date
(connectors.services._translations_reminders_follow). Welsh reminders scheduled before
that keep their old times until a page is next published; this moves them now, the way
publishing does: pending ones only, on the consultation's active channels of its
department, and only to a time still to come.
"""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

BEFORE_CLOSING = {
    "reminder_7d": timedelta(days=7),
    "reminder_1d": timedelta(days=1),
    "closed": timedelta(0),
}


def translations_reminders_follow_english_closing(apps, schema_editor):
    Delivery = apps.get_model("connectors", "Delivery")
    ConsultationChannel = apps.get_model("connectors", "ConsultationChannel")
    now = timezone.now()
    pending = (
        Delivery.objects.filter(kind__in=list(BEFORE_CLOSING), status="pending")
        .exclude(language="")
        .select_related("consultation")
    )
    linked: dict[int, set[int]] = {}
    for delivery in pending:
        consultation = delivery.consultation
        if consultation.pk not in linked:
            linked[consultation.pk] = set(
                ConsultationChannel.objects.filter(
                    page_id=consultation.pk,
                    channel__is_active=True,
                    channel__department_id=consultation.department_id,
                ).values_list("channel_id", flat=True)
            )
        due_at = consultation.closes_at - BEFORE_CLOSING[delivery.kind]
        if delivery.channel_id in linked[consultation.pk] and now < due_at != delivery.due_at:
            Delivery.objects.filter(pk=delivery.pk).update(due_at=due_at, updated_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("connectors", "0010_delivery_retry_at"),
        ("consultations", "0012_translations_follow_english_schedule"),
    ]

    operations = [
        migrations.RunPython(
            translations_reminders_follow_english_closing, migrations.RunPython.noop
        ),
    ]
