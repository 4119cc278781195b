"""JSON payloads shaped like Discord's (API v10), just complete enough for discord.py to parse."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_HISTORY = 1 << 16
ADD_REACTIONS = 1 << 6
USE_APP_COMMANDS = 1 << 31
MEMBER_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | READ_HISTORY | ADD_REACTIONS | USE_APP_COMMANDS
ADMIN_PERMISSIONS = MEMBER_PERMISSIONS | MANAGE_GUILD
BOT_PERMISSIONS = MEMBER_PERMISSIONS | EMBED_LINKS | ATTACH_FILES

_counter = itertools.count(1)


def snowflake() -> int:
    """A fresh, increasing snowflake: time bits on top so discord.py derives a sane created_at."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class FakeUser:
    id: int
    name: str
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
        }

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


def member(user: FakeUser, permissions: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "user": user.payload(),
        "roles": [],
        "joined_at": iso_now(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": None,
        "avatar": None,
        "pending": False,
    }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def text_channel(channel_id: int, guild_id: int, name: str, position: int) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }


def dm_channel(channel_id: int, recipient: FakeUser) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 1,
        "recipients": [recipient.payload()],
        "last_message_id": None,
    }


def guild(
    guild_id: int,
    owner: FakeUser,
    bot: FakeUser,
    channels: list[tuple[int, str]],
) -> dict[str, Any]:
    return {
        "id": str(guild_id),
        "name": "Fake Guild",
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(owner.id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [
            {
                "id": str(guild_id),
                "name": "@everyone",
                "permissions": str(MEMBER_PERMISSIONS),
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "joined_at": iso_now(),
        "large": False,
        "unavailable": False,
        "member_count": 2,
        "voice_states": [],
        "members": [member(bot), member(owner)],
        "channels": [
            text_channel(cid, guild_id, name, pos) for pos, (cid, name) in enumerate(channels)
        ],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
    }


def application(app_id: int, owner: FakeUser) -> dict[str, Any]:
    return {
        "id": str(app_id),
        "name": "cnrp-bot (fake)",
        "icon": None,
        "description": "",
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": owner.payload(),
        "summary": "",
        "verify_key": "0" * 64,
        "team": None,
        "flags": 0,
        "interactions_endpoint_url": None,
        "approximate_guild_count": 1,
    }


def message(
    *,
    message_id: int,
    channel_id: int,
    author: FakeUser,
    content: str = "",
    guild_id: int | None = None,
    mentions: list[FakeUser] | None = None,
    body: dict[str, Any] | None = None,
    webhook_id: int | None = None,
    interaction_metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A message object; `body` is what the bot sent (embeds, components, flags, reference …)."""
    sent = body or {}
    data: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author.payload(),
        "content": sent.get("content") or content,
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [u.payload() for u in mentions or []],
        "mention_roles": [],
        "attachments": [],
        "embeds": sent.get("embeds") or [],
        "components": sent.get("components") or [],
        "pinned": False,
        "type": 19 if sent.get("message_reference") else 0,
        "flags": sent.get("flags") or 0,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
        if not author.bot:
            data["member"] = {k: v for k, v in member(author).items() if k != "user"}
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
        data["application_id"] = str(webhook_id)
    if sent.get("message_reference"):
        data["message_reference"] = {**sent["message_reference"], "channel_id": str(channel_id)}
    if sent.get("nonce"):
        data["nonce"] = sent["nonce"]
    if interaction_metadata is not None:
        data["interaction_metadata"] = interaction_metadata
    return data
