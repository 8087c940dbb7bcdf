"""The settings module: fail-loud environment, production checks, Celery and cookies.

Settings are read once per process, so every environment other than the test run's
own is evaluated in a fresh process (the run_project fixture)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

import npp.settings as settings_module
from npp.celery import app
from npp.settings import env_bool, env_int, env_list, env_str
from tests.npp.conftest import PRODUCTION_SECRET_KEY

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": PRODUCTION_SECRET_KEY,
    "ALLOWED_HOSTS": "npp.example",
    "NPP_HTTPS": "1",
    "NPP_SIGNING_KEYS": "2026a=" + PRODUCTION_SECRET_KEY.replace(",", ""),
}


def settings_in_process(run_project, names: list[str], **env: str) -> dict:
    """The named settings as a fresh process sees them under `env`."""
    code = (
        "import json, django\n"
        "from django.conf import settings\n"
        "django.setup()\n"
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}, default=str))\n"
    )
    result = run_project(["-c", code], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- Fail-loud helpers ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["maybe", "2", "enabled", "tru"])
def test_a_boolean_setting_refuses_a_value_it_cannot_read(monkeypatch, value):
    monkeypatch.setenv("NPP_TEST_FLAG", value)

    with pytest.raises(ImproperlyConfigured, match="NPP_TEST_FLAG"):
        env_bool("NPP_TEST_FLAG", False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("YES", True), ("on", True), ("0", False), ("off", False)],
)
def test_a_boolean_setting_reads_the_usual_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("NPP_TEST_FLAG", value)

    assert env_bool("NPP_TEST_FLAG", not expected) is expected


@pytest.mark.parametrize("value", ["ten", "1.5", "30m", "0x10"])
def test_an_integer_setting_refuses_a_value_that_is_not_an_integer(monkeypatch, value):
    monkeypatch.setenv("NPP_TEST_NUMBER", value)

    with pytest.raises(ImproperlyConfigured, match="NPP_TEST_NUMBER"):
        env_int("NPP_TEST_NUMBER", 5)


def test_unset_or_empty_variables_take_the_default(monkeypatch):
    monkeypatch.delenv("NPP_TEST_NUMBER", raising=False)
    monkeypatch.setenv("NPP_TEST_LIST", "")

    assert env_int("NPP_TEST_NUMBER", 5) == 5
    assert env_list("NPP_TEST_LIST", ["a"]) == ["a"]
    assert env_str("NPP_TEST_NUMBER", "x") == "x"


def test_a_list_setting_is_split_on_commas_and_trimmed(monkeypatch):
    monkeypatch.setenv("NPP_TEST_LIST", " npp.example, www.npp.example ,,")

    assert env_list("NPP_TEST_LIST", []) == ["npp.example", "www.npp.example"]


def test_a_required_setting_without_a_value_is_refused(monkeypatch):
    monkeypatch.setenv("NPP_TEST_REQUIRED", "")

    with pytest.raises(ImproperlyConfigured, match="NPP_TEST_REQUIRED is required"):
        env_str("NPP_TEST_REQUIRED")


def test_a_malformed_variable_stops_the_process_at_startup(run_project):
    result = run_project(["manage.py", "check"], DEBUG="maybe")

    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG must be a boolean" in result.stderr


# --- Production -----------------------------------------------------------------------


def test_production_refuses_to_start_without_a_secret_key(run_project):
    result = run_project(["manage.py", "check"], DEBUG="0")

    assert result.returncode != 0
    assert "ImproperlyConfigured: Environment variable SECRET_KEY is required" in result.stderr


def test_production_starts_with_a_secret_key(run_project):
    result = run_project(["manage.py", "check"], DEBUG="0", SECRET_KEY=PRODUCTION_SECRET_KEY)

    assert result.returncode == 0, result.stderr


def test_the_deployment_checklist_passes_under_production_settings(run_project):
    result = run_project(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deployment_checklist_fails_with_debug_on(run_project):
    result = run_project(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **{**PRODUCTION, "DEBUG": "1"},
    )

    assert result.returncode != 0
    assert "security.W018" in result.stderr


# --- The shared cache (sign-in limits, used one-time codes) ----------------------------


def test_production_refuses_a_per_process_cache(run_project):
    result = run_project(
        ["manage.py", "check", "--deploy"], **PRODUCTION, NPP_CACHE_URL="locmem://"
    )

    assert result.returncode != 0
    assert "npp.E001" in result.stderr
    assert "NPP_CACHE_URL=redis://" in result.stderr


def test_a_production_web_process_refuses_to_start_with_a_per_process_cache(run_project):
    """gunicorn runs no system checks: the WSGI module runs this one."""
    result = run_project(["-c", "import npp.wsgi"], **PRODUCTION, NPP_CACHE_URL="locmem://")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "npp.E001" in result.stderr


def test_a_production_web_process_starts_with_the_default_cache(run_project):
    result = run_project(["-c", "import npp.wsgi"], **PRODUCTION)

    assert result.returncode == 0, result.stderr


def test_development_may_keep_a_per_process_cache(run_project):
    result = run_project(["manage.py", "check"], NPP_CACHE_URL="locmem://")

    assert result.returncode == 0, result.stderr


def test_a_cache_url_the_project_cannot_read_stops_the_process(run_project):
    result = run_project(["manage.py", "check"], NPP_CACHE_URL="memcached://cache:11211")

    assert result.returncode != 0
    assert "ImproperlyConfigured: NPP_CACHE_URL must be" in result.stderr


def test_migrate_alone_prepares_the_default_cache_every_process_shares(run_project):
    assert run_project(["manage.py", "migrate", "--noinput"]).returncode == 0
    code = "from django.core.cache import cache; cache.set('shared', 'yes', 60)"
    assert run_project(["manage.py", "shell", "-c", code]).returncode == 0

    code = "from django.core.cache import cache; print(cache.get('shared'))"
    result = run_project(["manage.py", "shell", "-c", code])  # another process

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "yes"


def test_https_gives_host_only_secure_cookies_and_hsts(run_project):
    values = settings_in_process(
        run_project,
        [
            "SESSION_COOKIE_NAME",
            "CSRF_COOKIE_NAME",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "SESSION_COOKIE_HTTPONLY",
            "SESSION_COOKIE_PATH",
            "SESSION_COOKIE_DOMAIN",
            "CSRF_COOKIE_PATH",
            "CSRF_COOKIE_DOMAIN",
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        ],
        NPP_HTTPS="1",
    )

    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["CSRF_COOKIE_NAME"].startswith("__Host-")
    # The browser accepts a __Host- cookie only if Secure, Path=/ and no Domain.
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_PATH"] == values["CSRF_COOKIE_PATH"] == "/"
    assert values["SESSION_COOKIE_DOMAIN"] is None
    assert values["CSRF_COOKIE_DOMAIN"] is None
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True


def test_plain_http_development_keeps_cookies_a_browser_will_send(run_project):
    values = settings_in_process(
        run_project, ["SESSION_COOKIE_NAME", "SESSION_COOKIE_SECURE", "SECURE_HSTS_SECONDS"]
    )

    assert not values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0


def test_argon2_hashes_passwords():
    # The test fixture swaps in a fast hasher; the module's own list is what runs.
    assert settings_module.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"

    from django.contrib.auth.hashers import Argon2PasswordHasher

    encoded = Argon2PasswordHasher().encode("npp-demo-2026", "saltsaltsalt")
    assert encoded.startswith("argon2$argon2id$")


# --- Celery ---------------------------------------------------------------------------


def test_celery_speaks_json_only():
    assert app.conf.task_serializer == "json"
    assert app.conf.result_serializer == "json"
    assert list(app.conf.accept_content) == ["json"]


def test_celery_acknowledges_late_and_takes_one_task_at_a_time():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_celery_tasks_have_time_limits():
    assert app.conf.task_soft_time_limit
    assert app.conf.task_time_limit
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert settings.NPP_TASK_RETRY_BACKOFF_MAX > 0


def test_a_worker_process_is_replaced_after_1000_tasks_or_512_mib():
    assert app.conf.worker_max_tasks_per_child == 1000
    assert app.conf.worker_max_memory_per_child == 512 * 1024  # Celery counts KiB


def test_the_worker_bounds_are_read_from_the_environment_and_0_lifts_them(run_project):
    names = ["CELERY_WORKER_MAX_TASKS_PER_CHILD", "CELERY_WORKER_MAX_MEMORY_PER_CHILD"]
    lower = settings_in_process(
        run_project,
        names,
        NPP_WORKER_MAX_TASKS_PER_CHILD="200",
        NPP_WORKER_MAX_MEMORY_PER_CHILD_MIB="300",
    )
    lifted = settings_in_process(
        run_project,
        names,
        NPP_WORKER_MAX_TASKS_PER_CHILD="0",
        NPP_WORKER_MAX_MEMORY_PER_CHILD_MIB="0",
    )

    assert lower == {names[0]: 200, names[1]: 300 * 1024}
    assert lifted == {names[0]: None, names[1]: None}


def test_redis_redelivers_only_after_the_longest_run_and_retry_wait(run_project):
    values = settings_in_process(
        run_project,
        ["CELERY_BROKER_TRANSPORT_OPTIONS", "CELERY_TASK_TIME_LIMIT", "NPP_TASK_RETRY_BACKOFF_MAX"],
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )

    visibility_timeout = values["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"]
    longest = values["CELERY_TASK_TIME_LIMIT"] + values["NPP_TASK_RETRY_BACKOFF_MAX"]
    assert visibility_timeout > longest


def test_a_redis_key_prefix_reaches_every_key_celery_writes(run_project):
    prefixed, plain = (
        settings_in_process(
            run_project,
            ["CELERY_BROKER_TRANSPORT_OPTIONS"],
            CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
            **env,
        )["CELERY_BROKER_TRANSPORT_OPTIONS"]
        for env in ({"NPP_REDIS_KEY_PREFIX": "staging:"}, {})
    )

    assert prefixed["global_keyprefix"] == "staging:"
    assert "global_keyprefix" not in plain


def test_the_embedded_broker_keeps_its_queue_under_the_var_folder(run_project, tmp_path):
    values = settings_in_process(
        run_project, ["CELERY_BROKER_URL", "CELERY_BROKER_TRANSPORT_OPTIONS"]
    )

    assert values["CELERY_BROKER_URL"].startswith("filesystem://")
    options = values["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert options["data_folder_in"] == options["data_folder_out"]
    assert options["data_folder_in"].startswith(str(tmp_path / "var"))
