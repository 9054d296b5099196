"""Moderators: officers with the Response moderator role in a department."""

from __future__ import annotations

from consultations.services import MODERATOR, department_member_add, roles_ensure
from tests.factories.consultations import UserFactory, consultation_index


def moderator_create(*, department, username: str | None = None, roles=(MODERATOR,)):
    """A user in ``department`` with the given role groups (made if missing)."""
    roles_ensure(index_page=consultation_index())
    user = UserFactory(username=username) if username else UserFactory()
    department_member_add(user=user, department=department, roles=tuple(roles))
    return user
