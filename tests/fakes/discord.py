"""A fake Discord: REST (v10) and gateway websocket on 127.0.0.1, recording every REST call.

It speaks just enough of the protocol for the unmodified discord.py client: login, /gateway/bot,
HELLO / IDENTIFY / READY / GUILD_CREATE, heartbeats, command sync, interaction callbacks and
webhooks, messages, reactions; and it can push INTERACTION_CREATE and reaction events.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import WSMsgType, web

from tests.fakes.server import BackgroundServer, wait_for

APP_ID, BOT_ID, GUILD_ID, CHANNEL_ID = 100000000000000001, 100000000000000002, 200000000000000001, 300000000000000001
STAMP = "2026-11-24T00:00:00.000000+00:00"
VIEW_SEND = (1 << 10) | (1 << 11)
MANAGE_CHANNELS = 1 << 4


def user(uid: int, bot: bool = False) -> dict[str, Any]:
    """A user object."""
    return {"id": str(uid), "username": f"user{uid}", "discriminator": "0", "avatar": None,
            "global_name": None, "bot": bot, "public_flags": 0}


def member(uid: int, permissions: int = VIEW_SEND, bot: bool = False) -> dict[str, Any]:
    """A guild member object."""
    return {"user": user(uid, bot), "roles": [], "joined_at": STAMP, "deaf": False, "mute": False,
            "flags": 0, "pending": False, "nick": None, "avatar": None, "premium_since": None,
            "communication_disabled_until": None, "permissions": str(permissions)}


@dataclass
class Call:
    """One recorded REST request."""

    method: str
    path: str
    body: Any


@dataclass
class FakeDiscord:
    """The fake server and everything it recorded."""

    calls: list[Call] = field(default_factory=list)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    forbidden_channels: set[int] = field(default_factory=set)  # 403 on posting and reacting
    missing_channels: set[int] = field(default_factory=set)  # 404 on posting
    rate_limit_next: int = 0  # 429 for this many channel posts
    retry_after: float = 0.5
    extra_channels: list[int] = field(default_factory=list)
    port: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(500000000000000001))
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _originals: dict[str, int] = field(default_factory=dict)
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _shard_of_socket: dict[int, tuple[int, int]] = field(default_factory=dict)
    _loop: asyncio.AbstractEventLoop | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    identified: threading.Event = field(default_factory=threading.Event)
    shards_identified: list[list[int]] = field(default_factory=list)  # [id, count] per IDENTIFY
    # Who shows each reaction on a message: (message id, emoji) -> user ids, in order.
    reactors: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    bot_ids: set[int] = field(default_factory=set)  # other bots' user ids
    closed_dms: set[int] = field(default_factory=set)  # users who take no DMs (403, 50007)
    dm_channels: dict[int, int] = field(default_factory=dict)  # DM channel id -> user id

    @property
    def api_url(self) -> str:
        """REST base for DISCORD_API_URL."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        """Gateway URL for DISCORD_GATEWAY_URL."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    def of(self, method: str, pattern: str) -> list[Call]:
        """Recorded calls whose method matches and whose path matches the regex."""
        with self._lock:
            return [c for c in self.calls if c.method == method and re.search(pattern, c.path)]

    def wait_for(self, check: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Poll until `check()` is true or the timeout passes (bounded)."""
        return wait_for(check, timeout)

    # ---- pushing events ------------------------------------------------------------------

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH event to every connected gateway client."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._dispatch(event, data), self._loop).result(10)

    def dispatch_many(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Send many DISPATCH events back to back (for bursts and benchmarks)."""
        assert self._loop is not None

        async def send_all() -> None:
            for event, data in events:
                await self._dispatch(event, data)

        asyncio.run_coroutine_threadsafe(send_all(), self._loop).result(120)

    async def _dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event down the session of the shard that holds its guild, as Discord does
        (direct messages go to shard 0)."""
        frame = {"op": 0, "t": event, "s": next(self._seq), "d": data}
        guild = int(data.get("guild_id") or 0)
        for ws in list(self._sockets):
            shard_id, count = self._shard_of_socket.get(id(ws), (0, 1))
            if (guild >> 22) % count == shard_id:
                await ws.send_str(json.dumps(frame))

    def interaction(self, name: str, options: dict[str, Any] | None = None, *, uid: int = 42,
                    permissions: int = VIEW_SEND, dm: bool = False, focused: str | None = None,
                    kind: int = 2, custom_id: str = "", message: dict[str, Any] | None = None,
                    channel_id: int = CHANNEL_ID) -> str:
        """Push an INTERACTION_CREATE; returns its token (key of its callback and webhooks)."""
        iid = next(self._ids)
        token = f"token{iid}"
        payload: dict[str, Any] = {
            "id": str(iid), "application_id": str(APP_ID), "type": kind, "token": token,
            "version": 1, "channel_id": str(channel_id), "locale": "en-US",
            "app_permissions": str((1 << 53) - 1), "entitlements": [],
            "authorizing_integration_owners": {}, "attachment_size_limit": 26214400,
            "context": 1 if dm else 0,
        }
        if dm:
            payload["channel"] = {"id": str(channel_id), "type": 1, "recipients": [user(uid)]}
            payload["user"] = user(uid)
        else:
            payload.update(guild_id=str(GUILD_ID), guild_locale="en-US",
                           member=member(uid, permissions),
                           channel={"id": str(channel_id), "type": 0, "name": "general",
                                    "guild_id": str(GUILD_ID), "position": 0,
                                    "permission_overwrites": [], "nsfw": False})
        if kind in (2, 4):
            opts = [{"name": k, "type": 3, "value": v, **({"focused": True} if k == focused else {})}
                    for k, v in (options or {}).items()]
            payload["data"] = {"id": "1", "name": name, "type": 1, "options": opts}
        else:
            payload["data"] = {"custom_id": custom_id, "component_type": 2}
            payload["message"] = message
        self.dispatch("INTERACTION_CREATE", payload)
        return token

    def react(self, message_id: int, emoji: str, uid: int = 42, add: bool = True,
              bot: bool = False, channel_id: int = CHANNEL_ID) -> None:
        """A person reacts: the message shows it, and MESSAGE_REACTION_ADD or _REMOVE is pushed."""
        if bot:
            self.bot_ids.add(uid)
        self.show(message_id, emoji, uid, add)
        self.dispatch(*reaction_event(message_id, emoji, uid, add, bot, channel_id))

    def show(self, message_id: int, emoji: str, uid: int, add: bool = True) -> None:
        """Change what a message shows, with no gateway event (as when no one listened)."""
        with self._lock:
            users = self.reactors.setdefault((message_id, emoji), [])
            if add and uid not in users:
                users.append(uid)
            elif not add and uid in users:
                users.remove(uid)

    def _reactions_of(self, message_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [{"emoji": {"id": None, "name": e}, "count": len(u), "me": BOT_ID in u,
                     "count_details": {"burst": 0, "normal": len(u)}, "burst_colors": [],
                     "me_burst": False, "burst_me": False}
                    for (mid, e), u in self.reactors.items() if mid == message_id and u]

    def original(self, token: str) -> dict[str, Any] | None:
        """The message an interaction's callback created."""
        mid = self._originals.get(token)
        return self.messages.get(mid) if mid else None

    def callbacks(self, token: str) -> list[dict[str, Any]]:
        """The callback bodies sent for one interaction."""
        return [c.body for c in self.of("POST", rf"/interactions/\d+/{token}/callback")]

    # ---- REST ----------------------------------------------------------------------------

    def _message(self, channel_id: int, body: dict[str, Any], flags: int = 0) -> dict[str, Any]:
        mid = next(self._ids)
        msg = {"id": str(mid), "channel_id": str(channel_id), "author": user(BOT_ID, bot=True),
               "content": body.get("content") or "", "timestamp": STAMP, "edited_timestamp": None,
               "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [],
               "attachments": [], "embeds": body.get("embeds") or [], "pinned": False, "type": 0,
               "flags": body.get("flags", flags) or 0, "components": body.get("components") or []}
        self.messages[mid] = msg
        return msg

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        body = json.loads(raw) if raw and request.content_type == "application/json" else None
        with self._lock:
            self.calls.append(Call(request.method, path, body))
        return await self._route(request.method, path, body or {}, request)

    async def _route(self, method: str, path: str, body: dict[str, Any],
                     request: web.Request) -> web.Response:
        if path == "/users/@me":
            return _json(user(BOT_ID, bot=True))
        if path == "/users/@me/channels" and method == "POST":
            uid = int(body["recipient_id"])
            cid = next((c for c, u in self.dm_channels.items() if u == uid), None)
            if cid is None:
                cid = next(self._ids)
                self.dm_channels[cid] = uid
            return _json({"id": str(cid), "type": 1, "last_message_id": None,
                          "recipients": [user(uid)]})
        if path == "/oauth2/applications/@me":
            return _json({"id": str(APP_ID), "name": "shipbot", "description": "", "icon": None,
                          "bot_public": True, "bot_require_code_grant": False,
                          "owner": user(7), "verify_key": "0" * 64, "flags": 0, "team": None,
                          "summary": "", "rpc_origins": []})
        if path == "/gateway/bot":
            return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}})
        if re.fullmatch(r"/applications/\d+(/guilds/\d+)?/commands", path) and method == "PUT":
            return _json([{**c, "id": str(900 + n), "application_id": str(APP_ID), "version": "1",
                           "type": c.get("type", 1)} for n, c in enumerate(body or [])])
        if m := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path):
            return self._callback(int(m.group(1)), m.group(2), body)
        if m := re.fullmatch(r"/webhooks/\d+/([^/]+)/messages/@original", path):
            mid = self._originals.get(m.group(1))
            if mid is None:
                return _json({"message": "Unknown Message", "code": 10008}, 404)
            if method == "PATCH":
                self.messages[mid].update({k: v for k, v in body.items() if k in ("embeds", "content")})
            return _json(self.messages[mid])
        if m := re.fullmatch(r"/webhooks/\d+/([^/]+)", path):
            return _json(self._message(CHANNEL_ID, body))
        if m := re.fullmatch(r"/channels/(\d+)/messages/(\d+)/reactions/([^/]+)/@me", path):
            channel, mid = int(m.group(1)), int(m.group(2))
            if channel in self.forbidden_channels:
                return _json({"message": "Missing Permissions", "code": 50013}, 403)
            self.show(mid, unquote(m.group(3)), BOT_ID)
            asyncio.ensure_future(self._dispatch("MESSAGE_REACTION_ADD", {
                "user_id": str(BOT_ID), "channel_id": str(channel), "message_id": str(mid),
                "guild_id": str(GUILD_ID), "emoji": {"id": None, "name": unquote(m.group(3))},
                "member": member(BOT_ID, bot=True), "type": 0, "burst": False,
                "burst_colors": []}))
            return web.Response(status=204)
        if m := re.fullmatch(r"/channels/(\d+)/messages/(\d+)/reactions/([^/]+)", path):
            after = int(request.query.get("after", "0"))
            limit = int(request.query.get("limit", "25"))
            with self._lock:
                ids = sorted(self.reactors.get((int(m.group(2)), unquote(m.group(3))), []))
            return _json([user(uid, bot=uid == BOT_ID or uid in self.bot_ids)
                          for uid in ids if uid > after][:limit])
        if m := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", path):
            mid = int(m.group(2))
            message = self.messages.setdefault(mid, self._message(int(m.group(1)), {}))
            message.update({k: v for k, v in body.items() if k in ("embeds", "content")})
            return _json({**message, "reactions": self._reactions_of(mid)})
        if m := re.fullmatch(r"/channels/(\d+)/messages", path):
            channel = int(m.group(1))
            if self.rate_limit_next > 0:
                self.rate_limit_next -= 1
                return _json({"message": "You are being rate limited.",
                              "retry_after": self.retry_after, "global": False}, 429,
                             {"Retry-After": str(self.retry_after), "Via": "1.1 google",
                              "X-RateLimit-Scope": "user"})
            if channel in self.forbidden_channels:
                return _json({"message": "Missing Access", "code": 50001}, 403)
            if self.dm_channels.get(channel) in self.closed_dms:
                return _json({"message": "Cannot send messages to this user", "code": 50007},
                             403)
            if channel in self.missing_channels:
                return _json({"message": "Unknown Channel", "code": 10003}, 404)
            return _json(self._message(channel, body))
        return _json({"message": f"fake has no route {method} {path}", "code": 0}, 404)

    def _callback(self, iid: int, token: str, body: dict[str, Any]) -> web.Response:
        kind = body.get("type")
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5):
            flags = (body.get("data") or {}).get("flags", 0)
            message = self._message(CHANNEL_ID, body.get("data") or {}, flags)
            self._originals[token] = int(message["id"])
            resource["message"] = message
        interaction = {"id": str(iid), "type": 2, "response_message_id": resource.get(
            "message", {}).get("id"), "response_message_loading": kind == 5,
            "response_message_ephemeral": False}
        return _json({"interaction": interaction, "resource": resource})

    # ---- gateway -------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            message = json.loads(frame.data)
            if message["op"] == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif message["op"] == 2:
                shard = message["d"].get("shard") or [0, 1]
                self.shards_identified.append(list(shard))
                await self._ready(ws, shard)
        if ws in self._sockets:
            self._sockets.remove(ws)
        return ws

    async def _ready(self, ws: web.WebSocketResponse, shard: list[int]) -> None:
        self._shard_of_socket[id(ws)] = (shard[0], shard[1])
        holds_guild = (GUILD_ID >> 22) % shard[1] == shard[0]
        ready = {"v": 10, "user": user(BOT_ID, bot=True), "session_id": "session",
                 "guilds": [{"id": str(GUILD_ID), "unavailable": True}] if holds_guild else [],
                 "resume_gateway_url": self.gateway_url, "shard": shard,
                 "application": {"id": str(APP_ID), "flags": 0}, "private_channels": []}
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": ready}))
        channels = [{"id": str(c), "type": 0, "name": f"channel-{n}", "position": n,
                     "permission_overwrites": [], "nsfw": False}
                    for n, c in enumerate([CHANNEL_ID, *self.extra_channels])]
        guild = {"id": str(GUILD_ID), "name": "Fake Guild", "owner_id": "7", "icon": None,
                 "roles": [{"id": str(GUILD_ID), "name": "@everyone", "permissions": str(VIEW_SEND),
                            "position": 0, "color": 0, "hoist": False, "managed": False,
                            "mentionable": False, "flags": 0}],
                 "channels": channels, "members": [], "member_count": 2, "emojis": [],
                 "stickers": [], "features": [], "large": False, "unavailable": False,
                 "joined_at": STAMP, "voice_states": [], "presences": [], "threads": [],
                 "stage_instances": [], "guild_scheduled_events": [], "premium_tier": 0,
                 "preferred_locale": "en-US", "verification_level": 0, "mfa_level": 0,
                 "default_message_notifications": 0, "explicit_content_filter": 0,
                 "nsfw_level": 0, "system_channel_flags": 0, "afk_timeout": 300}
        if holds_guild:
            await ws.send_str(json.dumps({"op": 0, "t": "GUILD_CREATE", "s": next(self._seq),
                                          "d": guild}))
        self._sockets.append(ws)
        self.identified.set()

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeDiscord:
        """Serve on a free 127.0.0.1 port from a background thread."""
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)

        async def close_sockets() -> None:
            for ws in list(self._sockets):
                await ws.close()

        self._server = BackgroundServer(app, "fake-discord", on_stop=close_sockets)
        self._server.start(before=lambda loop: setattr(self, "_loop", loop))
        self.port = self._server.port
        return self

    def stop(self) -> None:
        """Stop the server thread."""
        self._server.stop()


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py decodes JSON only when Content-Type is exactly application/json.
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


def reaction_event(message_id: int, emoji: str, uid: int = 42, add: bool = True,
                   bot: bool = False, channel_id: int = CHANNEL_ID) -> tuple[str, dict[str, Any]]:
    """A MESSAGE_REACTION_ADD or _REMOVE event as the gateway sends it."""
    data: dict[str, Any] = {"user_id": str(uid), "channel_id": str(channel_id),
                            "message_id": str(message_id), "guild_id": str(GUILD_ID),
                            "emoji": {"id": None, "name": emoji}, "type": 0, "burst": False,
                            "burst_colors": [], "message_author_id": str(BOT_ID)}
    if add:
        data["member"] = member(uid, bot=bot)
    return ("MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE"), data
