from django.db import migrations
from wagtail.models import BootstrapTranslatableModel


class Migration(migrations.Migration):
    """Existing questions and privacy notices are English: each gets the default locale and
    its own translation key (Wagtail's documented way to make a model translatable)."""

    dependencies = [
        ("consultations", "0008_translatable_questions_and_notices_bootstrap"),
    ]

    operations = [
        BootstrapTranslatableModel("consultations.Question"),
        BootstrapTranslatableModel("consultations.PrivacyNotice"),
    ]
