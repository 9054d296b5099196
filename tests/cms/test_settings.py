import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from cms.env import parse_search_url, redact_url
from tests.conftest import PROJECT_DIR


def test_search_url_selects_the_opensearch_backend_and_node():
    config = parse_search_url("opensearch3+http://127.0.0.1:9201")
    assert config.backend == "modelsearch.backends.opensearch3"
    assert config.urls == ("http://127.0.0.1:9201",)
    assert not config.is_database


def test_search_url_accepts_elasticsearch_with_credentials_and_several_nodes():
    config = parse_search_url("elasticsearch9+https://user:pass@a:9200,https://user:pass@b:9200")
    assert config.backend == "modelsearch.backends.elasticsearch9"
    assert config.urls == ("https://user:pass@a:9200", "https://user:pass@b:9200")


def test_empty_search_url_means_the_database_backend():
    assert parse_search_url("").is_database


@pytest.mark.parametrize("bad", ["http://127.0.0.1:9200", "solr+http://x:1", "opensearch3+ftp://x"])
def test_unknown_search_url_is_a_clear_configuration_error(bad):
    with pytest.raises(ImproperlyConfigured, match="SEARCH_URL"):
        parse_search_url(bad)


def test_redact_url_hides_the_password_only():
    assert redact_url("https://user:s3cret@host:9200") == "https://user:***@host:9200"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def run_manage(*args, **env_overrides):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "DEBUG",
            "ALLOWED_HOSTS",
            "DJANGO_SETTINGS_MODULE",
            "HUB_CHANNEL_KEY",
            "CACHE_URL",
        }
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(**overrides):
    """The variables production requires, each overridable (None removes it)."""
    env = {
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "SECRET_KEY": "a-long-random-production-secret-key-" + "k" * 40,
        "ALLOWED_HOSTS": "hub.example.gov.uk",
        "HUB_CHANNEL_KEY": Fernet.generate_key().decode(),
        "CACHE_URL": "redis://127.0.0.1:63799/15",
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = run_manage("check", **production_env(SECRET_KEY=None))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_refuse_to_start_without_a_channel_key():
    result = run_manage("check", **production_env(HUB_CHANNEL_KEY=None))
    assert result.returncode != 0
    assert "HUB_CHANNEL_KEY must be set" in result.stderr


def test_production_settings_refuse_to_start_with_debug_on():
    result = run_manage("check", **production_env(DEBUG="true"))
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_settings_pass_the_deploy_checks_with_required_variables():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def settings_value(expression, **env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL", "SEARCH_URL"}}
    env.update(env_overrides, DJANGO_SETTINGS_MODULE="cms.settings.base")
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_a_broker_wagtail_tasks_and_celery_run_in_process():
    assert settings_value("settings.TASKS['default']['BACKEND']") == (
        "django_tasks.backends.immediate.ImmediateBackend"
    )
    assert settings_value("settings.CELERY_TASK_ALWAYS_EAGER") == "True"


def test_with_a_broker_wagtail_tasks_go_to_celery():
    broker = {"CELERY_BROKER_URL": "redis://127.0.0.1:63799/0"}
    assert settings_value("settings.TASKS['default']['BACKEND']", **broker) == (
        "cms.tasks_backend.CeleryTaskBackend"
    )
    assert settings_value("settings.CELERY_TASK_ALWAYS_EAGER", **broker) == "False"
