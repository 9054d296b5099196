from django.apps import AppConfig
from wagtail.users.apps import WagtailUsersAppConfig


class ConsultationsConfig(AppConfig):
    # why: this module holds more than one AppConfig, so Django must be told which.
    default = True
    name = "consultations"
    verbose_name = "Consultations"

    def ready(self):
        # why: the policies import models, which may not load before the app registry is ready.
        from consultations import permissions

        permissions.register()


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
