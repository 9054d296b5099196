from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "engagement.analysis"
    label = "analysis"
    verbose_name = "Response analysis"

    def ready(self) -> None:
        # why: the handler imports models, which load only once the app registry is ready.
        from engagement.analysis import erasure
        from engagement.record.signals import responses_erasing

        # An erasure on request reaches the analysis' copies (embeddings, themes, campaigns).
        responses_erasing.connect(erasure.responses_erasing, dispatch_uid="analysis-erasing")
