"""Admin accounts: log-in throttling, two-factor authentication, short secure sessions."""

from __future__ import annotations

import hmac
import re
import struct
import time
from base64 import b32decode
from hashlib import sha1

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.cms.test_settings import production_env, run_manage
from tests.factories.consultations import DepartmentFactory, UserFactory
from tests.security.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def rfc6238_code(key: bytes, *, at: float | None = None, digits: int = 6) -> str:
    """A TOTP code as an authenticator app computes it (RFC 6238: HMAC-SHA1, 30 s steps)."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def test_the_codes_the_tests_compute_match_rfc_6238():
    # RFC 6238, appendix B: the SHA-1 seed at T = 59 s gives 94287082 (8 digits).
    assert rfc6238_code(b"12345678901234567890", at=59, digits=8) == "94287082"


@pytest.fixture
def officer(db):
    from consultations.services import ADMINISTRATOR, department_member_add, roles_ensure
    from tests.factories.consultations import consultation_index

    roles_ensure(index_page=consultation_index())
    user = UserFactory(username="officer-2fa")
    department_member_add(user=user, department=DepartmentFactory(), roles=(ADMINISTRATOR,))
    return user


def _log_in(client, username, password):
    return client.post(reverse("wagtailadmin_login"), {"username": username, "password": password})


# --- Throttling ------------------------------------------------------------------------


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_admin_log_in_is_locked_after_repeated_wrong_passwords(client, officer):
    for _attempt in range(3):
        _log_in(client, officer.username, "wrong password")

    locked = _log_in(client, officer.username, PASSWORD)

    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.text
    assert client.get(reverse("wagtailadmin_home")).status_code == 302  # still signed out
    assert "_auth_user_id" not in client.session


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_a_successful_log_in_before_the_limit_resets_the_count(client, officer):
    for _attempt in range(2):
        _log_in(client, officer.username, "wrong password")
    assert _log_in(client, officer.username, PASSWORD).status_code == 302
    client.logout()

    for _attempt in range(2):
        _log_in(client, officer.username, "wrong password")

    assert _log_in(client, officer.username, PASSWORD).status_code == 302


# --- Two-factor authentication ------------------------------------------------------------


@override_settings(HUB_ADMIN_2FA=True)
def test_with_two_factor_on_a_password_alone_opens_no_admin_page(client, officer):
    assert _log_in(client, officer.username, PASSWORD).status_code == 302

    for url in (reverse("wagtailadmin_home"), reverse("responses:index"), "/admin/users/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("hub_2fa_enrol")), url


@override_settings(HUB_ADMIN_2FA=True)
def test_an_admin_user_enrols_an_authenticator_then_confirms_each_log_in(client, officer):
    _log_in(client, officer.username, PASSWORD)

    enrol = client.get(reverse("hub_2fa_enrol"), {"next": reverse("responses:index")})
    key = b32decode(re.search(r"Key: <code>([A-Z2-7 ]+)</code>", enrol.text)[1].replace(" ", ""))
    wrong = client.post(reverse("hub_2fa_enrol"), {"token": "000000"})
    TOTPDevice.objects.get(user=officer).throttle_reset()  # django-otp backs off after a miss
    now = time.time()
    confirmed = client.post(
        reverse("hub_2fa_enrol"),
        {"token": rfc6238_code(key, at=now), "next": reverse("responses:index")},
    )

    assert "<svg" in enrol.text  # the QR code
    assert wrong.status_code == 200 and "not accepted" in wrong.text
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("responses:index")
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    assert TOTPDevice.objects.get(user=officer).confirmed

    # The next log-in asks for a code again.
    client.logout()
    _log_in(client, officer.username, PASSWORD)
    assert client.get(reverse("wagtailadmin_home"))["Location"].startswith(
        reverse("hub_2fa_verify")
    )
    replayed = client.post(reverse("hub_2fa_verify"), {"token": rfc6238_code(key, at=now)})
    assert replayed.status_code == 200 and "not accepted" in replayed.text  # used once already
    TOTPDevice.objects.get(user=officer).throttle_reset()
    good = client.post(reverse("hub_2fa_verify"), {"token": rfc6238_code(key, at=now + 30)})
    assert good.status_code == 302
    assert client.get(reverse("wagtailadmin_home")).status_code == 200


@override_settings(HUB_ADMIN_2FA=True)
def test_a_password_alone_cannot_enrol_a_second_authenticator(client, officer):
    TOTPDevice.objects.create(user=officer, name="Owner's phone", confirmed=True)
    _log_in(client, officer.username, PASSWORD)

    response = client.get(reverse("hub_2fa_enrol"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("hub_2fa_verify"))
    assert TOTPDevice.objects.filter(user=officer).count() == 1


@override_settings(HUB_ADMIN_2FA=True)
def test_two_factor_verify_redirects_only_to_the_hubs_own_paths(client, officer):
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    _log_in(client, officer.username, PASSWORD)

    response = client.post(
        reverse("hub_2fa_verify"),
        {"token": rfc6238_code(device.bin_key), "next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("wagtailadmin_home")


def test_without_two_factor_a_password_opens_the_admin(client, officer):
    _log_in(client, officer.username, PASSWORD)

    assert client.get(reverse("wagtailadmin_home")).status_code == 200


def test_a_superuser_is_held_to_two_factor_too(client):
    get_user_model().objects.create_superuser(username="root2", password=PASSWORD)
    with override_settings(HUB_ADMIN_2FA=True):
        _log_in(client, "root2", PASSWORD)
        assert client.get("/admin/users/").status_code == 302


# --- Production ----------------------------------------------------------------------------

PRODUCTION_VALUES = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.HUB_ADMIN_2FA, s.SESSION_COOKIE_SECURE, s.SESSION_EXPIRE_AT_BROWSER_CLOSE, "
    "s.SESSION_COOKIE_AGE, s.SESSION_COOKIE_HTTPONLY)"
)


def test_production_holds_every_admin_to_two_factor_with_short_secure_sessions():
    result = run_manage("shell", "-c", PRODUCTION_VALUES, **production_env())

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["True", "True", "True", "28800", "True"]


def test_production_refuses_to_turn_two_factor_off():
    result = run_manage("check", **production_env(HUB_ADMIN_2FA="false"))

    assert result.returncode != 0
    assert "HUB_ADMIN_2FA cannot be turned off" in result.stderr
