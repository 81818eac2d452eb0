"""The ASGI application: a participant's page and the organisers' desk.

Everything a person sends goes to the engine (`Inbox`) as a message, a
button press or one of the web's few Inbox calls; the engine's answers to
that request come back through `WebChat.send` in the request's context
(`bot.ports.answering`) and are shown on the page, or downloaded when they
carry a file. Sessions are signed cookies (HTTP-only, same-site, expiring)
that hold the link they were opened with: a revoked or expired link ends
them. Every form carries the session's CSRF token; every page carries a
strict Content-Security-Policy; Jinja escapes everything people typed.
"""

from __future__ import annotations

import hmac
import math
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from adapters.web import inbound
from adapters.web.unsubscribe import unsubscribe_routes
from adapters.web.wording import words
from bot.i18n import catalog_languages, language_name, negotiate, reading_in
from bot.ports import Inbox, OutgoingMessage, Secret, answering
from bot.ports.web import DeskQuery, ParticipantPage, Visitor

HERE = Path(__file__).resolve().parent
MAX_FORM_BYTES = 500_000  # a 16,000-character answer in any script, percent-encoded, fits
SYNTHESIS_FORM_BYTES = 20_000_000  # the key points' draft of a very large discussion
MAX_ANSWER = 16_000  # as in the chats (bot.conversation.contributions.MAX_LENGTH)
DESK_SESSION_SECONDS = 12 * 3600
# What a desk button may ask of the engine: the organiser's own chat commands.
PAGE_LANGUAGE = "page_language"  # the session's key for the language the participant's page was last shown in
DESK_SAID = "desk_said"  # the session's key for the answer to the desk's last action
PARTICIPANT_LINK, DESK_LINK = "participant_link", "desk_link"  # the session keeps each link a browser opened
DESK_SAID_LIMIT = 1000  # characters of each answer kept for it: the session is a cookie
DESK_COMMANDS = ("open_round", "close_round", "extend_round", "postpone_round", "next_round", "pause", "resume", "hide", "unhide")
REPORT_FORMATS = ("docx", "html", "md", "json", "csv", "xlsx")
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",  # a personal link never leaks to another site
    "cache-control": "no-store",
    "x-frame-options": "DENY",
}


@dataclass
class Exchange:
    """The engine's answers to one web request, gathered by `WebChat.send`."""

    chat_id: str
    replies: list[OutgoingMessage] = field(default_factory=list)

    @property
    def notes(self) -> list[OutgoingMessage]:
        """What the bot said, without the questions it posted (the page shows those itself)."""
        return [reply for reply in self.replies if reply.new_thread_title is None]

    @property
    def attachment(self) -> tuple[str, bytes] | None:
        return next((reply.attachment for reply in self.replies if reply.attachment is not None), None)


class Attempts:
    """Links refused per client address: after `limit` in `window` seconds, no
    link opens from there until the oldest is that old, so that nobody tries
    tokens by the thousand (they are 256 bits anyway). Links that open do not
    count: clients behind a proxy that is not trusted to name them share its address."""

    def __init__(self, limit: int = 30, window: float = 60.0):
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = {}

    def _recent(self, client: str, now: float) -> deque[float]:
        seen = self._seen.setdefault(client, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        return seen

    def wait(self, client: str, now: float) -> int:
        """Whole seconds before a link may be tried from `client` again; 0: now."""
        seen = self._recent(client, now)
        return math.ceil(seen[0] + self.window - now) if len(seen) >= self.limit else 0

    def refused(self, client: str, now: float) -> None:
        self._recent(client, now).append(now)
        if len(self._seen) > 10_000:  # forget quiet addresses rather than grow without end
            self._seen = {address: times for address, times in self._seen.items() if times and times[-1] > now - self.window}


class Refused(Exception):
    def __init__(self, status: int, reason: str):
        self.status, self.reason = status, reason


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined)
    environment.globals["language_name"] = lambda code: language_name(code, code)
    environment.filters["local"] = lambda moment, zone: moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
    environment.globals["desk_address"] = inbound.desk_address
    return environment


def make_app(inbox: Inbox, session_secret: Secret, *, https: bool = False) -> Starlette:
    templates = Jinja2Templates(env=_environment())
    attempts = Attempts()

    def page(request: Request, name: str, language: str, status: int = 200, **context: Any) -> Response:
        with reading_in(language):
            context = {"notes": [], "note": "", "note_args": {}} | context
            context.update(w=words(), lang=language, csrf=_csrf(request), nonce=secrets.token_hex(16))
            response = templates.TemplateResponse(request, name, context, status_code=status)
        response.headers.update(SECURITY_HEADERS)
        return response

    def reader_language(request: Request) -> str:
        """For someone not signed in: the browser's first language the bot speaks."""
        for part in request.headers.get("accept-language", "").split(","):
            code = negotiate(part.split(";", 1)[0].strip() or None, catalog_languages())
            if code:
                return code
        return "en"

    def refused(request: Request, status: int, reason: str) -> Response:
        return page(request, "refused.html", reader_language(request), status=status, reason=reason)

    async def form(request: Request, limit: int = MAX_FORM_BYTES) -> FormData:
        if int(request.headers.get("content-length") or 0) > limit:
            raise Refused(413, "too_big")
        await request.body()  # read once, kept: `raw_text` reads the same bytes
        data = await request.form(max_part_size=limit)
        expected = request.session.get("csrf", "")
        sent = data.get("csrf")
        if not expected or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
            raise Refused(403, "refused_form")
        return data

    async def raw_text(request: Request, name: str) -> tuple[str, bool]:
        """A text field as sent: form parsing would replace bytes that are not
        UTF-8 silently, and the sender must be told instead."""
        body = await request.body()
        for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1"):
            if key == name:
                return inbound.form_text(value.encode("latin-1"))
        return "", False

    async def session_visitor(request: Request, kind: str) -> Visitor:
        """Who the link of `kind` (`PARTICIPANT_LINK`, `DESK_LINK`) opened in this browser let in.
        A participant without a desk link is no organiser: they are told so, not to sign in again."""
        link_id = request.session.get(kind)
        found = await inbox.web_visitor(link_id) if isinstance(link_id, int) else None
        if found is None:
            request.session.pop(kind, None)
            if kind == DESK_LINK and request.session.get(PARTICIPANT_LINK):
                raise Refused(403, "refused_desk")
            raise Refused(401, "refused_session")
        return found

    async def participant(request: Request) -> int:
        found = await session_visitor(request, PARTICIPANT_LINK)
        if found.participant_id is None:
            raise Refused(403, "refused_session")
        return found.participant_id

    async def signed_in_organiser(request: Request) -> tuple[str, str]:
        """Who signed in at the desk; whether they still organise the discussion is for the caller to check."""
        found = await session_visitor(request, DESK_LINK)
        if found.organiser is None:
            raise Refused(403, "refused_desk")
        return found.organiser

    async def organiser(request: Request) -> tuple[str, str]:
        """The signed-in organiser, while they organise the discussion: every desk route refuses anyone else."""
        who = await signed_in_organiser(request)
        if await inbox.desk_page(who, "", DeskQuery(brief=True)) is None:
            raise Refused(403, "refused_desk")
        return who

    async def ask(message_or_press, chat_id: str) -> Exchange:
        exchange = Exchange(chat_id)
        token = answering.set(exchange)
        try:
            if hasattr(message_or_press, "text"):
                await inbox.handle_message(message_or_press)
            else:
                await inbox.handle_button(message_or_press)
        finally:
            answering.reset(token)
        return exchange

    # --- routes -------------------------------------------------------------

    async def open_link(request: Request) -> Response:
        # The address the server sees: Uvicorn puts a forwarded one there only from a proxy it is told to trust (`adapter`).
        client, now = request.client.host if request.client else "", time.monotonic()
        if wait := attempts.wait(client, now):
            response = refused(request, 429, "too_many")
            response.headers["retry-after"] = str(wait)
            return response
        found = await inbox.open_web_link(request.path_params["token"])
        if found is None:
            attempts.refused(client, now)
            return refused(request, 403, "refused_link")
        # An organiser who also takes part keeps both in one browser: their page and the desk.
        request.session[PARTICIPANT_LINK if found.participant_id is not None else DESK_LINK] = found.link_id
        request.session.setdefault("csrf", secrets.token_urlsafe(32))
        return RedirectResponse("/me" if found.participant_id is not None else "/desk", status_code=303)

    async def participant_page(
        request: Request,
        participant_id: int,
        notes: list[OutgoingMessage] | None = None,
        note: str = "",
        kept: tuple[str, str] | None = None,
        **note_args: object,
    ) -> Response:
        """The page, with the bot's answers to what was just sent, or one of the page's own notes (a WORDS key).
        `kept`: a text refused as too long, back in its box (the box's id, the text), so that none of it is lost."""
        shown = await inbox.participant_page(participant_id)
        if shown is None:
            request.session.pop(PARTICIPANT_LINK, None)
            return refused(request, 401, "refused_session")
        return drawn(request, shown, notes or [], note, kept, **note_args)

    def drawn(
        request: Request,
        shown: ParticipantPage,
        notes: list[OutgoingMessage],
        note: str = "",
        kept: tuple[str, str] | None = None,
        **note_args: object,
    ) -> Response:
        request.session[PAGE_LANGUAGE] = shown.language
        return page(request, "participant.html", shown.language, p=shown, notes=notes, note=note, note_args=note_args, kept=kept)

    async def me(request: Request) -> Response:
        return await participant_page(request, await participant(request))

    async def answer(request: Request) -> Response:
        participant_id = await participant(request)
        data = await form(request)
        text, undecodable = await raw_text(request, "text")
        question = data.get("question")
        message = inbound.participant_message(
            participant_id,
            text,
            undecodable=undecodable,
            question=question if isinstance(question, str) else None,
            nonce=str(data.get("nonce") or ""),
        )
        exchange = await ask(message, message.chat.chat_id)
        box = f"answer-{question}" if isinstance(question, str) and question else "several"
        return await participant_page(request, participant_id, exchange.notes, kept=(box, text) if len(text) > MAX_ANSWER else None)

    async def press(request: Request) -> Response:
        participant_id = await participant(request)
        data = await form(request)
        exchange = await ask(inbound.participant_press(participant_id, str(data.get("data") or "")), str(participant_id))
        shown = await inbox.participant_page(participant_id)
        if shown is None:  # the press confirmed "forget me": nothing of them is left to show
            language = request.session.pop(PAGE_LANGUAGE, None)  # the page they read, not their browser's
            request.session.pop(PARTICIPANT_LINK, None)
            return page(
                request, "forgotten.html", language if isinstance(language, str) else reader_language(request), notes=exchange.notes
            )
        return drawn(request, shown, exchange.notes)

    async def command(request: Request, participant_id: int, text: str) -> Exchange:
        return await ask(inbound.participant_message(participant_id, text), str(participant_id))

    async def forget(request: Request) -> Response:
        participant_id = await participant(request)
        await form(request)
        return await participant_page(request, participant_id, (await command(request, participant_id, "/forget")).notes)

    async def my_data(request: Request) -> Response:
        participant_id = await participant(request)
        exchange = await command(request, participant_id, "/mydata")
        return _download(exchange) or await participant_page(request, participant_id, exchange.notes)

    async def edit(request: Request) -> Response:
        participant_id = await participant(request)
        data = await form(request)
        text, undecodable = await raw_text(request, "text")
        problem = _problem(text, undecodable)
        if problem:
            kept = (f"edit-{_number(data.get('contribution'))}", text) if problem == "too_long" else None
            return await participant_page(request, participant_id, note=problem, kept=kept, length=len(text), limit=MAX_ANSWER)
        message_id = str(data.get("message") or "")
        if message_id:  # sent from this page: edited as a chat edits a message, and linked again
            question = data.get("question")
            edited = inbound.participant_edit(
                participant_id,
                message_id,
                text,
                question=question if isinstance(question, str) else None,
                nonce=str(data.get("nonce") or ""),
            )
            return await participant_page(request, participant_id, (await ask(edited, edited.chat.chat_id)).notes)
        done = await inbox.revise_answer(participant_id, _number(data.get("contribution")), text)
        return await participant_page(request, participant_id, note="answer_saved" if done else "not_yours")

    async def move(request: Request) -> Response:
        participant_id = await participant(request)
        found = await session_visitor(request, PARTICIPANT_LINK)
        data = await form(request)
        key = str(data.get("question") or "")
        done = await inbox.move_answer(found, _number(data.get("contribution")), key)
        return await participant_page(request, participant_id, note="answer_moved" if done else "not_yours", key=key)

    async def profile(request: Request) -> Response:
        participant_id = await participant(request)
        data = await form(request)
        fields = [str(value) if (value := data.get(name)) is not None else None for name in ("name", "organisation", "country")]
        await inbox.update_profile(participant_id, *fields)
        return await participant_page(request, participant_id, note="profile_saved")

    # --- the desk -----------------------------------------------------------

    def desk_language(request: Request) -> str:
        language = request.session.get("desk_language")
        return language if isinstance(language, str) else reader_language(request)

    async def desk_page(request: Request, notes: list[OutgoingMessage] | None = None, note: str = "", **note_args: object) -> Response:
        # The page itself is None for anyone who does not organise the discussion: no separate check.
        shown = await inbox.desk_page(await signed_in_organiser(request), desk_language(request), inbound.desk_query(request.query_params))
        if shown is None:
            raise Refused(403, "refused_desk")
        return page(
            request, "desk.html", shown.language, d=shown, notes=notes or [], note=note, note_args=note_args, formats=REPORT_FORMATS
        )

    async def desk(request: Request) -> Response:
        language = request.query_params.get("lang")
        if language in catalog_languages():
            request.session["desk_language"] = language
        said = request.session.pop(DESK_SAID, None)  # what the bot answered the last action, shown once
        if isinstance(said, dict):
            chat = inbound.desk_chat(await signed_in_organiser(request))
            notes = [OutgoingMessage(chat, str(text)) for text in said.get("notes", [])]
            return await desk_page(request, notes, str(said.get("note", "")), **dict(said.get("args", {})))
        return await desk_page(request)

    def after_action(request: Request, notes: list[OutgoingMessage], note: str = "", **note_args: str | int | None) -> Response:
        """Back to the desk by GET (post, redirect, get): reloading the page it shows does not run the action again."""
        request.session[DESK_SAID] = {"notes": [n.text[:DESK_SAID_LIMIT] for n in notes], "note": note, "args": note_args}
        return RedirectResponse("/desk", status_code=303)

    async def desk_confirm(request: Request) -> Response:
        who = await organiser(request)
        name, args = request.query_params.get("command", ""), request.query_params.get("args", "")
        shown = await inbox.desk_page(who, desk_language(request), DeskQuery(brief=True))
        if shown is None:
            raise Refused(403, "refused_desk")
        asked = _confirmation(name, args)
        if asked is None:
            return RedirectResponse("/desk", status_code=303)
        return page(request, "confirm.html", shown.language, command=name, args=args, action=asked[0], number=asked[1])

    async def desk_command(request: Request) -> Response:
        who = await organiser(request)
        data = await form(request)
        name = str(data.get("command") or "")
        args = " ".join(str(data.get(field) or "") for field in ("args", "reason")).strip()
        if name not in DESK_COMMANDS:
            return await desk_page(request)
        exchange = await ask(inbound.desk_command(who, desk_language(request), f"/{name} {args}".strip()), "desk")
        return after_action(request, exchange.notes)

    async def desk_file(request: Request) -> Response:
        await organiser(request)
        found = await session_visitor(request, DESK_LINK)
        data = await form(request)
        key, contribution = str(data.get("question") or ""), _number(data.get("contribution"))
        done = await inbox.move_answer(found, contribution, key)
        return after_action(request, [], note="filed" if done else "not_yours", id=contribution, key=key)

    async def desk_schedule(request: Request) -> Response:
        """What happens next, as /schedule says it: its own page, since planning every reminder takes a while."""
        who = await organiser(request)
        exchange = await ask(inbound.desk_command(who, desk_language(request), "/schedule"), "desk")
        return await desk_page(request, exchange.notes)

    async def desk_report(request: Request) -> Response:
        who = await organiser(request)
        language, format = request.query_params.get("lang", ""), request.query_params.get("format", "docx")
        if format not in REPORT_FORMATS or not language.isalpha():
            return await desk_page(request)
        exchange = await ask(inbound.desk_command(who, desk_language(request), f"/report {language} {format}"), "desk")
        return _download(exchange) or await desk_page(request, exchange.notes)

    async def synthesis_page(request: Request) -> Response:
        """The key points' draft, to review in the page: the text organisers edit, as in `facilitator synthesis`."""
        who = await organiser(request)
        draft = await inbox.synthesis_draft(who, request.query_params.get("lang", ""))
        if draft is None:
            raise Refused(403, "refused_desk")
        return _synthesis(request, draft.language, draft.text, draft.reviewed)

    async def save_synthesis(request: Request) -> Response:
        who = await organiser(request)
        data = await form(request, SYNTHESIS_FORM_BYTES)
        language, text = str(data.get("lang") or ""), str(data.get("draft") or "")
        review = await inbox.save_synthesis_review(who, language, text)
        if review is None:
            raise Refused(403, "refused_desk")
        if review.problems:  # the organiser's text is shown again as they wrote it: nothing they typed is lost
            return _synthesis(request, language, text, False, problems=review.problems, status=422)
        draft = await inbox.synthesis_draft(who, language)
        assert draft is not None
        note = "key_points_saved" if review.saved else "key_points_unchanged"
        return _synthesis(request, draft.language, draft.text, draft.reviewed, note=note, left_out=review.notes)

    def _synthesis(request: Request, language: str, text: str, reviewed: bool, status: int = 200, **context: Any) -> Response:
        context = {"problems": (), "left_out": ()} | context
        return page(
            request,
            "synthesis.html",
            desk_language(request),
            status=status,
            draft_language=language,
            text=text,
            reviewed=reviewed,
            **context,
        )

    async def refusal(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        return refused(request, exc.status, exc.reason)

    return Starlette(
        routes=[
            Route("/p/{token}", open_link),
            Route("/me", me),
            Route("/me/answer", answer, methods=["POST"]),
            Route("/me/button", press, methods=["POST"]),
            Route("/me/edit", edit, methods=["POST"]),
            Route("/me/move", move, methods=["POST"]),
            Route("/me/profile", profile, methods=["POST"]),
            Route("/me/forget", forget, methods=["POST"]),
            Route("/me/data.json", my_data),
            Route("/desk", desk),
            Route("/desk/confirm", desk_confirm),
            Route("/desk/command", desk_command, methods=["POST"]),
            Route("/desk/file", desk_file, methods=["POST"]),
            Route("/desk/report", desk_report),
            Route("/desk/synthesis", synthesis_page),
            Route("/desk/synthesis", save_synthesis, methods=["POST"]),
            Route("/desk/schedule", desk_schedule),
            *unsubscribe_routes(inbox),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=session_secret.reveal(),
                session_cookie="facilitator_session",
                max_age=DESK_SESSION_SECONDS,
                same_site="lax",
                https_only=https,
            )
        ],
        exception_handlers={Refused: refusal},
    )


# The desk's links that ask for a confirmation: the command, what the page calls it (a WORDS key), whether
# its arguments start with a round's number, and what follows it, as those links write them.
CONFIRMED = {
    "open_round": ("open_round", True, ""),
    "close_round": ("close_round", True, ""),
    "postpone_round": ("postpone", True, "1d"),
    "extend_round": ("extend", False, "1d"),
    "pause": ("pause", False, ""),
    "resume": ("resume", False, ""),
}


def _confirmation(command: str, args: str) -> tuple[str, str] | None:
    """What a desk link asks to confirm, in the page's words (a WORDS key, the round's number), for the
    arguments the desk's own links give only: the confirmation then says exactly what the button does."""
    if command not in CONFIRMED:
        return None
    action, numbered, tail = CONFIRMED[command]
    number, _space, rest = args.partition(" ") if numbered else ("", "", args)
    if rest != tail or (numbered and not (number.isdigit() and len(number) < 4)):
        return None
    return action, number


def _csrf(request: Request) -> str:
    token = request.session.get("csrf") if "session" in request.scope else None
    return token if isinstance(token, str) else ""


def _number(value: object) -> int:
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 12 else 0


def _problem(text: str, undecodable: bool) -> str:
    """What is wrong with an edited answer (a WORDS key), or "" when it can be saved."""
    if undecodable:
        return "bad_input_text"
    if not text.strip():
        return "bad_input_empty"
    return "too_long" if len(text) > MAX_ANSWER else ""


def _download(exchange: Exchange) -> Response | None:
    attachment = exchange.attachment
    if attachment is None:
        return None
    name, content = attachment
    response = Response(content, media_type="application/octet-stream")
    response.headers["content-disposition"] = f"attachment; filename*=UTF-8''{quote(Path(name).name)}"
    response.headers.update(SECURITY_HEADERS)
    return response
