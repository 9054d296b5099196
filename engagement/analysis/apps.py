from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "engagement.analysis"
    label = "analysis"
    verbose_name = "Response analysis"

    def ready(self) -> None:
        # why: the handler imports models, which load only once the app registry is ready.
        from engagement.analysis import erasure, retention
        from engagement.record.signals import responses_erasing, retention_expiring

        # An erasure on request reaches the analysis' copies (embeddings, themes, campaigns).
        responses_erasing.connect(erasure.responses_erasing, dispatch_uid="analysis-erasing")
        # The retention schedule reaches the campaign groups' wording (original words).
        retention_expiring.connect(retention.retention_expiring, dispatch_uid="analysis-retention")
