"""A release that gives a role a new permission reaches an existing deployment at
``migrate``, without anyone running ``seed_demo`` (which is where the roles were made)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from wagtail.models import GroupPagePermission

from consultations.services import COMMS_OFFICER, roles_ensure
from tests.factories.consultations import consultation_index

pytestmark = pytest.mark.django_db


def _translate() -> Permission:
    return Permission.objects.get(
        content_type__app_label="simple_translation", codename="submit_translation"
    )


def test_migrate_gives_the_roles_what_this_release_grants():
    index = consultation_index()
    roles_ensure(index_page=index)
    officers = Group.objects.get(name=COMMS_OFFICER)
    # A deployment from before the permission existed, or whose grant was lost.
    officers.permissions.remove(_translate())
    GroupPagePermission.objects.filter(group=officers).delete()

    call_command("migrate", verbosity=0, stdout=io.StringIO())

    assert _translate() in officers.permissions.all()
    assert GroupPagePermission.objects.filter(group=officers, page=index).exists()


def test_migrate_on_a_database_with_no_index_makes_no_groups():
    Group.objects.filter(name=COMMS_OFFICER).delete()

    call_command("migrate", verbosity=0, stdout=io.StringIO())

    assert not Group.objects.filter(name=COMMS_OFFICER).exists()
