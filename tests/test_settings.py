"""Settings come from the environment and `.env`, read when asked (never at import)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

import bot
from bot.core.config import MatchConfig
from bot.core.misspolicy import MissPolicy
from bot.discord_app.settings import (
    KEYS,
    Secret,
    Settings,
    SettingsError,
    empty_token_note,
    match_config,
    token_configured,
)

TOKEN = "MTIz.secret-token-value"
ENV_EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"DISCORD_TOKEN": TOKEN, **env}, dotenv_path=tmp_path / ".env")


def test_defaults(tmp_path: Path) -> None:
    s = settings(tmp_path)
    assert s.token.reveal() == TOKEN
    assert s.dev_guild_id is None and s.listen_channel_ids == frozenset()
    assert s.match_threshold is None and s.ambiguity_margin is None
    assert (s.rate_limit_burst, s.rate_limit_seconds) == (5, 10.0) and s.log_level == "INFO"
    assert s.shard_count is None and s.shard_ids is None and s.knowledge_dir is None
    assert s.misses_db is None and s.misses_path == s.state_dir / "misses.sqlite3"
    assert s.state_dir.name == "cnrp-bot" and s.database_url is None and s.misses == MissPolicy()
    assert (s.metrics_port, s.metrics_host, s.log_format) == (None, "127.0.0.1", "text")
    assert s.misses.retention_days == 90 and not s.misses.record_users
    assert not s.needs_message_content and s.notes == ()


def test_every_key_is_parsed(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        DEV_GUILD_ID="123",
        LISTEN_CHANNEL_IDS=" 1, 2,,3 ",
        MATCH_THRESHOLD="0.7",
        AMBIGUITY_MARGIN="0.05",
        RATE_LIMIT_BURST="0",
        RATE_LIMIT_SECONDS="2.5",
        LOG_LEVEL="debug",
        SHARD_COUNT="4",
        SHARD_IDS="0,2",
        CNRP_KNOWLEDGE_DIR="/srv/knowledge",
        CNRP_MISSES_DB="/srv/misses.sqlite3",
        MISSES_RETENTION_DAYS="30",
        MISSES_LOG_USERS="yes",
        MISSES_LOW_CONFIDENCE="0.8",
        CNRP_STATE_DIR="/var/lib/cnrp-bot",
        METRICS_PORT="9100",
        METRICS_HOST="0.0.0.0",
        LOG_FORMAT="JSON",
    )
    assert s.dev_guild_id == 123
    assert s.listen_channel_ids == frozenset({1, 2, 3}) and s.needs_message_content
    assert (s.match_threshold, s.ambiguity_margin) == (0.7, 0.05)
    assert (s.rate_limit_burst, s.rate_limit_seconds) == (0, 2.5)
    assert s.log_level == "DEBUG" and s.log_level_number == logging.DEBUG
    assert (s.shard_count, s.shard_ids) == (4, (0, 2))
    assert s.knowledge_dir == Path("/srv/knowledge")
    assert s.misses_db == s.misses_path == s.store_target == Path("/srv/misses.sqlite3")
    assert s.state_dir == Path("/var/lib/cnrp-bot") and s.history_path.parent == s.state_dir
    assert (s.metrics_port, s.metrics_host, s.log_format) == (9100, "0.0.0.0", "json")
    assert s.misses == MissPolicy(low_confidence=0.8, record_users=True, retention_days=30)
    assert match_config(s) == MatchConfig(threshold=0.7, ambiguity_margin=0.05)


def test_the_token_never_shows_in_repr_str_or_format(tmp_path: Path) -> None:
    s = settings(tmp_path)
    for text in (repr(s), str(s), f"{s}", f"{s.token}", repr(s.token), str(s.token)):
        assert TOKEN not in text
    assert "***" in repr(s)
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b")


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"DISCORD_TOKEN={TOKEN}\nDEV_GUILD_ID=1\nRATE_LIMIT_BURST=9\n", encoding="utf-8"
    )
    s = Settings.from_env({"DEV_GUILD_ID": "2"}, dotenv_path=tmp_path / ".env")
    assert s.token.reveal() == TOKEN and s.dev_guild_id == 2 and s.rate_limit_burst == 9
    assert token_configured({}, dotenv_path=tmp_path / ".env")
    assert not token_configured({}, dotenv_path=tmp_path / "missing.env")


def test_an_empty_variable_does_not_hide_the_dotenv_value(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"DISCORD_TOKEN={TOKEN}\nLOG_LEVEL=DEBUG\n", encoding="utf-8")
    empty = {"DISCORD_TOKEN": "", "LOG_LEVEL": " ", "DEV_GUILD_ID": ""}
    assert token_configured(empty, dotenv_path=dotenv)
    s = Settings.from_env(empty, dotenv_path=dotenv)
    assert s.token.reveal() == TOKEN and s.log_level == "DEBUG" and s.dev_guild_id is None
    assert empty_token_note(empty, dotenv_path=dotenv) is None


def test_an_empty_token_everywhere_is_said_not_silent(tmp_path: Path) -> None:
    note = empty_token_note({"DISCORD_TOKEN": ""}, dotenv_path=tmp_path / "missing.env")
    assert note is not None and "DISCORD_TOKEN is set but empty" in note
    assert empty_token_note({}, dotenv_path=tmp_path / "missing.env") is None


def test_dotenv_defaults_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({}).token.reveal() == TOKEN


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "DEV_GUILD_ID": "my-guild",
                "LISTEN_CHANNEL_IDS": "12,#general",
                "MATCH_THRESHOLD": "1.5",
                "AMBIGUITY_MARGIN": "nan",
                "RATE_LIMIT_BURST": "-1",
                "RATE_LIMIT_SECONDS": "0",
                "LOG_LEVEL": "chatty",
                "SHARD_COUNT": "2",
                "SHARD_IDS": "0,2",
                "MISSES_RETENTION_DAYS": "forever",
                "MISSES_LOG_USERS": "maybe",
                "MISSES_LOW_CONFIDENCE": "abc",
                "DATABASE_URL": "mysql://bot:hunter2@db/cnrp",
                "METRICS_PORT": "70000",
                "METRICS_HOST": "0.0.0.0:9100",
                "LOG_FORMAT": "xml",
            },
            dotenv_path=tmp_path / ".env",
        )
    text = "\n".join(caught.value.problems)
    keys = ("DISCORD_TOKEN", "DEV_GUILD_ID", "LISTEN_CHANNEL_IDS", "MATCH_THRESHOLD",
            "AMBIGUITY_MARGIN", "RATE_LIMIT_BURST", "RATE_LIMIT_SECONDS", "LOG_LEVEL", "SHARD_IDS",
            "MISSES_RETENTION_DAYS", "MISSES_LOG_USERS", "MISSES_LOW_CONFIDENCE", "DATABASE_URL",
            "METRICS_PORT", "METRICS_HOST", "LOG_FORMAT")  # fmt: skip
    for key in keys:
        assert key in text, key
    assert len(caught.value.problems) == len(keys)
    assert "hunter2" not in text, "a database URL's password is never repeated back"


def test_the_command_line_reads_the_same_settings_without_a_token(tmp_path: Path) -> None:
    s = Settings.from_env({"MISSES_RETENTION_DAYS": "0"}, dotenv_path=tmp_path / ".env",
                          require_token=False)  # fmt: skip
    assert s.token.reveal() == "" and not s.misses.keeps_anything
    with pytest.raises(SettingsError, match="MISSES_LOW_CONFIDENCE"):
        Settings.from_env({"MISSES_LOW_CONFIDENCE": "abc"}, dotenv_path=tmp_path / ".env",
                          require_token=False)  # fmt: skip


def test_retired_settings_are_named_not_silently_ignored(tmp_path: Path) -> None:
    s = settings(tmp_path, COOLDOWN_SECONDS="3", CNRP_MISSES_LOG="/srv/misses.jsonl")
    assert len(s.notes) == 2
    assert "RATE_LIMIT_BURST" in s.notes[0] and "cnrp-bot misses --import" in s.notes[1]


def test_shard_ids_need_a_shard_count(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SHARD_IDS needs SHARD_COUNT"):
        settings(tmp_path, SHARD_IDS="1")


def test_importing_reads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI and the core run with an empty environment: importing the Discord layer must
    # neither read settings nor fail without a token.
    import importlib

    import bot.discord_app.app as app_module

    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    importlib.reload(app_module)


def test_env_example_documents_every_key_and_parses(tmp_path: Path) -> None:
    from dotenv import dotenv_values

    documented = set(dotenv_values(ENV_EXAMPLE))
    assert documented == set(KEYS)
    example = tmp_path / ".env"
    example.write_text(ENV_EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    s = Settings.from_env({"DISCORD_TOKEN": TOKEN}, dotenv_path=example)
    assert s == Settings.from_env({"DISCORD_TOKEN": TOKEN}, dotenv_path=tmp_path / "none.env"), (
        "the example's values are the defaults"
    )


def test_the_readme_names_every_setting() -> None:
    readme = (ENV_EXAMPLE.parent / "README.md").read_text(encoding="utf-8")
    assert [key for key in KEYS if f"`{key}`" not in readme] == []


def test_what_the_program_writes_goes_to_a_per_user_state_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    s = Settings.from_env({"HOME": str(home)}, dotenv_path=tmp_path / ".env", require_token=False)
    if sys.platform.startswith("linux"):
        assert s.state_dir == home / ".local" / "state" / "cnrp-bot"
        xdg = Settings.from_env({"HOME": str(home), "XDG_STATE_HOME": str(tmp_path / "state")},
                                dotenv_path=tmp_path / ".env", require_token=False)
        assert xdg.state_dir == tmp_path / "state" / "cnrp-bot"
        relative = Settings.from_env({"HOME": str(home), "XDG_STATE_HOME": "state"},
                                     dotenv_path=tmp_path / ".env", require_token=False)
        assert relative.state_dir == s.state_dir, "XDG says a relative path is ignored"
    assert s.misses_path == s.state_dir / "misses.sqlite3" and s.history_path.parent == s.state_dir
    package = Path(bot.__file__).resolve().parent
    for written in (s.misses_path, s.history_path):
        assert package not in written.parents and package.parent not in written.parents
    chosen = Settings.from_env({"HOME": str(home), "CNRP_STATE_DIR": str(tmp_path / "mine")},
                               dotenv_path=tmp_path / ".env", require_token=False)
    assert chosen.misses_path == tmp_path / "mine" / "misses.sqlite3"


def test_a_database_url_is_a_secret_and_wins_over_the_file(tmp_path: Path) -> None:
    url = "postgresql://bot:s3cret-pass@db.internal:5433/cnrp?sslmode=require"
    s = settings(tmp_path, DATABASE_URL=url, CNRP_MISSES_DB="/srv/misses.sqlite3")
    assert s.database_url is not None and s.database_url.reveal() == url
    assert s.store_target == url
    assert s.store_name == "postgresql://bot@db.internal:5433/cnrp"
    assert "s3cret-pass" not in repr(s) and "s3cret-pass" not in s.store_name
    assert any("CNRP_MISSES_DB is not used" in note for note in s.notes)
    assert settings(tmp_path, DATABASE_URL="postgres://db/cnrp").database_url is not None


def test_a_database_url_needs_its_driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.discord_app.settings.find_spec", lambda name: None)
    with pytest.raises(SettingsError, match=r"pip install 'cnrp-bot\[postgres\]'"):
        settings(tmp_path, DATABASE_URL="postgresql://db/cnrp")


@pytest.mark.parametrize(("key", "value", "message"), [
    ("METRICS_PORT", "0", "METRICS_PORT must be at least 1"),
    ("METRICS_PORT", "http", "METRICS_PORT must be a whole number"),
    ("METRICS_HOST", "[::1]:9100", "METRICS_HOST must be an IP address or a host name"),
    ("LOG_FORMAT", "yaml", "LOG_FORMAT must be text or json"),
    ("DATABASE_URL", "/srv/misses.sqlite3", "DATABASE_URL must be a postgresql:// URL"),
])  # fmt: skip
def test_bad_operations_settings(tmp_path: Path, key: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        settings(tmp_path, **{key: value})


def test_metrics_listen_on_any_address_or_host_name(tmp_path: Path) -> None:
    for host in ("::1", "10.0.0.5", "localhost", "metrics.internal"):
        assert settings(tmp_path, METRICS_PORT="9100", METRICS_HOST=host).metrics_host == host
