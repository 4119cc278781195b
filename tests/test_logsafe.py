"""Log lines keep their use (what happened, to which route, with which status) and lose what
is secret or personal: tokens, typed text, user ids. The e2e suite checks the same end to end
at LOG_LEVEL=DEBUG with discord.py's own lines."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from bot.discord_app.logsafe import RedactingFormatter

TOKEN = "MTIz.bot-token"
USER_ID = 123456789012345678
INTERACTION_TOKEN = "aW50ZXJhY3Rpb246MTIz.abc-_x"


def line(formatter: RedactingFormatter, msg: Any, *args: Any, name: str = "discord.http") -> str:
    return formatter.format(logging.LogRecord(name, logging.DEBUG, __file__, 1, msg, args, None))


def test_discord_py_request_and_event_dumps_lose_payloads_tokens_and_ids() -> None:
    f = RedactingFormatter("%(name)s: %(message)s", secret=TOKEN)
    url = f"https://discord.com/api/v10/interactions/{USER_ID}/{INTERACTION_TOKEN}/callback"
    payload = '{"data": {"content": "my secret"}}'
    sent = line(f, "%s %s with %s has returned %s", "POST", url, payload, 204)
    assert sent.startswith("discord.http: POST https://discord.com/api/v10/interactions/id#")
    assert f"/***/callback with <payload of {len(payload)} characters> has returned 204" in sent
    event = {"t": "MESSAGE_CREATE", "s": 5, "op": 0,
             "d": {"content": "my secret", "author": {"id": str(USER_ID)}}}
    received = line(f, "For Shard ID %s: WebSocket Event: %s", 0, event, name="discord.gateway")
    assert received == "discord.gateway: For Shard ID 0: WebSocket Event: <event op=0 t=MESSAGE_CREATE s=5>"
    webhook = line(f, "Webhook %s %s", "PATCH",
                   f"https://discord.com/api/v10/webhooks/{USER_ID}/{INTERACTION_TOKEN}/messages/@original")
    for text in (sent, received, webhook):
        assert "my secret" not in text and INTERACTION_TOKEN not in text and str(USER_ID) not in text


def test_ids_become_one_stable_pseudonym_per_process() -> None:
    f = RedactingFormatter("%(message)s")
    first = line(f, "reloaded by user=%s", USER_ID)
    again = line(f, "user %s asked again", USER_ID)
    other = line(f, "user %s", USER_ID + 1)
    pseudonym = re.search(r"id#[0-9a-f]{8}", first)
    assert pseudonym and pseudonym.group(0) in again and pseudonym.group(0) not in other
    assert line(RedactingFormatter("%(message)s"), "user %s", USER_ID) != again, "keyed per process"
    assert line(f, "latency %s ms, %s votes", 64, 2946176) == "latency 64 ms, 2946176 votes"


def test_quoted_text_fields_the_token_and_tracebacks_are_masked() -> None:
    f = RedactingFormatter("%(message)s", secret=TOKEN)
    text = line(f, "{'content': 'it\\'s me', \"value\": \"who \\\"founded\\\"\", 'title': \"x's\"} %s", TOKEN)
    assert "me" not in text and "founded" not in text and "x's" not in text and TOKEN not in text
    try:
        raise ValueError(f"bad request for {INTERACTION_TOKEN}: token {TOKEN}")
    except ValueError:
        record = logging.LogRecord("bot", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    formatted = f.format(record)
    assert "Traceback" in formatted and TOKEN not in formatted


def test_an_ordinary_line_is_unchanged() -> None:
    f = RedactingFormatter("%(levelname)s %(message)s", secret=TOKEN)
    record = logging.LogRecord("bot", logging.INFO, __file__, 1,
                               "answered via=%s intent=%s kind=%s confidence=%.3f latency_ms=%.1f",
                               ("slash", "party.founders", "answer", 0.91, 0.4), None)
    assert f.format(record) == ("INFO answered via=slash intent=party.founders kind=answer "
                                "confidence=0.910 latency_ms=0.4")
    assert record.args == ("slash", "party.founders", "answer", 0.91, 0.4), "the record is not changed"


def test_the_time_is_loggings_own_text() -> None:
    # The date and time of day are written once a second; every line reads as logging writes it.
    ours, plain = RedactingFormatter("%(asctime)s %(message)s"), logging.Formatter("%(asctime)s %(message)s")
    for created in (1_700_000_000.0, 1_700_000_000.999, 1_700_000_001.0004, 1_700_000_001.5, 1_699_999_999.25):
        record = logging.LogRecord("bot", logging.INFO, __file__, 1, "x", (), None)
        record.created, record.msecs = created, int((created - int(created)) * 1000)
        assert ours.format(record) == plain.format(record)
    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "x", (), None)
    assert ours.formatTime(record, "%H:%M") == plain.formatTime(record, "%H:%M")


def test_a_kept_pseudonym_is_the_one_computed_and_few_are_kept(monkeypatch: Any) -> None:
    from bot.discord_app import logsafe

    monkeypatch.setattr(logsafe, "LOG_PSEUDONYM_CACHE_SIZE", 3)
    f = RedactingFormatter("%(message)s")
    first = line(f, "user %s", USER_ID)
    for n in range(1, 6):  # more ids than are kept
        line(f, "user %s", USER_ID + n)
    assert len(f.redact._pseudonyms) <= 3
    assert line(f, "user %s", USER_ID) == first, "computed again, the same"


def test_a_line_with_nothing_to_reduce_is_formatted_from_the_record_itself() -> None:
    from bot.discord_app.logsafe import shaped

    plain = logging.LogRecord("bot", logging.INFO, __file__, 1, "answered %s %d", ("slash", 3), None)
    assert shaped(plain) is plain
    payload = logging.LogRecord("bot", logging.INFO, __file__, 1, "sent %s to %s", ([1, 2], "x"), None)
    copied = shaped(payload)
    assert copied is not payload and copied.args == ("<payload of 2 items>", "x")
    assert payload.args == ([1, 2], "x")
