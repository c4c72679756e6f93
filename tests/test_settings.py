"""Settings: file, environment overrides, one-line errors."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.settings import Settings, SettingsError, load_settings

REPO = Path(__file__).resolve().parents[1]


def test_defaults_without_file(tmp_path):
    settings = load_settings(config_path=None, environ={})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.redis_url is None
    assert settings.jobs.max_tries == 5


def test_file_then_environment_precedence(tmp_path):
    config = tmp_path / "shop.toml"
    config.write_text('database_url = "sqlite:///from-file.sqlite"\n[jobs]\nmax_tries = 3\n')
    settings = load_settings(environ={
        "SHOPWRIGHT_CONFIG": str(config),
        "SHOPWRIGHT_JOBS__MAX_TRIES": "7",
        "SHOPWRIGHT_REDIS_URL": "redis://127.0.0.1:6379/2",
        "SHOPWRIGHT_SECRET_KEY": "x" * 32,
    })
    assert settings.database_url == "sqlite:///from-file.sqlite"
    assert settings.jobs.max_tries == 7
    assert settings.redis_url == "redis://127.0.0.1:6379/2"
    assert settings.secret_key == "x" * 32


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"SHOPWRIGHT_DATABASE_URL": "mysql://x"}, "database_url"),
        ({"SHOPWRIGHT_REDIS_URL": "http://x"}, "redis_url"),
        ({"SHOPWRIGHT_SECRET_KEY": "short"}, "secret_key"),
        ({"SHOPWRIGHT_JOBS__MAX_TRIES": "many"}, "jobs.max_tries"),
        ({"SHOPWRIGHT_SERVER__PORT": "70000"}, "server.port"),
        ({"SHOPWRIGHT_STORE__CURRENCY": "EURO"}, "store.currency"),
        ({"SHOPWRIGHT_NO_SUCH_THING": "1"}, "no_such_thing"),
    ],
)
def test_bad_value_is_one_line_naming_the_setting(environ, names):
    with pytest.raises(SettingsError) as caught:
        load_settings(config_path=None, environ=environ)
    message = str(caught.value)
    assert "\n" not in message
    assert names in message


def test_missing_config_file_is_reported(tmp_path):
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(environ={"SHOPWRIGHT_CONFIG": str(tmp_path / "nope.toml")})


def test_shipped_config_documents_every_setting():
    text = (REPO / "config" / "shopwright.toml").read_text()
    loaded = load_settings(config_path=REPO / "config" / "shopwright.toml", environ={})
    assert loaded == Settings(), "the shipped file only shows defaults, commented out"
    for name, field in Settings.model_fields.items():
        section = getattr(field.annotation, "model_fields", None)
        if section:
            assert f"[{name}]" in text
            for key in section:
                assert re.search(rf"^# {key} = ", text, re.M), f"{name}.{key} is not documented"
        else:
            assert re.search(rf"^# {name} = ", text, re.M), f"{name} is not documented"


def test_the_file_init_writes_is_the_shipped_config_with_a_secret_key_set():
    """``shopwright init`` writes ``engine/config_template.toml``: the shipped
    file, every setting documented the same way, with the secret key set."""
    shipped = (REPO / "config" / "shopwright.toml").read_text()
    template = (REPO / "engine" / "config_template.toml").read_text()
    assert template == shipped.replace('# secret_key = "dev-insecure-change-me"', 'secret_key = "__SECRET_KEY__"')
