from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "engagement.analysis"
    label = "analysis"
    verbose_name = "Response analysis"
