"""The log's two shapes: lines of text for a terminal or the journal, or one JSON object per
line for a log shipper (LOG_FORMAT=json), with the fields a caller passes as
`extra={"fields": {...}}` as keys of their own.

Either way, secrets (the token, the database password) are replaced by *** in the finished
line, whatever carried them there: a message, an argument, an exception's text. And either
way the text of a line (its message, an exception) is cleaned as `logsafe` says: payloads
reduced to their shape, interaction tokens and typed text masked, ids replaced by a keyed
hash. A JSON line's own fields are the caller's, chosen to carry no user (the answer's server
and channel ids, never the asker's), and are written as they are.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from bot.discord_app.logsafe import RedactingFormatter as SafeTextFormatter
from bot.discord_app.logsafe import Redactor, shaped
from bot.discord_app.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
REDACTED = "***"
# A shorter "secret" (a weak database password) would blank out ordinary words all over the log.
MIN_SECRET_CHARS = 6
# The keys every JSON line has; a caller's fields never overwrite them.
BASE_KEYS = ("time", "level", "logger", "message")


def _unchanged(text: str) -> str:
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: a message with a newline stays one line.
    `redact` cleans the message, an exception and a stack (see logsafe.Redactor)."""

    def __init__(self, redact: Callable[[str], str] = _unchanged) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        record = shaped(record)  # a payload argument is never written whole
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({key: value for key, value in fields.items() if key not in BASE_KEYS})
        if record.exc_info:
            entry["exception"] = self.redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = self.redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class RedactingFormatter(logging.Formatter):
    """Formats with `inner`, then replaces every secret in the finished line."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self.inner = inner
        # Longest first, so a secret that contains another is replaced whole.
        self.secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = self.inner.format(record)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


def secrets_of(settings: Settings) -> list[str]:
    secrets = [settings.token.reveal()]
    if settings.database_url is not None:
        password = urlsplit(settings.database_url.reveal()).password
        if password:
            secrets.append(password)
    return secrets


def formatter_for(settings: Settings) -> logging.Formatter:
    """Text or JSON lines, cleaned as logsafe says, with every secret replaced at the end."""
    token = settings.token.reveal()
    inner: logging.Formatter = (JsonFormatter(Redactor(token)) if settings.log_format == "json"
                                else SafeTextFormatter(TEXT_FORMAT, secret=token))
    return RedactingFormatter(inner, secrets_of(settings))
