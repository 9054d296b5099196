"""Channel accounts: credentials encrypted at rest, validated at the boundary, tied to a department."""

from __future__ import annotations

import os
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection

from cms import env
from connectors.base import Connector
from connectors.crypto import CredentialsUnreadable, credentials_decrypt, credentials_encrypt
from connectors.models import ChannelAccount, ConsultationChannel
from connectors.registry import connector_class, connector_names, connector_options
from connectors.schemas import InvalidCredentials
from connectors.services import channel_account_create
from tests.connectors.conftest import connector_options_set
from tests.factories.connectors import DepartmentFactory, consultation_page

SECRET = "s3cret-access-token-that-must-never-be-stored-in-plaintext"


def test_credentials_are_not_stored_in_plaintext(db):
    channel = channel_account_create(
        department=DepartmentFactory(),
        network="mastodon",
        handle="cleanair",
        base_url="http://127.0.0.1:9",
        credentials={"access_token": SECRET},
    )

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {ChannelAccount._meta.db_table} WHERE id = %s",  # noqa: S608
            [channel.pk],
        )
        row = " ".join(str(value) for value in cursor.fetchone())
    assert SECRET not in row
    assert "access_token" not in row
    assert ChannelAccount.objects.get(pk=channel.pk).credentials == {"access_token": SECRET}


def test_credentials_encrypted_with_another_key_are_reported_not_garbled(settings):
    token = credentials_encrypt({"access_token": SECRET})
    settings.HUB_CHANNEL_KEY = "a-completely-different-key"

    with pytest.raises(CredentialsUnreadable, match="HUB_CHANNEL_KEY"):
        credentials_decrypt(token)


def test_a_rotated_key_still_reads_credentials_written_with_the_old_one(settings):
    settings.HUB_CHANNEL_KEY = "old-key"
    token = credentials_encrypt({"access_token": SECRET})
    settings.HUB_CHANNEL_KEY = "new-key,old-key"

    assert credentials_decrypt(token) == {"access_token": SECRET}
    assert credentials_decrypt(credentials_encrypt({"a": "b"})) == {"a": "b"}


def test_empty_channel_key_is_a_configuration_error(settings):
    settings.HUB_CHANNEL_KEY = " , "

    with pytest.raises(ImproperlyConfigured):
        credentials_encrypt({"a": "b"})


def test_embedded_default_key_file_is_readable_only_by_its_owner(
    tmp_path, monkeypatch, reread_environment
):
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path))

    key = env.local_secret("channel_key")

    path = tmp_path / "channel_key"
    assert key and path.read_text().strip() == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.mark.parametrize(
    ("network", "credentials", "missing"),
    [
        (
            "x",
            {"consumer_key": "a", "consumer_secret": "b", "access_token": "c"},
            "access_token_secret",
        ),
        ("mastodon", {"access_token": "  "}, "access_token"),
        ("bluesky", {"identifier": "cleanair.bsky.social"}, "password"),
    ],
)
def test_incomplete_credentials_are_refused_and_name_what_is_missing(
    db, network, credentials, missing
):
    with pytest.raises(InvalidCredentials, match=missing):
        channel_account_create(
            department=DepartmentFactory(),
            network=network,
            handle="cleanair",
            credentials=credentials,
        )

    assert not ChannelAccount.objects.exists()


def test_a_consultation_cannot_use_another_departments_channel(home_page):
    mine, theirs = DepartmentFactory(), DepartmentFactory()
    channel = channel_account_create(
        department=theirs, network="mastodon", handle="theirs", credentials={"access_token": "t"}
    )
    page = consultation_page(home_page, mine)

    link = ConsultationChannel(page=page, channel=channel)

    with pytest.raises(ValidationError, match="another department"):
        link.full_clean()


def test_registry_loads_every_configured_connector_by_name():
    assert set(connector_names()) >= {"x", "mastodon", "bluesky"}
    for name in connector_names():
        loaded = connector_class(name)
        assert issubclass(loaded, Connector)
        assert loaded.network == name


def test_registry_names_the_known_networks_when_asked_for_an_unknown_one():
    with pytest.raises(ImproperlyConfigured, match="bluesky"):
        connector_class("myspace")


def test_registry_refuses_a_path_that_is_not_a_connector(settings):
    settings.HUB_CONNECTORS = {
        **settings.HUB_CONNECTORS,
        "odd": {"BACKEND": "connectors.types.ExternalPost"},
    }

    with pytest.raises(ImproperlyConfigured, match="not a Connector"):
        connector_class("odd")


def test_registry_refuses_an_entry_without_a_backend_or_with_unknown_options(settings):
    settings.HUB_CONNECTORS = {
        **settings.HUB_CONNECTORS,
        "bare": "connectors.backends.mastodon.MastodonConnector",
        "typo": {
            "BACKEND": "connectors.backends.mastodon.MastodonConnector",
            "OPTIONS": {"POLL_INTERVALL": 5},
        },
    }

    with pytest.raises(ImproperlyConfigured, match="BACKEND"):
        connector_class("bare")
    with pytest.raises(ImproperlyConfigured, match="POLL_INTERVALL"):
        connector_options("typo")


def test_registry_refuses_a_backend_registered_under_another_name(settings):
    settings.HUB_CONNECTORS = {
        **settings.HUB_CONNECTORS,
        "elsewhere": {"BACKEND": "connectors.backends.mastodon.MastodonConnector"},
    }

    with pytest.raises(ImproperlyConfigured, match="whose network is 'mastodon'"):
        connector_class("elsewhere")


def test_options_override_the_backends_own_defaults(settings):
    backend = connector_class("mastodon")
    assert connector_options("mastodon").poll_interval == backend.poll_interval
    connector_options_set(settings, "mastodon", POLL_INTERVAL=7, REQUEST_BUDGET=3)

    options = connector_options("mastodon")

    assert (options.poll_interval, options.request_budget) == (7, 3)
    assert options.read_budget == backend.read_budget
