"""Production refuses unsafe configuration; /healthz tells the public only its status."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from tests.cms.test_settings import production_env, run_manage
from tests.factories.consultations import UserFactory


@pytest.mark.parametrize("hosts", ["*", "hub.example.gov.uk,*", " * "])
def test_production_refuses_a_wildcard_in_allowed_hosts(hosts):
    result = run_manage("check", **production_env(ALLOWED_HOSTS=hosts))

    assert result.returncode != 0
    assert "not '*'" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "correct horse battery staple",
        "a" * 44,
        f"{Fernet.generate_key().decode()},not-a-key",
    ],
)
def test_production_refuses_a_channel_key_that_is_not_a_fernet_key(key):
    result = run_manage("check", **production_env(HUB_CHANNEL_KEY=key))

    assert result.returncode != 0
    assert "is not a Fernet key" in result.stderr


def test_production_accepts_rotated_fernet_keys():
    keys = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"

    result = run_manage("check", **production_env(HUB_CHANNEL_KEY=keys))

    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_a_shared_cache():
    result = run_manage("check", **production_env(CACHE_URL=None))

    assert result.returncode != 0
    assert "CACHE_URL must be set" in result.stderr


def test_production_refuses_a_sqlite_file_other_users_can_read(tmp_path):
    database = tmp_path / "hub.sqlite3"
    database.touch()
    database.chmod(0o644)

    result = run_manage(
        "check", **production_env(DATABASE_URL=f"sqlite:///{database}", HUB_DATA_DIR=str(tmp_path))
    )

    assert result.returncode != 0
    assert "can be read by other users" in result.stderr
    database.chmod(0o600)
    accepted = run_manage(
        "check", **production_env(DATABASE_URL=f"sqlite:///{database}", HUB_DATA_DIR=str(tmp_path))
    )
    assert accepted.returncode == 0, accepted.stderr


def test_a_new_sqlite_file_is_created_readable_by_its_owner_only(tmp_path):
    database = tmp_path / "fresh.sqlite3"

    result = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="cms.settings.base",
        DATABASE_URL=f"sqlite:///{database}",
        HUB_DATA_DIR=str(tmp_path),
    )

    assert result.returncode == 0, result.stderr
    assert database.stat().st_mode & 0o777 == 0o600


# --- /healthz ------------------------------------------------------------------------


def _search_node_nobody_listens_on(settings):
    # Its error text (host, port, client version) must stay private.
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {
            "BACKEND": "modelsearch.backends.opensearch3",
            "URLS": ["http://127.0.0.1:9"],
            "TIMEOUT": 1,
        }
    }


@pytest.mark.django_db
def test_healthz_tells_the_public_only_its_status_never_an_error(client, settings):
    settings.HUB_HEALTH_TOKEN = ""
    _search_node_nobody_listens_on(settings)

    answer = client.get("/healthz")

    assert answer.status_code == 503
    assert answer.json() == {"status": "failing"}
    assert "127.0.0.1" not in answer.text


@pytest.mark.django_db
def test_healthz_gives_its_details_to_the_health_token_only(client, settings):
    _search_node_nobody_listens_on(settings)
    settings.HUB_HEALTH_TOKEN = "monitor-" + "x" * 30  # noqa: S105 - a test token

    wrong = client.get("/healthz", HTTP_AUTHORIZATION="Bearer monitor-guess")
    right = client.get("/healthz", HTTP_AUTHORIZATION=f"Bearer {settings.HUB_HEALTH_TOKEN}")

    assert wrong.json() == {"status": "failing"}
    assert right.json()["database"] == "ok"
    assert right.json()["search"].startswith("error: ")


@pytest.mark.django_db
def test_healthz_gives_its_details_to_staff(client, settings):
    settings.CELERY_BROKER_URL = ""
    settings.HUB_HEALTH_TOKEN = ""
    client.force_login(UserFactory(username="ops", is_staff=True))

    body = client.get("/healthz").json()

    assert body["database"] == "ok"
    assert body["broker"].startswith("not configured")


def test_a_fernet_channel_key_is_used_as_it_is_and_old_tokens_still_decrypt(settings):
    import base64
    import hashlib
    import json

    from connectors import crypto

    key = Fernet.generate_key().decode()
    settings.HUB_CHANNEL_KEY = key
    # Written before keys were taken as they are: under the key's SHA-256 stretch.
    stretched = base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest())
    old_token = Fernet(stretched).encrypt(json.dumps({"token": "old"}).encode()).decode()

    new_token = crypto.credentials_encrypt({"token": "new"})

    assert json.loads(Fernet(key.encode()).decrypt(new_token.encode())) == {"token": "new"}
    assert crypto.credentials_decrypt(old_token) == {"token": "old"}
