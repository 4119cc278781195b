"""Discord settings, read from the environment and `.env` when the bot starts (never at import).

Real environment variables win over `.env`, so a deployment can override a checked-out file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

DEFAULT_COOLDOWN_SECONDS = 3.0
# Discord waits 3 s for the first response to an interaction, and the reply still has to
# travel: past this budget a question gets a polite "taking too long" instead of an answer.
DEFAULT_ANSWER_BUDGET_SECONDS = 1.5
# Every variable from_env reads; .env.example documents exactly these (a test keeps them equal).
KEYS = (
    "DISCORD_TOKEN", "DEV_GUILD_ID", "LISTEN_CHANNEL_IDS", "MATCH_THRESHOLD", "AMBIGUITY_MARGIN",
    "COOLDOWN_SECONDS", "LOG_LEVEL", "SHARD_COUNT", "SHARD_IDS", "CNRP_KNOWLEDGE_DIR",
    "ANSWER_BUDGET_SECONDS",
)  # fmt: skip
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """One or more settings are missing or malformed; the message lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class Secret:
    """A string that never shows itself by accident: repr, str and format all mask it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    token: Secret
    dev_guild_id: int | None = None
    listen_channel_ids: frozenset[int] = frozenset()
    match_threshold: float | None = None
    ambiguity_margin: float | None = None
    cooldown_seconds: float = DEFAULT_COOLDOWN_SECONDS
    log_level: str = "INFO"
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    knowledge_dir: Path | None = None
    answer_budget_seconds: float = DEFAULT_ANSWER_BUDGET_SECONDS

    @property
    def needs_message_content(self) -> bool:
        # Mentions and DMs carry their text without the privileged intent; only
        # reading every message in a listen channel needs it.
        return bool(self.listen_channel_ids)

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        dotenv_path: Path | None = None,
    ) -> Settings:
        """Read settings; `environ` defaults to os.environ and `.env` to the working directory's."""
        env = _merged_env(os.environ if environ is None else environ, dotenv_path)
        reader = _Reader(env)
        token = reader.text("DISCORD_TOKEN")
        if not token:
            reader.problems.append(
                "DISCORD_TOKEN is not set (the bot token from the developer portal)"
            )
        shard_count = reader.integer("SHARD_COUNT", minimum=1)
        shard_ids = reader.id_list("SHARD_IDS")
        if shard_ids and shard_count is None:
            reader.problems.append("SHARD_IDS needs SHARD_COUNT (the total number of shards)")
        elif shard_ids and shard_count is not None:
            bad = [i for i in shard_ids if i >= shard_count]
            if bad:
                reader.problems.append(
                    f"SHARD_IDS {bad} out of range: shard ids run from 0 to SHARD_COUNT-1 "
                    f"({shard_count - 1})"
                )
        log_level = (reader.text("LOG_LEVEL") or "INFO").upper()
        if log_level not in LOG_LEVELS:
            reader.problems.append(
                f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}"
            )
        cooldown = reader.number("COOLDOWN_SECONDS", minimum=0.0)
        knowledge = reader.text("CNRP_KNOWLEDGE_DIR")
        budget = reader.number("ANSWER_BUDGET_SECONDS", minimum=0.1, maximum=60.0)
        settings = cls(
            token=Secret(token),
            dev_guild_id=reader.integer("DEV_GUILD_ID", minimum=1),
            listen_channel_ids=frozenset(reader.id_list("LISTEN_CHANNEL_IDS") or ()),
            match_threshold=reader.number("MATCH_THRESHOLD", minimum=0.0, maximum=1.0),
            ambiguity_margin=reader.number("AMBIGUITY_MARGIN", minimum=0.0, maximum=1.0),
            cooldown_seconds=DEFAULT_COOLDOWN_SECONDS if cooldown is None else cooldown,
            log_level=log_level,
            shard_count=shard_count,
            shard_ids=tuple(shard_ids) if shard_ids else None,
            knowledge_dir=Path(knowledge).expanduser() if knowledge else None,
            answer_budget_seconds=DEFAULT_ANSWER_BUDGET_SECONDS if budget is None else budget,
        )
        if reader.problems:
            raise SettingsError(reader.problems)
        return settings


def environment(
    environ: Mapping[str, str] | None = None, *, dotenv_path: Path | None = None
) -> dict[str, str]:
    """The environment with `.env` underneath it, for settings read outside this module
    (the core's CNRP_MISSES_LOG and MISSES_LOG_USERS)."""
    return _merged_env(os.environ if environ is None else environ, dotenv_path)


def token_configured(
    environ: Mapping[str, str] | None = None, *, dotenv_path: Path | None = None
) -> bool:
    """Whether DISCORD_TOKEN is set in the environment or `.env`: the CLI's cue to start the bot."""
    env = _merged_env(os.environ if environ is None else environ, dotenv_path)
    return bool(env.get("DISCORD_TOKEN", "").strip())


def _merged_env(environ: Mapping[str, str], dotenv_path: Path | None) -> dict[str, str]:
    path = dotenv_path if dotenv_path is not None else Path.cwd() / ".env"
    from_file = dotenv_values(path) if path.is_file() else {}
    merged = {key: value for key, value in from_file.items() if value is not None}
    # An empty variable counts as unset: `DISCORD_TOKEN=` (as compose files pass a variable
    # the host lacks) hid the token in .env, and the bot quietly ran as the offline console.
    merged.update({key: value for key, value in environ.items()
                   if value.strip() or not merged.get(key, "").strip()})
    return merged


def empty_token_note(
    environ: Mapping[str, str] | None = None, *, dotenv_path: Path | None = None
) -> str | None:
    """What to tell the operator when DISCORD_TOKEN is present but empty everywhere: the bot
    is not started, which would otherwise look like a silent exit."""
    env = _merged_env(os.environ if environ is None else environ, dotenv_path)
    if "DISCORD_TOKEN" in env and not env["DISCORD_TOKEN"].strip():
        return ("DISCORD_TOKEN is set but empty, so the Discord bot is not started; "
                "answering questions offline instead.")
    return None


class _Reader:
    """Parses one variable at a time and collects every problem instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def text(self, key: str) -> str:
        return self.env.get(key, "").strip()

    def integer(self, key: str, *, minimum: int) -> int | None:
        raw = self.text(key)
        if not raw:
            return None
        try:
            value = int(raw)
        except ValueError:
            self.problems.append(f"{key} must be a whole number, got {raw!r}")
            return None
        if value < minimum:
            self.problems.append(f"{key} must be at least {minimum}, got {value}")
            return None
        return value

    def number(self, key: str, *, minimum: float, maximum: float | None = None) -> float | None:
        raw = self.text(key)
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            self.problems.append(f"{key} must be a number, got {raw!r}")
            return None
        if value != value or value < minimum or (maximum is not None and value > maximum):
            upper = "" if maximum is None else f" and at most {maximum}"
            self.problems.append(f"{key} must be at least {minimum}{upper}, got {raw}")
            return None
        return value

    def id_list(self, key: str) -> list[int] | None:
        raw = self.text(key)
        if not raw:
            return None
        ids: list[int] = []
        for part in (p.strip() for p in raw.split(",")):
            if not part:
                continue
            if not part.isdigit():
                self.problems.append(f"{key} must be comma-separated numbers, got {part!r}")
                continue
            ids.append(int(part))
        return ids
