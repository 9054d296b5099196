"""Create the demo administrator on first run and print how to log in.

The password is random, kept in the data folder (mode 0600) so a second run
prints the same login; nothing secret is committed.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from cms import env


class Command(BaseCommand):
    help = "Create (once) the demo admin user and print the login."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        password = env.local_secret("demo-admin-password", nbytes=12)
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.gov.uk"}
        )
        if created or not user.check_password(password):
            user.is_staff = True
            user.is_superuser = True
            user.set_password(password)
            user.save()
        base = "http://127.0.0.1:8000"
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin login: {base}/admin/  username: {username}  password: {password}"
            )
        )
