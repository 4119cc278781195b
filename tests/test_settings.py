"""Settings come from the environment and `.env`, read when asked (never at import)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.core.config import MatchConfig
from bot.core.misses import MissPolicy
from bot.discord_app.settings import (
    DEFAULT_MISSES_DB,
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
    assert s.misses_db == DEFAULT_MISSES_DB and s.misses == MissPolicy()
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
    )
    assert s.dev_guild_id == 123
    assert s.listen_channel_ids == frozenset({1, 2, 3}) and s.needs_message_content
    assert (s.match_threshold, s.ambiguity_margin) == (0.7, 0.05)
    assert (s.rate_limit_burst, s.rate_limit_seconds) == (0, 2.5)
    assert s.log_level == "DEBUG" and s.log_level_number == logging.DEBUG
    assert (s.shard_count, s.shard_ids) == (4, (0, 2))
    assert s.knowledge_dir == Path("/srv/knowledge")
    assert s.misses_db == Path("/srv/misses.sqlite3")
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
            },
            dotenv_path=tmp_path / ".env",
        )
    text = "\n".join(caught.value.problems)
    keys = ("DISCORD_TOKEN", "DEV_GUILD_ID", "LISTEN_CHANNEL_IDS", "MATCH_THRESHOLD",
            "AMBIGUITY_MARGIN", "RATE_LIMIT_BURST", "RATE_LIMIT_SECONDS", "LOG_LEVEL", "SHARD_IDS",
            "MISSES_RETENTION_DAYS", "MISSES_LOG_USERS", "MISSES_LOW_CONFIDENCE")  # fmt: skip
    for key in keys:
        assert key in text, key
    assert len(caught.value.problems) == len(keys)


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
