"""Log lines that carry no secret and nothing personal, whatever LOG_LEVEL says.

At DEBUG, discord.py logs every gateway event and every HTTP request and response whole:
message text, interaction tokens (which can post as the bot for 15 minutes) and user ids.
Payloads passed as log arguments are reduced to their shape; in the finished line, tokens in
URLs and fields are masked, quoted text fields are blanked and ids are replaced by a keyed
hash, so one run's lines still tell one user or channel from another.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import logging
import operator
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any

from bot.core.config import LOG_PSEUDONYM_CACHE_SIZE

# /interactions/{id}/{token}/callback and /webhooks/{application id}/{token}/…
_URL_TOKEN = re.compile(r"(/(?:interactions|webhooks)/\d+/)[^/\s'\"?]+")
# A field that holds a secret or words someone typed, JSON- or repr-quoted: its value goes.
_FIELDS = ("token", "content", "value", "description", "title", "name", "label", "text",
           "username", "global_name", "nick", "query", "placeholder", "filename")
_QUOTED_FIELD = re.compile(
    r"""(["'](?:""" + "|".join(_FIELDS) + r""")["']\s*:\s*)(?:"(?:[^"\\]|\\.)*+"|'(?:[^'\\]|\\.)*+')"""
)
# Snowflakes: user, guild, channel, message and interaction ids (17 to 20 digits).
_SNOWFLAKE = re.compile(r"(?<![\w.])\d{17,20}(?![\w.])")
# Arguments of exactly these types are written as they are: checked first, as most are (a
# subclass, such as an IntEnum, goes the long way, to the same result).
_PLAIN = frozenset({int, float, bool, type(None)})


def _shape(value: Any) -> Any:
    """What a payload argument may show: for a gateway event its opcode, event name and
    sequence; for anything else built of data, only that it was there and how big."""
    if type(value) in _PLAIN:
        return value
    if type(value) is str:
        return f"<payload of {len(value)} characters>" if value.lstrip()[:1] in ("{", "[") else value
    if isinstance(value, Mapping):
        if "op" in value:
            return f"<event op={value.get('op')} t={value.get('t')} s={value.get('s')}>"
        return f"<payload of {len(value)} fields>"
    if isinstance(value, list | tuple):
        return f"<payload of {len(value)} items>"
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        return f"<payload of {len(value)} characters>"
    if type(value).__name__ == "FormData":  # aiohttp's multipart body, files included
        return "<form data>"
    return value


def shaped(record: logging.LogRecord) -> logging.LogRecord:
    """A copy of `record` whose payload arguments are reduced to their shape (other handlers
    see the record as it was); the record itself when there is nothing to reduce."""
    args = record.args
    if isinstance(args, tuple):
        shaped_args: Any = tuple(map(_shape, args))
        unchanged = all(map(operator.is_, shaped_args, args))
    elif isinstance(args, Mapping):
        shaped_args = {key: _shape(arg) for key, arg in args.items()}
        unchanged = all(shaped_args[key] is arg for key, arg in args.items())
    else:
        shaped_args, unchanged = args, True
    if unchanged and isinstance(record.msg, str) and record.exc_info is None:
        return record  # most lines: formatting it changes none of what other handlers read
    record = copy.copy(record)
    record.args = shaped_args
    if not isinstance(record.msg, str):
        record.msg = str(_shape(record.msg))
    return record


class Redactor:
    """Masks the token, interaction tokens in URLs and quoted text fields in a finished piece
    of text, and replaces ids by a keyed hash (the key is this object's, so per process)."""

    def __init__(self, secret: str = "") -> None:
        self._secret = secret
        self._key = secrets.token_bytes(16)  # per process: ids cannot be looked up afterwards
        # The same few servers and channels come back on every line: their hashes are kept.
        self._pseudonyms: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        if self._secret:
            text = text.replace(self._secret, "***")
        # Neither pattern can match without these, and most lines have none of them.
        if "/interactions/" in text or "/webhooks/" in text:
            text = _URL_TOKEN.sub(r"\1***", text)
        if "'" in text or '"' in text:
            text = _QUOTED_FIELD.sub(r"\1'…'", text)
        return _SNOWFLAKE.sub(self._pseudonym, text)

    def _pseudonym(self, match: re.Match[str]) -> str:
        snowflake = match.group(0)
        pseudonym = self._pseudonyms.get(snowflake)
        if pseudonym is None:
            if len(self._pseudonyms) >= LOG_PSEUDONYM_CACHE_SIZE:
                self._pseudonyms.clear()
            digest = hmac.new(self._key, snowflake.encode(), hashlib.sha256).hexdigest()
            pseudonym = self._pseudonyms[snowflake] = f"id#{digest[:8]}"
        return pseudonym


class RedactingFormatter(logging.Formatter):
    """Lines of text (LOG_FORMAT=text): shaped payloads, and the finished line redacted."""

    def __init__(self, fmt: str, secret: str = "") -> None:
        super().__init__(fmt)
        self.redact = Redactor(secret)
        self._second: tuple[int, str] = (-1, "")  # the last second written, as text

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(shaped(record)))

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        # logging's own text, with the date and time of day written once a second.
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if self._second[0] != second:
            self._second = (second, time.strftime(self.default_time_format, self.converter(second)))
        if not self.default_msec_format:
            return self._second[1]
        return self.default_msec_format % (self._second[1], record.msecs)
