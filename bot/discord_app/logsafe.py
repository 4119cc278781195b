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
import re
import secrets
from collections.abc import Mapping
from typing import Any

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


def _shape(value: Any) -> Any:
    """What a payload argument may show: for a gateway event its opcode, event name and
    sequence; for anything else built of data, only that it was there and how big."""
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
    see the record as it was)."""
    record = copy.copy(record)
    if isinstance(record.args, tuple):
        record.args = tuple(_shape(arg) for arg in record.args)
    elif isinstance(record.args, Mapping):
        record.args = {key: _shape(arg) for key, arg in record.args.items()}
    if not isinstance(record.msg, str):
        record.msg = str(_shape(record.msg))
    return record


class Redactor:
    """Masks the token, interaction tokens in URLs and quoted text fields in a finished piece
    of text, and replaces ids by a keyed hash (the key is this object's, so per process)."""

    def __init__(self, secret: str = "") -> None:
        self._secret = secret
        self._key = secrets.token_bytes(16)  # per process: ids cannot be looked up afterwards

    def __call__(self, text: str) -> str:
        if self._secret:
            text = text.replace(self._secret, "***")
        text = _URL_TOKEN.sub(r"\1***", text)
        text = _QUOTED_FIELD.sub(r"\1'…'", text)
        return _SNOWFLAKE.sub(self._pseudonym, text)

    def _pseudonym(self, match: re.Match[str]) -> str:
        digest = hmac.new(self._key, match.group(0).encode(), hashlib.sha256).hexdigest()
        return f"id#{digest[:8]}"


class RedactingFormatter(logging.Formatter):
    """Lines of text (LOG_FORMAT=text): shaped payloads, and the finished line redacted."""

    def __init__(self, fmt: str, secret: str = "") -> None:
        super().__init__(fmt)
        self.redact = Redactor(secret)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(shaped(record)))
