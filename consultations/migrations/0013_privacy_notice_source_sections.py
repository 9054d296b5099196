from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0012_translations_follow_english_schedule"),
    ]

    operations = [
        migrations.AddField(
            model_name="privacynotice",
            name="source_sections",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
    ]
