from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Social media connectors"

    def ready(self) -> None:
        from wagtail.signals import page_published

        # why: the handlers import models, which load only once the app registry is ready.
        from connectors import erasure, signals
        from engagement.record.signals import responses_erasing

        page_published.connect(
            signals.schedule_deliveries_on_publish, dispatch_uid="connectors-publish"
        )
        # An erasure on request reaches the quarantined payloads (connectors/erasure.py).
        responses_erasing.connect(erasure.responses_erasing, dispatch_uid="connectors-erasing")
