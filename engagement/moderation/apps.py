from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "engagement.moderation"
    label = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        # why: the policy imports models, which load only once the app registry is ready.
        from engagement.moderation import erasure
        from engagement.moderation.services import ModerationPublishingPolicy
        from engagement.record.publishing import publishing_policy_register
        from engagement.record.signals import responses_erasing

        # The record asks this policy on every write what may be published (it cannot
        # import moderation, which sits above it): registered here, explicitly.
        publishing_policy_register(ModerationPublishingPolicy())
        # An erasure on request reaches moderation's copy (the notes) the same way.
        responses_erasing.connect(
            erasure.responses_erasing, dispatch_uid="moderation-responses-erasing"
        )
