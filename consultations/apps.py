from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = "Consultations"

    def ready(self):
        # why: the policies import models, which may not load before the app registry is ready.
        from consultations import permissions

        permissions.register()
