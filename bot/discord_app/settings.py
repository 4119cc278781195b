"""Every setting, read from the environment and `.env` when a program starts (never at import),
and validated in one place: the bot and the command line both read them here.

Real environment variables win over `.env`, so a deployment can override a checked-out file.
Nothing here imports discord, so the offline command line can use it.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import field
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlsplit

from bot.core.config import MatchConfig
from bot.core.engine import Engine
from bot.core.knowledge import KnowledgeError
from bot.core.misses_store import describe_url, is_database_url
from bot.core.misspolicy import DEFAULT_LOW_CONFIDENCE, DEFAULT_RETENTION_DAYS, MissPolicy
from bot.core.records import record
from bot.core.resources import default_state_dir

# A burst of questions passes at once; past it, answers wait for the window to turn.
DEFAULT_RATE_LIMIT_BURST = 5
DEFAULT_RATE_LIMIT_SECONDS = 10.0
# Discord waits 3 s for the first response to an interaction, and the reply still has to
# travel: past this budget a question gets a polite "taking too long" instead of an answer.
DEFAULT_ANSWER_BUDGET_SECONDS = 1.5
MISSES_FILE = "misses.sqlite3"  # in the state folder, unless CNRP_MISSES_DB names another file
HISTORY_FILE = "history"  # the console's line history, in the state folder
# Health and metrics listen on loopback unless told otherwise: they are for the machine's own
# monitoring agent or a reverse proxy, not for the internet.
DEFAULT_METRICS_HOST = "127.0.0.1"
LOG_FORMATS = ("text", "json")
# Every variable from_env reads; .env.example documents exactly these (a test keeps them equal).
KEYS = (
    "DISCORD_TOKEN", "DEV_GUILD_ID", "LISTEN_CHANNEL_IDS", "MATCH_THRESHOLD", "AMBIGUITY_MARGIN",
    "RATE_LIMIT_BURST", "RATE_LIMIT_SECONDS", "ANSWER_BUDGET_SECONDS", "LOG_LEVEL", "SHARD_COUNT",
    "SHARD_IDS", "CNRP_KNOWLEDGE_DIR", "CNRP_MISSES_DB", "MISSES_RETENTION_DAYS", "MISSES_LOG_USERS",
    "MISSES_LOW_CONFIDENCE", "CNRP_STATE_DIR", "DATABASE_URL", "METRICS_PORT", "METRICS_HOST",
    "LOG_FORMAT",
)  # fmt: skip
# Keys earlier versions read: still set in many .env files, so they are named, not ignored.
RETIRED = {
    "COOLDOWN_SECONDS": "COOLDOWN_SECONDS is no longer read: questions past RATE_LIMIT_BURST "
                        "within RATE_LIMIT_SECONDS are delayed, never dropped",
    "CNRP_MISSES_LOG": "CNRP_MISSES_LOG is no longer read: misses are kept in CNRP_MISSES_DB "
                       "(import the old file with `cnrp-bot misses --import FILE`)",
}  # fmt: skip
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


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


@record
class Settings:
    """Every setting the bot and the command line read, validated (`from_env`)."""

    token: Secret
    dev_guild_id: int | None = None
    listen_channel_ids: frozenset[int] = frozenset()
    match_threshold: float | None = None
    ambiguity_margin: float | None = None
    rate_limit_burst: int = DEFAULT_RATE_LIMIT_BURST  # 0: no rate limit
    rate_limit_seconds: float = DEFAULT_RATE_LIMIT_SECONDS
    log_level: str = "INFO"
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    knowledge_dir: Path | None = None
    answer_budget_seconds: float = DEFAULT_ANSWER_BUDGET_SECONDS
    # What the program writes goes here: never into the package, nor beside the checkout.
    state_dir: Path = field(default_factory=lambda: default_state_dir(os.environ))
    misses_db: Path | None = None  # None: misses.sqlite3 in the state folder
    database_url: Secret | None = None  # postgresql://…: one store for every shard and machine
    misses: MissPolicy = field(default_factory=MissPolicy)
    metrics_port: int | None = None  # None: no health or metrics endpoint
    metrics_host: str = DEFAULT_METRICS_HOST
    log_format: str = "text"
    notes: tuple[str, ...] = ()  # worth a warning at start-up, not worth refusing to start

    @property
    def misses_path(self) -> Path:
        """The SQLite store's file (used when DATABASE_URL is not set)."""
        return self.misses_db or self.state_dir / MISSES_FILE

    @property
    def history_path(self) -> Path:
        return self.state_dir / HISTORY_FILE

    @property
    def store_target(self) -> str | Path:
        """What `bot.core.misses_store.open_store` opens: the database URL, or the SQLite file."""
        return self.database_url.reveal() if self.database_url is not None else self.misses_path

    @property
    def store_name(self) -> str:
        """Where misses are kept, fit to print or log: a file, or a database without its password."""
        if self.database_url is not None:
            return describe_url(self.database_url.reveal())
        return str(self.misses_path)

    @property
    def needs_message_content(self) -> bool:
        # Mentions and DMs carry their text without the privileged intent; only
        # reading every message in a listen channel needs it.
        return bool(self.listen_channel_ids)

    @property
    def log_level_number(self) -> int:
        import logging  # only the bot sets a log level: a command-line start never needs it

        return logging.getLevelNamesMapping()[self.log_level]

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        dotenv_path: Path | None = None,
        require_token: bool = True,
    ) -> Settings:
        """Read settings; `environ` defaults to os.environ and `.env` to the working directory's.
        The offline command line reads them with `require_token=False`."""
        env = _merged_env(os.environ if environ is None else environ, dotenv_path)
        reader = _Reader(env)
        token = reader.text("DISCORD_TOKEN")
        if not token and require_token:
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
        burst = reader.integer("RATE_LIMIT_BURST", minimum=0)
        window = reader.number("RATE_LIMIT_SECONDS", minimum=0.0)
        if window == 0.0:
            reader.problems.append("RATE_LIMIT_SECONDS must be more than 0 "
                                   "(RATE_LIMIT_BURST=0 turns the rate limit off)")
        budget = reader.number("ANSWER_BUDGET_SECONDS", minimum=0.1, maximum=60.0)
        knowledge = reader.text("CNRP_KNOWLEDGE_DIR")
        misses_db = reader.text("CNRP_MISSES_DB")
        state_dir = reader.text("CNRP_STATE_DIR")
        database_url = reader.database_url("DATABASE_URL")
        notes = [note for key, note in RETIRED.items() if reader.text(key)]
        if database_url and misses_db:
            notes.append("CNRP_MISSES_DB is not used: DATABASE_URL is set, and misses go there")
        metrics_host = reader.host("METRICS_HOST") or DEFAULT_METRICS_HOST
        log_format = (reader.text("LOG_FORMAT") or "text").lower()
        if log_format not in LOG_FORMATS:
            reader.problems.append(f"LOG_FORMAT must be text or json, got {log_format!r}")
        retention = reader.integer("MISSES_RETENTION_DAYS", minimum=0)
        low = reader.number("MISSES_LOW_CONFIDENCE", minimum=0.0, maximum=1.0)
        policy = MissPolicy(
            low_confidence=DEFAULT_LOW_CONFIDENCE if low is None else low,
            record_users=reader.flag("MISSES_LOG_USERS"),
            retention_days=DEFAULT_RETENTION_DAYS if retention is None else retention,
        )
        settings = cls(
            token=Secret(token),
            dev_guild_id=reader.integer("DEV_GUILD_ID", minimum=1),
            listen_channel_ids=frozenset(reader.id_list("LISTEN_CHANNEL_IDS") or ()),
            match_threshold=reader.number("MATCH_THRESHOLD", minimum=0.0, maximum=1.0),
            ambiguity_margin=reader.number("AMBIGUITY_MARGIN", minimum=0.0, maximum=1.0),
            rate_limit_burst=DEFAULT_RATE_LIMIT_BURST if burst is None else burst,
            rate_limit_seconds=window or DEFAULT_RATE_LIMIT_SECONDS,
            answer_budget_seconds=DEFAULT_ANSWER_BUDGET_SECONDS if budget is None else budget,
            log_level=log_level,
            shard_count=shard_count,
            shard_ids=tuple(shard_ids) if shard_ids else None,
            knowledge_dir=Path(knowledge).expanduser() if knowledge else None,
            state_dir=Path(state_dir).expanduser() if state_dir else default_state_dir(env),
            misses_db=Path(misses_db).expanduser() if misses_db else None,
            database_url=Secret(database_url) if database_url else None,
            misses=policy,
            metrics_port=reader.integer("METRICS_PORT", minimum=1, maximum=65535),
            metrics_host=metrics_host,
            log_format=log_format,
            notes=tuple(notes),
        )
        if reader.problems:
            raise SettingsError(reader.problems)
        return settings


def match_config(settings: Settings) -> MatchConfig:
    """The engine's defaults with the MATCH_THRESHOLD / AMBIGUITY_MARGIN overrides applied."""
    config = MatchConfig()
    if settings.match_threshold is not None:
        config = dataclasses.replace(config, threshold=settings.match_threshold)
    if settings.ambiguity_margin is not None:
        config = dataclasses.replace(config, ambiguity_margin=settings.ambiguity_margin)
    return config


def load_engine(settings: Settings) -> Engine:
    """A fresh engine from disk, as the settings say (blocking: /reload runs it in a thread).
    Any failure is a KnowledgeError, so start-up and /reload refuse with a message, never a
    traceback or "something went wrong"."""
    try:
        return Engine.load(settings.knowledge_dir, match_config(settings), cache=True)
    except KnowledgeError:
        raise
    except Exception as error:
        raise KnowledgeError.unexpected(settings.knowledge_dir, error) from error


def token_configured(
    environ: Mapping[str, str] | None = None, *, dotenv_path: Path | None = None
) -> bool:
    """Whether DISCORD_TOKEN is set in the environment or `.env`: the CLI's cue to start the bot."""
    env = _merged_env(os.environ if environ is None else environ, dotenv_path)
    return bool(env.get("DISCORD_TOKEN", "").strip())


def _merged_env(environ: Mapping[str, str], dotenv_path: Path | None) -> dict[str, str]:
    path = dotenv_path if dotenv_path is not None else Path.cwd() / ".env"
    from_file: dict[str, str | None] = {}
    if path.is_file():  # python-dotenv (and the logging it brings) only when there is a file
        from dotenv import dotenv_values

        from_file = dotenv_values(path)
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

    def integer(self, key: str, *, minimum: int, maximum: int | None = None) -> int | None:
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
        if maximum is not None and value > maximum:
            self.problems.append(f"{key} must be at most {maximum}, got {value}")
            return None
        return value

    def host(self, key: str) -> str:
        """An address to listen on: an IP address or a host name, without a port."""
        raw = self.text(key)
        if not raw:
            return ""
        try:
            ipaddress.ip_address(raw)
        except ValueError:
            if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?", raw):
                self.problems.append(f"{key} must be an IP address or a host name (no port), got {raw!r}")
                return ""
        return raw

    def database_url(self, key: str) -> str:
        """A postgresql:// URL, checked for its form and for the driver it needs. The URL may
        hold a password, so a problem names its scheme, never the URL."""
        raw = self.text(key)
        if not raw:
            return ""
        if not is_database_url(raw):
            scheme = urlsplit(raw).scheme.lower() if "://" in raw else ""
            self.problems.append(f"{key} must be a postgresql:// URL (e.g. postgresql://bot@db.internal/cnrp), "
                                 f"got {'a ' + scheme + ':// URL' if scheme else 'something else'}")
            return ""
        if find_spec("psycopg") is None:
            self.problems.append(f"{key} needs the PostgreSQL driver: pip install 'cnrp-bot[postgres]'")
            return ""
        return raw

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

    def flag(self, key: str) -> bool:
        raw = self.text(key).lower()
        if raw in TRUE_WORDS:
            return True
        if raw and raw not in FALSE_WORDS:
            self.problems.append(f"{key} must be 1 or 0 (or true/false, yes/no, on/off), got {raw!r}")
        return False

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
