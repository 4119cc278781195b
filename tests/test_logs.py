"""The log's shapes: JSON lines that a shipper can read one by one, text for a terminal, and
secrets replaced in both, wherever they came from."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.discord_app.logs import JsonFormatter, RedactingFormatter, formatter_for
from bot.discord_app.settings import Settings

TOKEN = "MTIz.secret-token-value.abcdef"
PASSWORD = "db-pass-w0rd"


def record(message: str, *args: object, fields: dict[str, object] | None = None,
           error: BaseException | None = None) -> logging.LogRecord:
    made = logging.LogRecord("bot.test", logging.INFO, __file__, 1, message, args,
                             (type(error), error, error.__traceback__) if error else None)
    if fields is not None:
        made.fields = fields
    return made


def test_a_json_line_is_one_object_on_one_line_with_the_callers_fields() -> None:
    line = JsonFormatter().format(record("answered\nover two lines %s", "ok",
                                         fields={"route": "dm", "server": None, "latency_ms": 0.41,
                                                 "message": "not mine", "at": Path("/x")}))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "answered\nover two lines ok", "a field never replaces the message"
    assert (entry["route"], entry["server"], entry["latency_ms"]) == ("dm", None, 0.41)
    assert entry["level"] == "INFO" and entry["logger"] == "bot.test" and entry["time"].endswith("+00:00")
    assert entry["at"] == "/x", "anything else is written as text"


def test_an_exception_stays_in_its_line() -> None:
    try:
        raise ValueError("bad thing")
    except ValueError as error:
        line = JsonFormatter().format(record("failed", error=error))
    entry = json.loads(line)
    assert "ValueError: bad thing" in entry["exception"] and "\n" not in line


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_secrets_never_reach_the_log_in_either_format(tmp_path: Path, log_format: str) -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": TOKEN, "LOG_FORMAT": log_format,
                                  "DATABASE_URL": f"postgresql://bot:{PASSWORD}@db/cnrp"},
                                 dotenv_path=tmp_path / ".env")
    formatter = formatter_for(settings)
    try:
        raise RuntimeError(f"connect failed with {TOKEN} and {PASSWORD}")
    except RuntimeError as error:
        text = formatter.format(record("token %s in the message " + TOKEN, TOKEN, error=error,
                                       fields={"url": f"postgresql://bot:{PASSWORD}@db/cnrp"}))
    assert TOKEN not in text and PASSWORD not in text and "***" in text
    if log_format == "json":
        json.loads(text)


def test_a_short_secret_is_not_blanked_everywhere() -> None:
    formatter = RedactingFormatter(logging.Formatter("%(message)s"), ["pw", "a-longer-secret"])
    assert formatter.format(record("pw a-longer-secret")) == "pw ***"


def test_json_lines_are_cleaned_as_text_lines_are_and_keep_their_fields(tmp_path: Path) -> None:
    # logsafe's rules hold in JSON too: a payload argument is cut to its shape, an interaction
    # token masked, an id in the text hashed; the caller's own fields (no user) stay as given.
    settings = Settings.from_env({"DISCORD_TOKEN": TOKEN, "LOG_FORMAT": "json"},
                                 dotenv_path=tmp_path / ".env")
    user, server = 123456789012345678, 223456789012345678
    url = f"https://discord.com/api/v10/interactions/{user}/aW50ZXJhY3Rpb24.abc/callback"
    made = record("%s sent %s by user %s", url, '{"content": "my secret question"}', user,
                  fields={"event": "answered", "server": server, "channel": None})
    entry = json.loads(formatter_for(settings).format(made))
    assert "my secret question" not in entry["message"] and "<payload of" in entry["message"]
    assert "aW50ZXJhY3Rpb24" not in entry["message"] and str(user) not in entry["message"]
    assert "id#" in entry["message"]
    assert entry["server"] == server and entry["event"] == "answered"
    text_line = formatter_for(Settings.from_env({"DISCORD_TOKEN": TOKEN},
                                                dotenv_path=tmp_path / ".env")).format(made)
    assert "my secret question" not in text_line and str(user) not in text_line
