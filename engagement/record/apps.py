from django.apps import AppConfig


class RecordConfig(AppConfig):
    name = "engagement.record"
    label = "record"
    verbose_name = "Record of responses"
