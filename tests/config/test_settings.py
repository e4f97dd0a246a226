"""Settings: YAML + environment + command line, and errors that name key, file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.config import ALL_RESOURCES, load_settings
from etl.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def config_error(path: Path | None, overrides=None, environ=None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, overrides or {}, environ or {})
    return str(caught.value)


def test_defaults_without_a_file() -> None:
    settings = load_settings(None, {}, {})
    assert settings.database.url == "sqlite:///rcetl.db"
    assert settings.sync.page_size == 100
    assert settings.sync.message_page_size == 1000
    assert settings.sync.concurrency == 4
    assert settings.sync.deletion_policy == "keep"
    assert settings.sync.resources == list(ALL_RESOURCES)
    assert settings.daemon.health_port is None
    assert settings.server.auth.token_env == "RCETL_TOKEN"


def test_the_example_config_is_valid_and_is_what_init_writes() -> None:
    from etl.cli.init_cmd import config_template

    example = REPO / "config.yaml"
    assert example.read_text(encoding="utf-8") == config_template()
    settings = load_settings(example, {}, {})
    assert str(settings.server.url) == "http://127.0.0.1:3000/"
    assert settings.schedules["rooms_messages"].interval == 300
    assert settings.schedules["reconcile"].cron == "30 2 * * *"


def test_unknown_key_names_key_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "server:\n  url: http://x:3000\nsync:\n  page_sise: 10\n")
    message = config_error(path)
    assert f"{path}, line 4: sync.page_sise: unknown key" in message


def test_wrong_type_names_key_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "sync:\n  concurrency: 4\n  page_size: lots\n")
    message = config_error(path)
    assert f"{path}, line 3: sync.page_size:" in message
    assert "'lots'" in message


def test_bad_url_names_key_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "# comment\nserver:\n  url: ftp://chat.example.com\n")
    message = config_error(path)
    assert f"{path}, line 3: server.url:" in message
    assert "http" in message


def test_bad_database_url_and_list_item(tmp_path: Path) -> None:
    text = "database:\n  url: mysql://db/x\nsync:\n  resources:\n    - rooms\n    - mesages\n"
    message = config_error(write(tmp_path, text))
    assert "line 2: database.url" in message
    assert "line 6: sync.resources.1" in message
    assert "'mesages'" in message


def test_schedule_errors(tmp_path: Path) -> None:
    text = (
        "schedules:\n  sync:\n    interval: 5x\n  both:\n    interval: 5m\n"
        "    cron: '0 3 * * *'\n  export:\n    cron: '0 3 * *'\n"
    )
    message = config_error(write(tmp_path, text))
    assert "line 3: schedules.sync.interval: not a duration" in message
    assert "line 4: schedules.both: give exactly one of interval or cron" in message
    assert "line 8: schedules.export.cron: cron needs 5 fields" in message


def test_durations(tmp_path: Path) -> None:
    text = "server:\n  timeout: 2m\nschedules:\n  sync:\n    interval: 90\n"
    settings = load_settings(write(tmp_path, text), {}, {})
    assert settings.server.timeout == 120.0
    assert settings.schedules["sync"].interval == 90.0


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "server:\n  url: http://x\n  auth: [unclosed\n")
    message = config_error(path)
    assert str(path) in message and "invalid YAML" in message and "line " in message


def test_missing_file() -> None:
    assert "cannot read config file" in config_error(Path("/nonexistent/rcetl.yaml"))


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = write(tmp_path, "sync:\n  concurrency: 2\n")
    environ = {
        "RCETL_SYNC__CONCURRENCY": "8",
        "RCETL_DATABASE__URL": "postgresql+psycopg://u@h:5432/db",
        "RCETL_SYNC__RESOURCES": "[rooms, users]",
        "RCETL_TOKEN": "a-secret-not-a-setting",
        "RCETL_USER_ID": "not-a-setting-either",
    }
    settings = load_settings(path, {}, environ)
    assert settings.sync.concurrency == 8
    assert settings.database.url == "postgresql+psycopg://u@h:5432/db"
    assert settings.sync.resources == ["rooms", "users"]


def test_command_line_overrides_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "sync:\n  page_size: 50\n")
    settings = load_settings(
        path,
        {"sync.page_size": "200", "server.url": "https://chat.example.com"},
        {"RCETL_SYNC__PAGE_SIZE": "75"},
    )
    assert settings.sync.page_size == 200
    assert str(settings.server.url) == "https://chat.example.com/"


def test_override_errors_name_their_source(tmp_path: Path) -> None:
    message = config_error(None, environ={"RCETL_SYNC__CONCURRENCY": "many"})
    assert "environment variable RCETL_SYNC__CONCURRENCY: sync.concurrency" in message
    message = config_error(None, overrides={"sync.deletion_policy": "shred"})
    assert "command line option sync.deletion_policy=shred: sync.deletion_policy" in message
    message = config_error(None, environ={"RCETL_SYNC__NO_SUCH_KEY": "1"})
    assert "sync.no_such_key: unknown key" in message


def test_missing_ca_bundle(tmp_path: Path) -> None:
    path = write(tmp_path, f"server:\n  ca_bundle: {tmp_path / 'nope.pem'}\n")
    assert "line 2: server.ca_bundle: CA bundle file not found" in config_error(path)


def test_export_settings_reach_the_export_options(tmp_path: Path) -> None:
    from etl.export.options import ExportOptions

    config = tmp_path / "config.yaml"
    config.write_text(
        "export:\n  endpoint_url: http://127.0.0.1:9000\n  batch_size: 2000\n"
        "  row_group_size: 4000\n  compression: snappy\n"
    )
    options = ExportOptions.from_settings(load_settings(config, {}).export)
    assert options == ExportOptions(2000, 4000, "snappy", "http://127.0.0.1:9000/")
