"""A loopback fake of Discord: the REST API and the gateway, enough for an unmodified discord.py.

The fake keeps the gateway honest the way Discord does: every dispatch gets a sequence number
and stays in the session's buffer, so a RESUME replays exactly what the client missed, while a
session invalidated with op 9 loses its buffer. Every REST request is recorded with the status
the fake answered, so tests can count the replies that really landed.

With `route_limit` set, REST answers carry Discord's per-route rate-limit headers
(https://discord.com/developers/docs/topics/rate-limits): one bucket per route and top-level
resource (a channel, a guild, a webhook and its token), `X-RateLimit-Limit`, `-Remaining`,
`-Reset`, `-Reset-After` and `-Bucket` on every answer, and a 429 with `Retry-After`, scope
"user" and a Via header for a request past the limit. discord.py reads those headers to send
several requests to one channel at once; without them it sends one at a time per channel, which
no bot talking to Discord does. Discord's global limit (50 requests a second unless raised for
a large bot; interactions are exempt) is not modelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import WSMsgType, web

from tests.fake_discord import payloads
from tests.fake_discord.payloads import FakeUser, snowflake

T = TypeVar("T")

API_PREFIX = "/api/v10"
EPHEMERAL = 1 << 6
MESSAGE_CONTENT_INTENT = 1 << 15
HEARTBEAT_INTERVAL_MS = 41250
DEFAULT_TOKEN = "fake-token.ABCDEF.never-a-real-secret-0123456789"
# Interaction callbacks and webhook calls authenticate with their token in the URL, not a header.
UNAUTHENTICATED = re.compile(r"^/(interactions|webhooks)/")

Handler = Callable[["Request", re.Match[str]], Awaitable[web.Response]]


@dataclass
class Recorded:
    """One REST request as the fake saw it, and the status it answered with."""

    method: str
    path: str  # without the /api/v10 prefix and the query string
    query: dict[str, str]
    body: Any  # the JSON body, or a multipart request's payload_json
    files: list[tuple[str, bytes]]
    status: int = 0
    message_id: int | None = None  # the message this request created or edited
    at: float = 0.0  # time.perf_counter() when the fake answered

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class RouteLimit:
    """`limit` requests per bucket in a window of `window` seconds that opens at the bucket's
    first request, as Discord's per-route limits work. What Discord's clients report for
    POST /channels/{id}/messages is 5 per 5 s in each channel (`DISCORD_MESSAGE_LIMIT`)."""

    limit: int
    window: float


DISCORD_MESSAGE_LIMIT = RouteLimit(5, 5.0)


@dataclass
class _Bucket:
    remaining: int
    reset_at: float  # time.monotonic() when the window closes


@dataclass
class Request:
    raw: web.Request
    record: Recorded


@dataclass
class Fault:
    status: int
    retry_after: float
    method: str | None
    path_pattern: re.Pattern[str] | None
    remaining: int
    # The request takes effect and only its response is lost (a 503 from a proxy after the
    # work was done): a client that retries must not do it twice.
    processed: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.path_pattern is None or bool(self.path_pattern.search(path))


@dataclass
class Connection:
    ws: web.WebSocketResponse
    zlib_stream: bool
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    compressor: Any = field(default_factory=zlib.compressobj)

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload)
        if self.ws.closed:
            return
        with contextlib.suppress(ConnectionError, RuntimeError):
            if self.zlib_stream:
                # zlib-stream: one shared context per connection, each message ends in a sync flush.
                data = self.compressor.compress(text.encode()) + self.compressor.flush(
                    zlib.Z_SYNC_FLUSH
                )
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(text)


@dataclass
class Session:
    id: str
    shard: tuple[int, int]
    seq: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    conn: Connection | None = None
    valid: bool = True
    content_intent: bool = False


@dataclass
class GatewayEvent:
    """An opcode the client sent, kept for assertions (IDENTIFY, RESUME, …)."""

    op: int
    data: Any


class FakeDiscord:
    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        allow_message_content: bool = True,
        echo_own_messages: bool = True,
        route_limit: RouteLimit | None = None,
        extra_channels: int = 0,
    ) -> None:
        self.token = token
        self.allow_message_content = allow_message_content
        self.echo_own_messages = echo_own_messages
        # None: no rate-limit headers and no 429 but the ones fail_next asks for.
        self.route_limit = route_limit
        self._buckets: dict[tuple[str, str, tuple[str, ...]], _Bucket] = {}
        self.rate_limited = 0  # requests answered 429 by `route_limit`
        self.app_id = snowflake()
        self.bot_user = FakeUser(self.app_id, "cnrp-bot", bot=True)
        self.owner = FakeUser(snowflake(), "owner")
        self.guild_id = snowflake()
        self.channel_id = snowflake()
        self.listen_channel_id = snowflake()
        # More text channels in the main server, for load spread the way a busy bot's is.
        self.extra_channel_ids = [snowflake() for _ in range(extra_channels)]
        self._main_channels = {self.channel_id, self.listen_channel_id, *self.extra_channel_ids}
        # A second server with one channel, to check that one server never sees another's data.
        self.other_guild_id = snowflake()
        self.other_channel_id = snowflake()
        self.deleted: list[int] = []  # messages the bot deleted
        self.user_messages: dict[int, dict[str, Any]] = {}  # what users posted, by id
        self.requests: list[Recorded] = []
        self.gateway_events: list[GatewayEvent] = []
        self.messages: dict[int, dict[str, Any]] = {}
        # (channel id, nonce) -> the first message sent with it: a lookup per send, where a
        # scan of every message made a long run quadratic.
        self._nonces: dict[tuple[str, Any], int] = {}
        self.guild_commands: list[dict[str, Any]] = []
        self.global_commands: list[dict[str, Any]] = []
        self.sessions: dict[str, Session] = {}
        self.shard_sessions: dict[int, Session] = {}
        self.shard_count = 1
        # The gateway refuses the token though REST took it (a token reset between the two).
        self.refuse_identify = False
        self._faults: list[Fault] = []
        self._interactions: dict[str, dict[str, Any]] = {}  # token -> interaction payload
        self._originals: dict[str, int] = {}  # token -> original response message id
        self._dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self._replies: dict[int, list[Recorded]] = {}  # message id -> replies that landed
        self._reply_waiters: dict[int, asyncio.Future[Recorded]] = {}
        self._changed = asyncio.Event()
        # Cleared, the gateway accepts a connection but says nothing (no HELLO) until it is set
        # again: a bot held there is running but not connected, deterministically.
        self.gateway_open = asyncio.Event()
        self.gateway_open.set()
        self._runner: web.AppRunner | None = None
        self._connections: set[web.WebSocketResponse] = set()
        self.port = 0
        self._routes = self._route_table()

    # ----------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway/"

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/gateway/", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for ws in list(self._connections):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ----------------------------------------------------------------- waiting

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(
        self, predicate: Callable[[], T | None], timeout: float = 20.0, what: str = ""
    ) -> T:
        """Wait until `predicate()` returns something truthy and return it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [f"{r.method} {r.path} -> {r.status}" for r in self.requests[-15:]]
                raise AssertionError(
                    f"timed out waiting for {what or predicate!r}; recent: {recent}"
                )
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_request(
        self, predicate: Callable[[Recorded], bool], timeout: float = 20.0, what: str = ""
    ) -> Recorded:
        def find() -> Recorded | None:
            return next((r for r in self.requests if r.ok and predicate(r)), None)

        return await self.wait_for(find, timeout, what)

    def count_ops(self, op: int) -> int:
        return sum(1 for e in self.gateway_events if e.op == op)

    # ----------------------------------------------------------------- faults

    def fail_next(
        self,
        status: int,
        *,
        method: str | None = None,
        path: str | None = None,
        retry_after: float = 0.25,
        times: int = 1,
        processed: bool = False,
    ) -> None:
        """Answer the next `times` matching REST requests with `status` (429: Retry-After);
        `processed` carries each request out first, as a server that fails late does."""
        pattern = re.compile(path) if path else None
        self._faults.append(Fault(status, retry_after, method, pattern, times, processed))

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    # ----------------------------------------------------------------- REST

    def _route_table(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        table: list[tuple[str, str, Handler]] = [
            ("GET", r"/users/@me", self._get_me),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/applications/@me", self._get_application),
            ("GET", r"/gateway(/bot)?", self._get_gateway),
            ("PUT", r"/applications/(?P<app>\d+)/commands", self._put_global_commands),
            ("GET", r"/applications/(?P<app>\d+)/commands", self._get_global_commands),
            (
                "PUT",
                r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands",
                self._put_guild_commands,
            ),
            (
                "GET",
                r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands",
                self._get_guild_commands,
            ),
            ("POST", r"/channels/(?P<channel>\d+)/messages", self._create_message),
            (
                "PATCH",
                r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)",
                self._edit_channel_message,
            ),
            (
                "DELETE",
                r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)",
                self._delete_channel_message,
            ),
            (
                "PUT",
                r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)/reactions/[^/]+/@me",
                self._no_content,
            ),
            ("POST", r"/channels/(?P<channel>\d+)/typing", self._no_content),
            ("POST", r"/users/@me/channels", self._create_dm),
            (
                "POST",
                r"/interactions/(?P<id>\d+)/(?P<token>[^/]+)/callback",
                self._interaction_callback,
            ),
            ("POST", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)", self._followup),
            (
                "GET",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message>@original|\d+)",
                self._get_webhook_message,
            ),
            (
                "PATCH",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message>@original|\d+)",
                self._edit_webhook_message,
            ),
            (
                "DELETE",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message>@original|\d+)",
                self._no_content,
            ),
        ]
        return [(method, re.compile(pattern + "$"), handler) for method, pattern, handler in table]

    async def _rest(self, raw: web.Request) -> web.Response:
        path = "/" + raw.match_info["tail"]
        body, files = await _read_body(raw)
        record = Recorded(raw.method, path, dict(raw.query), body, files)
        self.requests.append(record)
        try:
            response = await self._answer(raw, record)
            record.status = response.status
            record.at = time.perf_counter()
            if record.ok and record.method == "POST" and record.message_id is not None:
                reference = (record.body or {}).get("message_reference") or {}
                if "message_id" in reference:
                    replied = int(reference["message_id"])
                    self._replies.setdefault(replied, []).append(record)
                    waiter = self._reply_waiters.pop(replied, None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(record)
            return response
        finally:
            self._notify()

    async def _answer(self, raw: web.Request, record: Recorded) -> web.Response:
        fault = self._take_fault(record.method, record.path)
        if fault is not None and not fault.processed:
            return _fault_response(fault)
        if (
            not UNAUTHENTICATED.match(record.path)
            and raw.headers.get("Authorization") != f"Bot {self.token}"
        ):
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        for method, pattern, handler in self._routes:
            if method != record.method:
                continue
            match = pattern.match(record.path)
            if match:
                limited = self._limit_headers(method, pattern.pattern, match)
                if limited is not None and limited[1]:
                    self.rate_limited += 1
                    return _json({"message": "You are being rate limited.", "global": False,
                                  "retry_after": float(limited[0]["X-RateLimit-Reset-After"])},
                                 status=429, headers=limited[0])
                response = await handler(Request(raw, record), match)
                if fault is not None:
                    record.message_id = None  # done, but the client is told it failed
                    return _fault_response(fault)
                if limited is not None:
                    response.headers.update(limited[0])
                return response
        return _json({"message": "404: Not Found (fake)", "code": 0}, status=404)

    def _limit_headers(
        self, method: str, route: str, match: re.Match[str]
    ) -> tuple[dict[str, str], bool] | None:
        """Count a request against its bucket: the rate-limit headers to answer with, and
        whether it is past the limit (a 429); None without `route_limit`."""
        if self.route_limit is None:
            return None
        groups = match.groupdict()
        # Discord's top-level resources: a channel, a guild, a webhook with its token.
        major = tuple(groups[k] for k in ("channel", "guild", "app", "id", "token") if groups.get(k))
        now = time.monotonic()
        bucket = self._buckets.get((method, route, major))
        if bucket is None or now >= bucket.reset_at:
            bucket = _Bucket(self.route_limit.limit, now + self.route_limit.window)
            self._buckets[(method, route, major)] = bucket
        over = bucket.remaining <= 0
        if not over:
            bucket.remaining -= 1
        reset_after = bucket.reset_at - now
        headers = {
            "X-RateLimit-Limit": str(self.route_limit.limit),
            "X-RateLimit-Remaining": str(bucket.remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            # An opaque id per route, shared by every resource's bucket of it, as Discord's is.
            "X-RateLimit-Bucket": format(zlib.crc32(f"{method} {route}".encode()), "08x"),
        }
        if over:
            headers.update({"Retry-After": str(max(1, round(reset_after))),
                            "X-RateLimit-Scope": "user", "Via": "1.1 google"})
        return headers, over

    async def _get_me(self, request: Request, match: re.Match[str]) -> web.Response:
        return _json(self.bot_user.payload())

    async def _get_application(self, request: Request, match: re.Match[str]) -> web.Response:
        return _json(payloads.application(self.app_id, self.owner))

    async def _get_gateway(self, request: Request, match: re.Match[str]) -> web.Response:
        return _json(
            {
                "url": self.gateway_url.rstrip("/"),
                "shards": self.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": 1,
                },
            }
        )

    def _stored_commands(
        self, body: list[dict[str, Any]], guild_id: str | None
    ) -> list[dict[str, Any]]:
        stored = []
        for command in body:
            entry = {
                "id": str(snowflake()),
                "application_id": str(self.app_id),
                "version": str(snowflake()),
                "type": 1,
                "default_member_permissions": None,
                "nsfw": False,
                "options": [],
                "description": "",  # context menus have none; Discord returns it empty
                **command,
            }
            if guild_id is not None:
                entry["guild_id"] = guild_id
            stored.append(entry)
        return stored

    async def _put_global_commands(self, request: Request, match: re.Match[str]) -> web.Response:
        self.global_commands = self._stored_commands(request.record.body, None)
        return _json(self.global_commands)

    async def _get_global_commands(self, request: Request, match: re.Match[str]) -> web.Response:
        return _json(self.global_commands)

    async def _put_guild_commands(self, request: Request, match: re.Match[str]) -> web.Response:
        self.guild_commands = self._stored_commands(request.record.body, match["guild"])
        return _json(self.guild_commands)

    async def _get_guild_commands(self, request: Request, match: re.Match[str]) -> web.Response:
        return _json(self.guild_commands)

    async def _no_content(self, request: Request, match: re.Match[str]) -> web.Response:
        return web.Response(status=204)

    def _guild_of_channel(self, channel_id: int) -> int | None:
        if channel_id in self._main_channels:
            return self.guild_id
        return self.other_guild_id if channel_id == self.other_channel_id else None

    async def _delete_channel_message(self, request: Request, match: re.Match[str]) -> web.Response:
        message_id = int(match["message"])
        if self.messages.pop(message_id, None) is None:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        self.deleted.append(message_id)
        return web.Response(status=204)

    async def _store_bot_message(
        self,
        channel_id: int,
        body: dict[str, Any],
        *,
        webhook: bool = False,
        interaction: dict[str, Any] | None = None,
        files: list[tuple[str, bytes]] | None = None,
    ) -> dict[str, Any]:
        metadata = None
        if interaction is not None:
            user = interaction.get("member", {}).get("user") or interaction.get("user")
            metadata = {
                "id": interaction["id"],
                "type": interaction["type"],
                "user": user,
                "authorizing_integration_owners": {},
            }
        data = payloads.message(
            message_id=snowflake(),
            channel_id=channel_id,
            author=self.bot_user,
            guild_id=self._guild_of_channel(channel_id),
            body=body,
            webhook_id=self.app_id if webhook else None,
            interaction_metadata=metadata,
        )
        data["attachments"] = self._attachments(body, files or [])
        self.messages[int(data["id"])] = data
        if data.get("nonce"):
            key = (data["channel_id"], data["nonce"])
            if self._nonces.get(key) not in self.messages:  # the first one still there wins
                self._nonces[key] = int(data["id"])
        if self.echo_own_messages and not (data["flags"] & EPHEMERAL):
            # Discord sends the bot its own messages too; the bot must ignore them.
            await self.dispatch("MESSAGE_CREATE", data, guild_id=self._guild_of_channel(channel_id))
        return data

    async def _create_message(self, request: Request, match: re.Match[str]) -> web.Response:
        record = request.record
        body = record.body or {}
        if body.get("enforce_nonce") and body.get("nonce"):
            # Discord returns the message already sent with this nonce instead of a second one.
            sent = self.messages.get(self._nonces.get((match["channel"], body["nonce"]), 0))
            if sent is not None:
                record.message_id = int(sent["id"])
                return _json(sent)
        data = await self._store_bot_message(
            int(match["channel"]), record.body or {}, files=record.files
        )
        request.record.message_id = int(data["id"])
        return _json(data)

    async def _edit_channel_message(self, request: Request, match: re.Match[str]) -> web.Response:
        data = self._edit_stored(
            int(match["message"]), request.record.body or {}, request.record.files
        )
        request.record.message_id = int(data["id"])
        return _json(data)

    def _edit_stored(
        self, message_id: int, body: dict[str, Any], files: list[tuple[str, bytes]] | None = None
    ) -> dict[str, Any]:
        data = self.messages.setdefault(message_id, {"id": str(message_id)})
        for key in ("content", "embeds", "components", "flags"):
            if key in body and body[key] is not None:
                data[key] = body[key]
        if "attachments" in body:
            data["attachments"] = self._attachments(body, files or [])
        return data

    def _attachments(
        self, body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> list[dict[str, Any]]:
        """Attachment objects as Discord returns them, for the files uploaded with a request."""
        attachments = []
        for index, (filename, content) in enumerate(files):
            declared = (body.get("attachments") or [{}] * len(files))[index]
            name = declared.get("filename") or filename
            attachment_id = snowflake()
            url = f"{self.base_url}/attachments/{attachment_id}/{name}"
            attachments.append({
                "id": str(attachment_id), "filename": name, "size": len(content), "url": url,
                "proxy_url": url, "content_type": "image/png" if name.endswith(".png") else None,
            })  # fmt: skip
        return attachments

    async def _create_dm(self, request: Request, match: re.Match[str]) -> web.Response:
        user_id = int(request.record.body["recipient_id"])
        channel_id = self._dm_channels.setdefault(user_id, snowflake())
        return _json(payloads.dm_channel(channel_id, FakeUser(user_id, f"user{user_id}")))

    async def _interaction_callback(self, request: Request, match: re.Match[str]) -> web.Response:
        token = match["token"]
        interaction = self._interactions.get(token)
        if interaction is None:
            return _json({"message": "Unknown interaction", "code": 10062}, status=404)
        body = request.record.body or {}
        kind = body.get("type")
        data = body.get("data") or {}
        channel_id = int(interaction["channel_id"])
        ephemeral = bool((data.get("flags") or 0) & EPHEMERAL)
        message: dict[str, Any] | None = None
        if kind == 4:  # CHANNEL_MESSAGE_WITH_SOURCE
            message = await self._store_bot_message(
                channel_id, data, webhook=True, interaction=interaction, files=request.record.files
            )
            self._originals[token] = int(message["id"])
        elif kind == 5:  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: a "thinking…" placeholder
            placeholder = {"flags": (data.get("flags") or 0) | 128}
            message = await self._store_bot_message(
                channel_id, placeholder, webhook=True, interaction=interaction
            )
            self._originals[token] = int(message["id"])
        elif kind == 7:  # UPDATE_MESSAGE: the component's own message
            message = self._edit_stored(
                int(interaction["message"]["id"]), data, request.record.files
            )
        elif kind == 8:  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
            return web.Response(status=204)
        callback: dict[str, Any] = {
            "interaction": {
                "id": interaction["id"],
                "type": interaction["type"],
                "response_message_id": message["id"] if message else None,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": ephemeral,
            }
        }
        if message is not None:
            callback["resource"] = {"type": kind, "message": message}
            request.record.message_id = int(message["id"])
        return _json(callback)

    async def _followup(self, request: Request, match: re.Match[str]) -> web.Response:
        interaction = self._interactions.get(match["token"])
        if interaction is None:
            return _json({"message": "Unknown webhook", "code": 10015}, status=404)
        body = request.record.body or {}
        message = await self._store_bot_message(
            int(interaction["channel_id"]),
            body,
            webhook=True,
            interaction=interaction,
            files=request.record.files,
        )
        request.record.message_id = int(message["id"])
        return _json(message)

    def _webhook_message_id(self, match: re.Match[str]) -> int | None:
        if match["message"] == "@original":
            return self._originals.get(match["token"])
        return int(match["message"])

    async def _get_webhook_message(self, request: Request, match: re.Match[str]) -> web.Response:
        message_id = self._webhook_message_id(match)
        if message_id is None or message_id not in self.messages:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        return _json(self.messages[message_id])

    async def _edit_webhook_message(self, request: Request, match: re.Match[str]) -> web.Response:
        message_id = self._webhook_message_id(match)
        if message_id is None:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        body = dict(request.record.body or {})
        data = self._edit_stored(message_id, body, request.record.files)
        request.record.message_id = message_id
        data["flags"] = data.get("flags", 0) & ~128  # no longer "thinking"
        return _json(data)

    # ----------------------------------------------------------------- gateway

    async def _gateway(self, raw: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(raw)
        self._connections.add(ws)
        conn = Connection(ws, zlib_stream=raw.query.get("compress") == "zlib-stream")
        session: Session | None = None
        await self.gateway_open.wait()
        await conn.send(
            {"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": None, "t": None}
        )
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op, data = frame.get("op"), frame.get("d")
                self.gateway_events.append(GatewayEvent(op, data))
                if op == 1:
                    await conn.send({"op": 11, "d": None, "s": None, "t": None})
                elif op == 2:
                    session = await self._identify(conn, data)
                elif op == 6:
                    session = await self._resume(conn, data)
                self._notify()
        finally:
            self._connections.discard(ws)
            if session is not None and session.conn is conn:
                session.conn = None
            self._notify()
        return ws

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> Session | None:
        if data.get("token") != self.token or self.refuse_identify:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = int(data.get("intents", 0))
        if intents & MESSAGE_CONTENT_INTENT and not self.allow_message_content:
            # What Discord does when a privileged intent is not enabled in the developer portal.
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        shard = tuple(data.get("shard") or (0, 1))
        session = Session(
            secrets.token_hex(16),
            (int(shard[0]), int(shard[1])),
            content_intent=bool(intents & MESSAGE_CONTENT_INTENT),
        )
        self.sessions[session.id] = session
        old = self.shard_sessions.get(session.shard[0])
        if old is not None:
            old.valid = False
        self.shard_sessions[session.shard[0]] = session
        async with conn.lock:
            session.conn = conn
            ready = {
                "v": 10,
                "user": self.bot_user.payload(),
                "guilds": [{"id": str(g), "unavailable": True}
                           for g in (self.guild_id, self.other_guild_id)],
                "session_id": session.id,
                "resume_gateway_url": self.gateway_url,
                "shard": list(session.shard),
                "application": {"id": str(self.app_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
            }
            await self._send_dispatch(session, "READY", ready)
            for guild_id, channels in (
                (self.guild_id, [(self.channel_id, "general"), (self.listen_channel_id, "ask-cnrp"),
                                 *((c, f"room-{n}") for n, c in enumerate(self.extra_channel_ids))]),
                (self.other_guild_id, [(self.other_channel_id, "elsewhere")]),
            ):
                if self._shard_of(guild_id) == session.shard[0]:
                    guild = payloads.guild(guild_id, self.owner, self.bot_user, channels)
                    await self._send_dispatch(session, "GUILD_CREATE", guild)
        return session

    async def _resume(self, conn: Connection, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or not session.valid:
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return None
        last = int(data.get("seq") or 0)
        async with conn.lock:
            session.conn = conn
            for frame in session.sent:
                if frame["s"] > last:
                    await conn.send(frame)
            await self._send_dispatch(session, "RESUMED", {})
        return session

    async def _send_dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        """Number the event, keep it for replay, and send it if the session is connected.

        Callers hold the connection's lock, so frames leave in sequence order.
        """
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.sent.append(frame)
        if session.conn is not None:
            await session.conn.send(frame)

    def _shard_of(self, guild_id: int | None) -> int:
        return 0 if guild_id is None else (guild_id >> 22) % self.shard_count

    async def dispatch(
        self, event: str, data: dict[str, Any], *, guild_id: int | None = None
    ) -> None:
        """Send a dispatch to the shard that owns `guild_id` (DMs go to shard 0)."""
        session = await self.wait_for(
            lambda: self.shard_sessions.get(self._shard_of(guild_id)), what="a gateway session"
        )
        conn = session.conn
        if conn is None:
            # Disconnected: the event waits in the session buffer for a RESUME, as on Discord.
            await self._send_dispatch(session, event, data)
            return
        async with conn.lock:
            await self._send_dispatch(session, event, data)

    async def send_op(self, op: int, data: Any = None, *, shard: int = 0) -> None:
        session = self.shard_sessions[shard]
        if op == 9 and not data:
            session.valid = False
        if session.conn is not None:
            async with session.conn.lock:
                await session.conn.send({"op": op, "d": data, "s": None, "t": None})

    async def reconnect(self, shard: int = 0) -> None:
        """Op 7: ask the client to reconnect and resume."""
        await self.send_op(7, None, shard=shard)

    async def invalidate_session(self, *, resumable: bool = False, shard: int = 0) -> None:
        """Op 9: the session is gone (resumable=False) so the client must identify again."""
        await self.send_op(9, resumable, shard=shard)

    async def close_socket(self, code: int = 4000, shard: int = 0) -> None:
        """Drop the connection the way a network blip or a Discord restart does."""
        session = self.shard_sessions[shard]
        if session.conn is not None:
            await session.conn.ws.close(code=code)

    # ----------------------------------------------------------------- test input

    def user(self, name: str = "member") -> FakeUser:
        return FakeUser(snowflake(), name)

    async def post_message(
        self,
        author: FakeUser,
        content: str,
        *,
        channel_id: int | None = None,
        dm: bool = False,
        mentions: Iterable[FakeUser] = (),
    ) -> int:
        """Deliver MESSAGE_CREATE as if `author` had written `content`; returns the message id."""
        mentioned_users = list(mentions)
        if dm:
            channel = self._dm_channels.setdefault(author.id, snowflake())
            guild_id = None
        else:
            channel = channel_id or self.channel_id
            guild_id = self._guild_of_channel(channel) or self.guild_id
        data = payloads.message(
            message_id=snowflake(),
            channel_id=channel,
            author=author,
            content=content,
            guild_id=guild_id,
            mentions=mentioned_users,
        )
        session = self.shard_sessions.get(self._shard_of(guild_id))
        mentioned = any(u.id == self.bot_user.id for u in mentioned_users)
        if (
            guild_id is not None
            and not mentioned
            and session is not None
            and not session.content_intent
        ):
            # Without the privileged intent Discord blanks guild messages not mentioning the bot.
            data["content"] = ""
        self.user_messages[int(data["id"])] = {**data, "content": content}
        await self.dispatch("MESSAGE_CREATE", data, guild_id=guild_id)
        return int(data["id"])

    def command(self, name: str) -> dict[str, Any]:
        for command in self.guild_commands + self.global_commands:
            if command["name"] == name:
                return command
        raise KeyError(f"/{name} was never synced")

    def _interaction_base(
        self, kind: int, user: FakeUser, permissions: int, dm: bool, guild_id: int | None = None
    ) -> dict[str, Any]:
        interaction_id = snowflake()
        token = f"itoken-{interaction_id}-{secrets.token_hex(4)}"
        base: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.app_id),
            "type": kind,
            "token": token,
            "version": 1,
            "app_permissions": str(payloads.BOT_PERMISSIONS),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if dm:
            channel_id = self._dm_channels.setdefault(user.id, snowflake())
            base.update(
                channel_id=str(channel_id),
                channel=payloads.dm_channel(channel_id, user),
                user=user.payload(),
                context=1,
                authorizing_integration_owners={"1": str(user.id)},
            )
        else:
            guild = guild_id or self.guild_id
            channel = self.channel_id if guild == self.guild_id else self.other_channel_id
            base.update(
                guild_id=str(guild),
                guild_locale="en-US",
                channel_id=str(channel),
                channel=payloads.text_channel(channel, guild, "general", 0),
                member=payloads.member(user, permissions),
                context=0,
                authorizing_integration_owners={"0": str(guild)},
            )
        self._interactions[token] = base
        return base

    async def _deliver(self, interaction: dict[str, Any]) -> dict[str, Any]:
        guild_id = int(interaction["guild_id"]) if "guild_id" in interaction else None
        await self.dispatch("INTERACTION_CREATE", interaction, guild_id=guild_id)
        return interaction

    async def slash(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: FakeUser,
        permissions: int = payloads.MEMBER_PERMISSIONS,
        focused: str | None = None,
        guild_id: int | None = None,
    ) -> dict[str, Any]:
        """Invoke /name (type 2), or autocomplete (type 4) when `focused` names an option;
        in the main server unless `guild_id` names the other one."""
        command = self.command(name)
        kinds = {o["name"]: o["type"] for o in command.get("options", [])}
        interaction = self._interaction_base(4 if focused else 2, user, permissions, dm=False,
                                             guild_id=guild_id)
        opts = []
        for key, value in (options or {}).items():
            option: dict[str, Any] = {"name": key, "type": kinds.get(key, 3), "value": value}
            if key == focused:
                option["focused"] = True
            opts.append(option)
        interaction["data"] = {
            "id": command["id"],
            "name": name,
            "type": 1,
            "options": opts,
            "guild_id": interaction["guild_id"],
        }
        return await self._deliver(interaction)

    async def message_command(
        self, name: str, target: dict[str, Any], *, user: FakeUser,
        permissions: int = payloads.MEMBER_PERMISSIONS,
    ) -> dict[str, Any]:  # fmt: skip
        """Run the message context menu `name` on `target` (a message payload), as Discord
        does: an application command of type 3 with the message resolved in its data."""
        command = self.command(name)
        guild = int(target["guild_id"]) if "guild_id" in target else None
        interaction = self._interaction_base(2, user, permissions, dm=guild is None, guild_id=guild)
        interaction["channel_id"] = target["channel_id"]
        interaction["data"] = {
            "id": command["id"],
            "name": name,
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: target}},
            **({"guild_id": str(guild)} if guild else {}),
        }
        return await self._deliver(interaction)

    def posted(self, message_id: int) -> dict[str, Any]:
        """A message a user posted (kept so it can be the target of a context menu)."""
        return self.user_messages[message_id]

    async def click(
        self,
        message: dict[str, Any],
        custom_id: str,
        *,
        user: FakeUser,
        permissions: int = payloads.MEMBER_PERMISSIONS,
    ) -> dict[str, Any]:
        """Press the button `custom_id` on a message the bot sent (type 3, component)."""
        dm = "guild_id" not in message
        guild = int(message["guild_id"]) if not dm else None
        interaction = self._interaction_base(3, user, permissions, dm=dm, guild_id=guild)
        interaction["channel_id"] = message["channel_id"]
        interaction["message"] = message
        interaction["data"] = {"custom_id": custom_id, "component_type": 2}
        return await self._deliver(interaction)

    # ----------------------------------------------------------------- queries

    def ok_requests(self, method: str, path_regex: str) -> list[Recorded]:
        pattern = re.compile(path_regex + "$")
        return [r for r in self.requests if r.ok and r.method == method and pattern.match(r.path)]

    async def wait_reply(self, message_id: int, timeout: float = 20.0) -> Recorded:
        """The first reply to a message; cheaper than wait_for when many are awaited at once."""
        if message_id in self._replies:
            return self._replies[message_id][0]
        waiter = self._reply_waiters.setdefault(message_id, asyncio.get_running_loop().create_future())
        return await asyncio.wait_for(asyncio.shield(waiter), timeout)

    def replies_to(self, message_id: int) -> list[Recorded]:
        """Channel messages that landed as replies to the given message."""
        return list(self._replies.get(message_id, ()))

    def responses_to(self, interaction: dict[str, Any]) -> list[Recorded]:
        """Callbacks and webhook calls that landed for one interaction."""
        token = interaction["token"]
        return [r for r in self.requests if r.ok and f"/{token}" in r.path]

    def message_for(self, record: Recorded) -> dict[str, Any]:
        """The stored message a recorded request created or edited (to find its buttons)."""
        if record.message_id is None:
            raise KeyError(f"{record.method} {record.path} made no message")
        return self.messages[record.message_id]


async def _read_body(raw: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
    if raw.content_type == "application/json":
        text = await raw.text()
        return (json.loads(text) if text else None), []
    if raw.content_type.startswith("multipart/"):
        body: Any = None
        files: list[tuple[str, bytes]] = []
        form = await raw.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                files.append((value.filename, value.file.read()))
            elif name == "payload_json":
                body = json.loads(value)
        return body, files
    return None, []


def _fault_response(fault: Fault) -> web.Response:
    if fault.status == 429:
        return _json(
            {
                "message": "You are being rate limited.",
                "retry_after": fault.retry_after,
                "global": False,
            },
            status=429,
            headers={
                "Retry-After": str(max(1, round(fault.retry_after))),
                "X-RateLimit-Scope": "user",
                # discord.py takes a 429 without Via for a Cloudflare ban; Discord's always has it.
                "Via": "1.1 google",
            },
        )
    return _json({"message": f"{fault.status}: fake failure", "code": 0}, status=fault.status)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json", no charset: discord.py only decodes JSON on that exact type.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
