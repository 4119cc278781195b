"""The log's two shapes: lines of text for a terminal or the journal, or one JSON object per
line for a log shipper (LOG_FORMAT=json), with the fields a caller passes as
`extra={"fields": {...}}` as keys of their own.

Either way, secrets (the token, the database password) are replaced by *** in the finished
line, whatever carried them there: a message, an argument, an exception's text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from bot.discord_app.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
REDACTED = "***"
# A shorter "secret" (a weak database password) would blank out ordinary words all over the log.
MIN_SECRET_CHARS = 6
# The keys every JSON line has; a caller's fields never overwrite them.
BASE_KEYS = ("time", "level", "logger", "message")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: a message with a newline stays one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({key: value for key, value in fields.items() if key not in BASE_KEYS})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
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
    inner = JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT)
    return RedactingFormatter(inner, secrets_of(settings))
