"""A fake Telegram Bot API server for end-to-end tests of the Telegram adapter.

It speaks HTTP on 127.0.0.1 (aiohttp) and answers with the real Bot API's JSON
shapes, so python-telegram-bot's real code runs against it unchanged: point the
adapter's base URL at `api.base_url`. It records what the bot sent, hands out
updates through `getUpdates` (offset and long-poll timeout honoured) or posts
them to a webhook, and fails on demand: 429 with `retry_after`, 403 for a chat
that blocked the bot, 5xx, and an overall rate limit for the benchmark.

People are made with `api.private_user(...)` and `api.group(...)`; their
updates are built from the real payloads kept in `tests/adapters/telegram/payloads/`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

PAYLOADS = Path(__file__).resolve().parent.parent / "adapters" / "telegram" / "payloads"
BOT_USER = {"id": 6234567890, "is_bot": True, "first_name": "Facilitator", "username": "facilitator_m4d_bot"}
MESSAGE_METHODS = {"sendMessage", "sendDocument", "createForumTopic", "editMessageText"}
MAX_TEXT = 4096


def payload(name: str) -> dict:
    """A real update payload kept as a fixture."""
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class Sent:
    """One thing the bot sent, as the server saw it."""

    method: str
    chat_id: int
    message_id: int
    text: str = ""
    thread_id: int | None = None
    reply_to: int | None = None
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, callback data)
    parse_mode: str | None = None
    document: tuple[str, bytes] | None = None
    at: float = field(default_factory=time.perf_counter)  # when the server received it


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict | None = None):
        self.status, self.description, self.parameters = status, description, parameters


class FakeTelegram:
    def __init__(self, token: str, overall_limit: float | None = None, burst_seconds: float = 0.2):
        self.token = token
        self.bot = dict(BOT_USER, can_join_groups=True, can_read_all_group_messages=False, supports_inline_queries=False)
        self.sent: list[Sent] = []
        self.calls: list[tuple[str, dict]] = []  # every method called, with its parameters
        self.commands: dict[tuple[str, str], list[tuple[str, str]]] = {}  # (scope, language) -> [(command, description)]
        self.callback_answers: list[str] = []
        self.topics: dict[int, dict[int, str]] = {}  # chat -> thread id -> topic name
        self.offsets: list[int] = []  # the offset of each getUpdates, in order
        self.webhook_url = ""
        self.webhook_secret = ""
        # What `deliver` waits for once an update is acknowledged (stored): the bot's
        # replies to it, when a test gives the adapter's `idle`.
        self.handled: Callable[[], Awaitable[None]] | None = None
        # Failures on demand.
        self.blocked: set[int] = set()
        self.muted: set[int] = set()  # groups where the bot may no longer write (400, not 403)
        self.migrated: dict[int, int] = {}  # group id -> the supergroup it became
        self.rate_limited_requests = 0  # the next N message requests answer 429
        self.flood_until = 0.0  # every message request answers 429 until then (time.monotonic())
        self.retry_after = 1
        self.server_errors = 0  # the next N message requests answer 502
        self.latency = 0.0  # seconds before answering a message request
        # Message requests wait at the door while this is clear (`hold`): a bot killed meanwhile
        # never had them taken, as a request whose connection died before Telegram read it.
        self._open = asyncio.Event()
        self._open.set()
        self.delivered: list[dict] = []  # every update handed to the bot, as it was first handed over
        self.rejected_429 = 0
        # The overall limit: a token bucket refilled at `overall_limit` per second, holding `burst_seconds` of it.
        self.overall_limit = overall_limit
        self._bucket_size = max(1.0, (overall_limit or 0) * burst_seconds)
        self._tokens = self._bucket_size
        self._bucket_time = time.monotonic()
        self._chats: dict[int, dict] = {}
        self._message_ids: dict[int, itertools.count] = {}
        self._update_ids = itertools.count(900_000_001)
        self._pending: deque[dict] = deque()
        self._arrived = asyncio.Condition()
        self._acknowledged = asyncio.Condition()
        self._last_acknowledged = 0
        self._sent_changed = asyncio.Condition()
        self._sent_counts: Counter[int] = Counter()  # by chat
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.port = 0

    # --- server -------------------------------------------------------------

    async def start(self, port: int = 0) -> FakeTelegram:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._endpoint)
        app.router.add_get("/bot{token}/{method}", self._endpoint)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """In python-telegram-bot's `base_url` form: the token is appended to it."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def _endpoint(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _parameters(request)
        self.calls.append((method, params))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found")
        try:
            if method in MESSAGE_METHODS:
                await self._open.wait()
                if request.transport is None or request.transport.is_closing():
                    return _error(499, "the client went away")  # no one reads it: nothing was taken
                await self._admit(params)
            result = await handler(params)
        except ApiError as error:
            return _error(error.status, error.description, error.parameters)
        return web.json_response({"ok": True, "result": result})

    async def _admit(self, params: dict) -> None:
        """The failures a message request can meet, in the order Telegram checks them."""
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.server_errors > 0:
            self.server_errors -= 1
            raise ApiError(502, "Bad Gateway")
        if self.rate_limited_requests > 0 or time.monotonic() < self.flood_until:
            self.rate_limited_requests = max(0, self.rate_limited_requests - 1)
            self.rejected_429 += 1
            raise ApiError(429, f"Too Many Requests: retry after {self.retry_after}", {"retry_after": self.retry_after})
        if self.overall_limit:
            now = time.monotonic()
            self._tokens = min(self._bucket_size, self._tokens + (now - self._bucket_time) * self.overall_limit)
            self._bucket_time = now
            if self._tokens < 1:
                self.rejected_429 += 1
                raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            self._tokens -= 1
        chat_id = int(params.get("chat_id", 0))
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.migrated:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat", {"migrate_to_chat_id": self.migrated[chat_id]})
        if chat_id in self.muted:
            raise ApiError(400, "Bad Request: not enough rights to send text messages to the chat")
        if chat_id not in self._chats:
            raise ApiError(400, "Bad Request: chat not found")

    # --- Bot API methods ----------------------------------------------------

    async def _api_getMe(self, params: dict) -> dict:
        return self.bot

    async def _api_deleteWebhook(self, params: dict) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _api_setWebhook(self, params: dict) -> bool:
        self.webhook_url = params["url"]
        self.webhook_secret = params.get("secret_token", "")
        return True

    async def _api_getWebhookInfo(self, params: dict) -> dict:
        return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": len(self._pending)}

    async def _api_getUpdates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        self.offsets.append(offset)
        if offset:
            # An offset confirms every update before it: they are never sent again.
            while self._pending and self._pending[0]["update_id"] < offset:
                self._pending.popleft()
            async with self._acknowledged:
                self._last_acknowledged = max(self._last_acknowledged, offset - 1)
                self._acknowledged.notify_all()
        async with self._arrived:
            if not self._pending and timeout:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait_for(lambda: bool(self._pending)), timeout)
        # Not copied: the answer is serialised to JSON at once, as Telegram's would be.
        return list(itertools.islice(self._pending, limit))

    async def _api_sendMessage(self, params: dict) -> dict:
        text = params.get("text", "")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _utf16_length(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return await self._record("sendMessage", params, text=text)

    async def _api_sendDocument(self, params: dict) -> dict:
        document = params.get("document")
        if not isinstance(document, tuple):
            raise ApiError(400, "Bad Request: there is no document in the request")
        return await self._record("sendDocument", params, text=params.get("caption", ""), document=document)

    async def _api_editMessageText(self, params: dict) -> dict:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        for sent in self.sent:
            if sent.chat_id == chat_id and sent.message_id == message_id:
                sent.text = params["text"]
                return self._message_json(chat_id, message_id, text=sent.text)
        raise ApiError(400, "Bad Request: message to edit not found")

    async def _api_answerCallbackQuery(self, params: dict) -> bool:
        self.callback_answers.append(params["callback_query_id"])
        return True

    async def _api_setMyCommands(self, params: dict) -> bool:
        scope = params.get("scope") or {"type": "default"}
        key = (scope["type"] + (f":{scope['chat_id']}" if "chat_id" in scope else ""), params.get("language_code", ""))
        self.commands[key] = [(c["command"], c["description"]) for c in params["commands"]]
        return True

    async def _api_getChat(self, params: dict) -> dict:
        chat_id = int(params["chat_id"])
        if chat_id not in self._chats:
            raise ApiError(400, "Bad Request: chat not found")
        chat = dict(self._chats[chat_id])
        chat.update(accent_color_id=0, max_reaction_count=11)
        chat["accepted_gift_types"] = {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        }
        return chat

    async def _api_createForumTopic(self, params: dict) -> dict:
        chat_id = int(params["chat_id"])
        if not self._chats[chat_id].get("is_forum"):
            raise ApiError(400, "Bad Request: the chat is not a forum")
        name = params["name"]
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: TOPIC_NAME_INVALID")
        # Creating a topic posts its service message, whose id is the topic's thread id.
        thread_id = next(self._ids(chat_id))
        self.topics.setdefault(chat_id, {})[thread_id] = name
        return {"message_thread_id": thread_id, "name": name, "icon_color": 7322096}

    def hold(self) -> None:
        """Message requests wait, untaken, until `release`."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    async def redeliver(self, updates: list[dict]) -> None:
        """Hand these updates over again, with their update ids, as Telegram does
        when the getUpdates that confirmed them never reached it (a crash)."""
        again = {update["update_id"]: copy.deepcopy(update) for update in updates}
        again.update((update["update_id"], update) for update in self._pending)
        async with self._arrived:
            self._pending = deque(again[update_id] for update_id in sorted(again))
            self._arrived.notify_all()

    def flood(self, seconds: float, retry_after: int = 1) -> None:
        """A 429 storm: every message request is refused for `seconds`."""
        self.flood_until, self.retry_after = time.monotonic() + seconds, retry_after

    # --- recording ----------------------------------------------------------

    def _ids(self, chat_id: int) -> itertools.count:
        return self._message_ids.setdefault(chat_id, itertools.count(1))

    async def _record(self, method: str, params: dict, text: str, document: tuple[str, bytes] | None = None) -> dict:
        chat_id = int(params["chat_id"])
        thread_id = int(params["message_thread_id"]) if params.get("message_thread_id") else None
        if thread_id is not None and thread_id not in self.topics.get(chat_id, {}):
            raise ApiError(400, "Bad Request: message thread not found")
        markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else {}
        buttons = [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]
        for _label, data in buttons:
            if not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        reply = json.loads(params["reply_parameters"]) if params.get("reply_parameters") else {}
        reply_to = reply.get("message_id") or (int(params["reply_to_message_id"]) if params.get("reply_to_message_id") else None)
        message_id = next(self._ids(chat_id))
        self.sent.append(Sent(method, chat_id, message_id, text, thread_id, reply_to, buttons, params.get("parse_mode"), document))
        self._sent_counts[chat_id] += 1
        async with self._sent_changed:
            self._sent_changed.notify_all()
        return self._message_json(chat_id, message_id, text=text, thread_id=thread_id, markup=markup, document=document)

    def _message_json(
        self,
        chat_id: int,
        message_id: int,
        text: str = "",
        thread_id: int | None = None,
        markup: dict | None = None,
        document: tuple[str, bytes] | None = None,
    ) -> dict:
        message: dict[str, Any] = {"message_id": message_id, "from": BOT_USER, "chat": self._chats[chat_id], "date": int(time.time())}
        if document:
            message["document"] = {
                "file_name": document[0],
                "file_id": f"BQAC{message_id}",
                "file_unique_id": f"AgAD{message_id}",
                "file_size": len(document[1]),
            }
            if text:
                message["caption"] = text
        else:
            message["text"] = text
        if thread_id is not None:
            message.update(message_thread_id=thread_id, is_topic_message=True)
        if markup:
            message["reply_markup"] = markup
        return message

    # --- what the tests look at ---------------------------------------------

    def to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def texts(self, chat_id: int) -> list[str]:
        return [s.text for s in self.to(chat_id)]

    def last(self, chat_id: int) -> Sent:
        return self.to(chat_id)[-1]

    def find(self, chat_id: int, containing: str) -> Sent:
        for sent in reversed(self.sent):
            if sent.chat_id == chat_id and containing in sent.text:
                return sent
        raise AssertionError(f"nothing containing {containing!r} was sent to {chat_id}: {self.texts(chat_id)}")

    async def wait_sent(self, count: int, timeout: float = 20) -> None:
        """Until the bot has sent at least `count` messages in all."""
        async with self._sent_changed:
            await asyncio.wait_for(self._sent_changed.wait_for(lambda: len(self.sent) >= count), timeout)

    async def wait_sent_to(self, chat_id: int, count: int, timeout: float = 20) -> None:
        """Until the bot has sent at least `count` messages to the chat."""
        async with self._sent_changed:
            await asyncio.wait_for(self._sent_changed.wait_for(lambda: self._sent_counts[chat_id] >= count), timeout)

    # --- updates --------------------------------------------------------------

    async def deliver(self, update: dict, timeout: float = 20) -> dict:
        """Hand an update to the bot and return once the bot has acknowledged it
        (by a later getUpdates offset when polling, by answering the webhook's
        POST) and, with `handled` set, handled it to the end."""
        update["update_id"] = next(self._update_ids)
        self.delivered.append(copy.deepcopy(update))
        if self.webhook_url:
            await self._post_to_webhook(update, timeout)
        else:
            async with self._arrived:
                self._pending.append(update)
                self._arrived.notify_all()
            await self.acknowledgement_of(update, timeout)
        if self.handled is not None:
            await asyncio.wait_for(self.handled(), timeout)
        return update

    async def acknowledgement_of(self, update: dict, timeout: float = 20) -> None:
        async with self._acknowledged:
            await asyncio.wait_for(self._acknowledged.wait_for(lambda: self._last_acknowledged >= update["update_id"]), timeout)

    async def _post_to_webhook(self, update: dict, timeout: float) -> None:
        if self._client is None:
            self._client = aiohttp.ClientSession()
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret} if self.webhook_secret else {}
        async with self._client.post(
            self.webhook_url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            if response.status != 200:
                raise AssertionError(f"the webhook answered {response.status}")

    def private_user(self, user_id: int, first_name: str, language_code: str | None, last_name: str = "") -> TelegramUser:
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if language_code:
            user["language_code"] = language_code
        chat = {"id": user_id, "first_name": first_name, "type": "private"}
        self._chats[user_id] = chat
        return TelegramUser(self, user, chat)

    def group(self, chat_id: int, title: str, forum: bool = False) -> dict:
        chat = {"id": chat_id, "title": title, "type": "supergroup"}
        if forum:
            chat["is_forum"] = True
        self._chats[chat_id] = chat
        return chat


@dataclass
class TelegramUser:
    """A Telegram account talking to the bot, in its private chat or in a group."""

    api: FakeTelegram
    user: dict
    private_chat: dict

    @property
    def id(self) -> int:
        return self.user["id"]

    def _message(self, template: str, chat: dict | None, **fields) -> dict:
        update = payload(template)
        kind = "edited_message" if "edited_message" in update else "message"
        message = update[kind]
        chat = chat or self.private_chat
        for key in ("text", "caption", "reply_to_message", "message_thread_id", "is_topic_message", "entities"):
            message.pop(key, None)
        message.update({"from": self.user, "chat": chat, "date": int(time.time())})
        if "message_id" not in fields:  # as in Telegram: one sequence per chat, the bot's messages and everyone's
            fields["message_id"] = next(self.api._ids(chat["id"]))
        message.update(fields)
        return update

    async def says(
        self, text: str, *, chat: dict | None = None, reply_to: int | None = None, thread: int | None = None, timeout: float = 20
    ) -> dict:
        """A text message; `reply_to` a message id in the same chat; `thread` a forum topic; `timeout`: how long the bot may take
        to confirm it."""
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            fields["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        target = chat or self.private_chat
        if thread is not None:
            fields.update(message_thread_id=thread, is_topic_message=True)
            # Inside a topic, a message that replies to nothing replies to the topic's creation.
            fields["reply_to_message"] = {
                "message_id": reply_to or thread,
                "from": BOT_USER,
                "chat": target,
                "date": int(time.time()),
                "message_thread_id": thread,
                "is_topic_message": True,
                **(
                    {}
                    if reply_to
                    else {
                        "forum_topic_created": {"name": self.api.topics.get(target["id"], {}).get(thread, "topic"), "icon_color": 7322096}
                    }
                ),
            }
        elif reply_to is not None:
            original = next((s for s in self.api.to(target["id"]) if s.message_id == reply_to), None)
            fields["reply_to_message"] = {
                "message_id": reply_to,
                "from": BOT_USER,
                "chat": target,
                "date": int(time.time()),
                "text": original.text if original else "",
            }
        template = "private_reply_to_question" if target["type"] == "private" else "forum_topic_message"
        return await self.api.deliver(self._message(template, chat, **fields), timeout)

    async def edits(self, message_id: int, text: str, *, chat: dict | None = None) -> dict:
        update = self._message("edited_message", chat, message_id=message_id, text=text, edit_date=int(time.time()))
        return await self.api.deliver(update)

    async def sends(self, fixture: str, *, chat: dict | None = None) -> dict:
        """A sticker, photo or voice note from its fixture, sent by this user."""
        update = payload(fixture)
        message = update["message"]
        chat = chat or self.private_chat
        message.update({"from": self.user, "chat": chat, "message_id": next(self.api._ids(chat["id"]))})
        return await self.api.deliver(update)

    async def presses(self, sent: Sent, data: str) -> dict:
        """Taps the button carrying `data` under a message the bot sent."""
        assert data in [d for _label, d in sent.buttons], f"no button {data!r} under that message: {sent.buttons}"
        update = payload("callback_query")
        query = update["callback_query"]
        query["id"] = str(next(self.api._update_ids))
        query["from"] = self.user
        query["data"] = data
        query["message"].update(
            message_id=sent.message_id,
            chat=self.api._chats[sent.chat_id],
            text=sent.text,
            reply_markup={"inline_keyboard": [[{"text": label, "callback_data": d}] for label, d in sent.buttons]},
        )
        return await self.api.deliver(update)


async def _parameters(request: web.Request) -> dict:
    """The parameters of a Bot API call, sent as JSON, form or multipart, as Telegram accepts them."""
    if request.content_type == "application/json":
        return await request.json()
    params: dict[str, Any] = {}
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if part.filename:
                params[part.name] = (part.filename, bytes(await part.read()))
            else:
                params[part.name] = await part.text()
        if isinstance(params.get("document"), str) and params["document"].startswith("attach://"):
            params["document"] = params[params["document"].removeprefix("attach://")]
    else:
        params.update(await request.post())
    for key in ("scope", "commands", "allowed_updates"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    for key in ("drop_pending_updates",):
        if isinstance(params.get(key), str):
            params[key] = params[key] == "true"
    return params


def _error(status: int, description: str, parameters: dict | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
