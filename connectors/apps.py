from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Social media connectors"

    def ready(self) -> None:
        from wagtail.signals import page_published

        from connectors import signals
        from connectors.registry import network_choices
        from connectors.selectors import department_mention_handles
        from consultations.accounts import department_handles_lookup_register
        from engagement.record.channels import social_channels_provide

        page_published.connect(
            signals.schedule_deliveries_on_publish, dispatch_uid="connectors-publish"
        )
        # The record (a lower layer) lists the registered networks as channels.
        social_channels_provide(network_choices)
        # Moderation keeps mentions of the department's own accounts.
        department_handles_lookup_register(department_mention_handles)
