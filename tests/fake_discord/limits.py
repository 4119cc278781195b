"""Discord's size limits, checked on the JSON the bot actually sent."""

from __future__ import annotations

from typing import Any

# https://discord.com/developers/docs/resources/message#embed-object-embed-limits
LIMITS = {
    "title": 256,
    "description": 4096,
    "fields": 25,
    "field.name": 256,
    "field.value": 1024,
    "footer.text": 2048,
    "author.name": 256,
    "total": 6000,
    "content": 2000,
    "embeds": 10,
    "components": 5,
    "buttons": 5,
    "label": 80,
}


def embed_problems(embed: dict[str, Any]) -> list[str]:
    problems = []
    total = 0
    for key, value in (
        ("title", embed.get("title") or ""),
        ("description", embed.get("description") or ""),
    ):
        total += len(value)
        if len(value) > LIMITS[key]:
            problems.append(f"{key} has {len(value)} characters")
    fields = embed.get("fields") or []
    if len(fields) > LIMITS["fields"]:
        problems.append(f"{len(fields)} fields")
    for field in fields:
        total += len(field["name"]) + len(field["value"])
        if len(field["name"]) > LIMITS["field.name"] or len(field["value"]) > LIMITS["field.value"]:
            problems.append(f"field {field['name']!r} too long")
    for key, limit in (("footer", "footer.text"), ("author", "author.name")):
        text = (embed.get(key) or {}).get("text" if key == "footer" else "name") or ""
        total += len(text)
        if len(text) > LIMITS[limit]:
            problems.append(f"{key} has {len(text)} characters")
    if total > LIMITS["total"]:
        problems.append(f"embed totals {total} characters")
    return problems


def message_problems(body: dict[str, Any]) -> list[str]:
    """What Discord would refuse in a message body (a send, callback data or a webhook edit)."""
    problems = []
    content = body.get("content") or ""
    if len(content) > LIMITS["content"]:
        problems.append(f"content has {len(content)} characters")
    embeds = body.get("embeds") or []
    if len(embeds) > LIMITS["embeds"]:
        problems.append(f"{len(embeds)} embeds")
    for embed in embeds:
        problems += embed_problems(embed)
    rows = body.get("components") or []
    if len(rows) > LIMITS["components"]:
        problems.append(f"{len(rows)} component rows")
    for row in rows:
        buttons = row.get("components") or []
        if len(buttons) > LIMITS["buttons"]:
            problems.append(f"{len(buttons)} buttons in a row")
        problems += [
            f"label {b['label']!r} too long"
            for b in buttons
            if len(b.get("label") or "") > LIMITS["label"]
        ]
    return problems
