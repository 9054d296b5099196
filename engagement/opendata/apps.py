from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "engagement.opendata"
    label = "opendata"
    verbose_name = "Open data"
