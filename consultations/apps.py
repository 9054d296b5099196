from django.apps import AppConfig
from wagtail.users.apps import WagtailUsersAppConfig


class ConsultationsConfig(AppConfig):
    # why: this module holds more than one AppConfig, so Django must be told which.
    default = True
    name = "consultations"
    verbose_name = "Consultations"

    def ready(self):
        # why: the policies import models, which may not load before the app registry is ready.
        from django.db.models.signals import post_migrate
        from wagtail.signals import page_published

        from consultations import permissions, translations
        from consultations.models import ConsultationPage

        permissions.register()
        post_migrate.connect(roles_follow_migrations, dispatch_uid="consultations.roles")
        # A translation's schedule follows its English page (docs/adr/0018).
        page_published.connect(
            translations.consultation_published,
            sender=ConsultationPage,
            dispatch_uid="consultations.schedule-follows",
        )


def roles_follow_migrations(sender, using="default", **kwargs) -> None:
    """After ``migrate``, bring the hub's groups up to this release's permissions.

    A release that gives a role a new permission (translating, say) reaches an existing
    deployment without anyone running ``seed_demo``. Run once, for the last app: by then
    every app's permissions exist. A database with no consultation index yet (a fresh
    one, or a test's) has nothing to attach the page permissions to, so it is left alone.
    """
    from django.apps import apps
    from django.conf import settings

    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if not with_models or sender is not with_models[-1]:
        return
    from consultations.models import ConsultationIndexPage
    from consultations.services import roles_ensure

    indexes = ConsultationIndexPage.objects.using(using).filter(
        locale__language_code=settings.LANGUAGE_CODE
    )
    for index in indexes:
        roles_ensure(index_page=index)


class HubUsersConfig(WagtailUsersAppConfig):
    """Wagtail's users app, with accounts scoped to departments (consultations.users)."""

    default = False
    user_viewset = "consultations.users.DepartmentUserViewSet"

    def ready(self):
        super().ready()
        # why: as in ConsultationsConfig.ready.
        from django.contrib.auth import get_user_model
        from wagtail.permissions import register_permission_policy

        from consultations.permissions import DepartmentPermissionPolicy

        # Replaces the plain policy just registered for users.
        register_permission_policy(get_user_model(), DepartmentPermissionPolicy(get_user_model()))
