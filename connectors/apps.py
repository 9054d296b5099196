from django.apps import AppConfig

from connectors.registry import network_choices
from consultations.accounts import department_handles_lookup_register
from engagement.record.channels import social_channels_provide


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Social media connectors"

    def ready(self) -> None:
        from wagtail.signals import page_published

        # why: the handlers and selectors import models, which load only once the app registry is ready.
        from connectors import erasure, retention, signals
        from connectors.selectors import department_mention_handles
        from engagement.record.signals import responses_erasing, retention_expiring

        page_published.connect(
            signals.schedule_deliveries_on_publish, dispatch_uid="connectors-publish"
        )
        # The record and the departments (lower layers) learn the networks from here.
        social_channels_provide(network_choices)
        department_handles_lookup_register(department_mention_handles)
        # An erasure on request reaches the quarantined payloads (connectors/erasure.py).
        responses_erasing.connect(erasure.responses_erasing, dispatch_uid="connectors-erasing")
        # The retention schedule reaches them too, as raw payloads (connectors/retention.py).
        retention_expiring.connect(
            retention.retention_expiring, dispatch_uid="connectors-retention"
        )
