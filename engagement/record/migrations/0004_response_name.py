"""Name and consent to show it belong to each response, not to the respondent.

Each response takes the name and consent its respondent held (the last submission's,
which is all that was kept). ``published_name`` stays empty: a copied name is redacted
and shown only when a moderator next approves the response.
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def names_to_responses(apps, schema_editor):
    Respondent = apps.get_model("record", "Respondent")
    Response = apps.get_model("record", "Response")
    respondent = Respondent.objects.filter(pk=OuterRef("respondent_id"))
    Response.objects.exclude(respondent__name="").update(
        respondent_name=Subquery(respondent.values("name")[:1]),
        publish_name=Subquery(respondent.values("consented_to_publish_name")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("record", "0003_erasure"),
    ]

    operations = [
        migrations.AddField(
            model_name="response",
            name="respondent_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="response",
            name="publish_name",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="response",
            name="published_name",
            field=models.CharField(blank=True, max_length=1000),
        ),
        migrations.RunPython(names_to_responses, migrations.RunPython.noop),
        migrations.RemoveField(model_name="respondent", name="consented_to_publish_name"),
        migrations.RemoveField(model_name="respondent", name="name"),
    ]
