"""The console chat: the embedded default when no platform token is set.

The person at the keyboard is a participant in a private chat with the bot;
`/as NAME` makes them another one (each has a chat of their own). Buttons are
shown lettered, `[a]`, `[b]`…, so that a choice is never read as a question's
number; typing the letter presses one. A round's questions are shown with their
number (`#3`): `/reply 3 text` answers that message, `/edit text` replaces the
last message sent. So does a reply offering choices ("which question?"): the
latest one's letters are typed alone, an older one's as `/reply 7 b`. Text pasted into a terminal is one message: the terminal
is asked to mark a paste (bracketed paste, ESC[200~ … ESC[201~), and the lines
between the marks are kept together; a pipe may use the same marks. It reads a
pipe as well as a terminal and stops cleanly at the end of input or on Ctrl-C,
so it can be scripted: `printf '/start\\nQ1: …\\n' | facilitator run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import string
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from bot.i18n import _
from bot.ports import Button, ButtonPress, ChatKind, ChatRef, Inbox, IncomingMessage, OutgoingMessage, Person, SentMessage

PLATFORM = "console"
USER_ID = "local"
PASTE_STARTS, PASTE_ENDS = b"\x1b[200~", b"\x1b[201~"
_BRACKETED_PASTE_ON, _BRACKETED_PASTE_OFF = "\x1b[?2004h", "\x1b[?2004l"
_REPLY = re.compile(r"/reply\s+#?(\d+)\s+(.+)", re.S)
_LETTERS = string.ascii_lowercase


def _letter(text: str) -> str:
    """The choice's letter as people type it: "b", "B", "b)", "(b)", "[b]", "b."; "" when the text is more."""
    letter = text.strip().strip("[]().:").strip().lower()
    return letter if len(letter) == 1 else ""


@dataclass
class _Speaker:
    """One participant typing at the console, in a private chat of their own."""

    person: Person
    chat: ChatRef
    last_message: tuple[str, str | None] | None = None  # what /edit replaces: its id, and the message it replied to


class ConsoleChat:
    name = PLATFORM
    # People answer a question with /reply N, not by the app's own "reply":
    # the bot's sentences do not tell them to reply to a message.
    answers_by_reply = False

    def __init__(self, input_stream: BinaryIO, output: TextIO, language_code: str | None = None):
        self.input = input_stream
        self.output = output
        self.language_code = language_code
        you = Person(PLATFORM, USER_ID, os.environ.get("USER", "you"), language_code)
        self._you = _Speaker(you, ChatRef(PLATFORM, "console", ChatKind.private, "console"))
        self._speaker = self._you
        self._speakers: dict[str, _Speaker] = {}
        self._buttons: dict[str, tuple[Button, ...]] = {}  # by chat id
        self._numbered_buttons: dict[int, tuple[Button, ...]] = {}  # by the number shown (#N)
        # Unique across runs, so a new session's messages are never taken for
        # redeliveries, nor its questions' numbers for an earlier session's.
        run = time.time_ns()
        self._message_ids = (f"{run}-{n}" for n in itertools.count(1))
        self._run = run
        self._question_numbers = itertools.count(1)
        self._numbers_shown = 0  # the highest #N shown in this run
        self._other_numbers = itertools.count(1)
        self._interactive = hasattr(input_stream, "isatty") and input_stream.isatty()

    @property
    def chat(self) -> ChatRef:
        return self._speaker.chat

    @property
    def person(self) -> Person:
        return self._speaker.person

    async def send(self, message: OutgoingMessage) -> SentMessage:
        # A round's question (posted with a thread title where chats have them)
        # shows the number /reply takes; so does a reply to you that offers
        # choices (a "which question?", a "wrong question?"), so that an older
        # one still answers: /reply N b presses its [b].
        numbered = message.new_thread_title is not None or (message.reply_to is not None and bool(message.buttons))
        number = next(self._question_numbers) if numbered else None
        self._numbers_shown = number or self._numbers_shown
        if number is not None and message.buttons:
            self._numbered_buttons[number] = message.buttons[: len(_LETTERS)]
        prompt = f"facilitator #{number}" if number else "facilitator"
        if message.chat.chat_id != self.chat.chat_id:
            prompt += f" → {message.chat.title or message.chat.chat_id}"
        indent = " " * 13
        lines = message.text.splitlines() or [""]
        self.output.write(f"{prompt}> " + f"\n{indent}".join(lines) + "\n")
        if message.attachment is not None:
            name, content = message.attachment
            path = Path.cwd() / Path(name).name  # never outside the working directory
            path.write_bytes(content)
            self.output.write(f"{indent}[{path}]\n")
        # Buttons answer the message that carries them: once the bot has said
        # something else, a letter typed is text again; a round's questions
        # posted meanwhile (a broadcast, not an answer) leave them in force.
        if message.buttons or message.new_thread_title is None:
            self._buttons[message.chat.chat_id] = message.buttons[: len(_LETTERS)]
        if message.buttons:
            self.output.write(
                indent + "  ".join(f"[{letter}] {b.label}" for letter, b in zip(_LETTERS, message.buttons, strict=False)) + "\n"
            )
        self.output.flush()
        return SentMessage(message_id=f"out-{self._run}-{f'q{number}' if number else next(self._other_numbers)}")

    async def serve(self, inbox: Inbox) -> None:
        """Read messages until the end of input (or Ctrl-C), handing each to the engine in turn."""
        self.output.write(
            _(
                "Type /start to begin; /help lists the commands. Here, a choice is typed as its letter, "
                "/reply N text answers the question shown as #N, /edit text changes your last message, "
                "/as NAME writes as someone else (/as alone: as yourself again), and Ctrl-D or Ctrl-C ends."
            )
            + "\n"
        )
        if self._interactive:
            self.output.write(_BRACKETED_PASTE_ON)
        self.output.flush()
        loop = asyncio.get_running_loop()
        messages: asyncio.Queue[bytes | None] = asyncio.Queue()
        # A daemon thread, not the loop's executor: a read blocked on the
        # terminal must not hold the process after Ctrl-C.
        threading.Thread(target=self._read_messages, args=(loop, messages), daemon=True, name="console-input").start()
        try:
            while True:
                if self._interactive:
                    self.output.write("> ")
                    self.output.flush()
                raw = await messages.get()
                if raw is None:
                    break
                await self.handle_line(inbox, raw)
                await inbox.drain()
            await inbox.drain()
        finally:
            if self._interactive:
                self.output.write(_BRACKETED_PASTE_OFF)
                self.output.flush()

    def _read_messages(self, loop: asyncio.AbstractEventLoop, messages: asyncio.Queue[bytes | None]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed first: the console is stopping
            for message in read_messages(_own_reader(self.input)):
                loop.call_soon_threadsafe(messages.put_nowait, message)
            loop.call_soon_threadsafe(messages.put_nowait, None)

    async def handle_line(self, inbox: Inbox, raw: bytes) -> None:
        try:
            text, undecodable = raw.decode("utf-8"), False
        except UnicodeDecodeError:
            text, undecodable = raw.decode("utf-8", errors="replace"), True
        text = text.rstrip("\r\n")
        choice = _letter(text)
        buttons = self._buttons.get(self.chat.chat_id, ())
        if choice and choice in _LETTERS[: len(buttons)]:
            await inbox.handle_button(ButtonPress(self.chat, self.person, buttons[_LETTERS.index(choice)].data))
            return
        command, _space, rest = text.strip().partition(" ")
        if command == "/as":
            self._switch_to(rest.strip())
            return
        if command == "/edit" and not rest.strip():
            self._notice(_("Send /edit and the new text of your last message, for example /edit Q1: …"))
            return
        if command == "/reply" and not _REPLY.fullmatch(text.strip()):
            self._notice(_("Send /reply, the number shown as «facilitator #N» and your answer, for example /reply 2 …"))
            return
        if command == "/edit":
            if self._speaker.last_message is None:
                self._notice(_("You have sent no message here yet, so there is nothing to edit."))
                return
            message_id, replied_to = self._speaker.last_message
            await inbox.handle_message(
                IncomingMessage(self.chat, self.person, message_id, rest.strip(), reply_to=replied_to, edited=True, undecodable=undecodable)
            )
            return
        reply_to = None
        if reply := _REPLY.fullmatch(text.strip()):
            number, answer = int(reply.group(1)), reply.group(2).strip()
            if not 1 <= number <= self._numbers_shown:
                self._notice(
                    _("There is no message #{number} here: /reply takes a number shown as «facilitator #N».").format(number=number)
                )
                return
            offered = self._numbered_buttons.get(number, ())
            if (letter := _letter(answer)) and letter in _LETTERS[: len(offered)]:
                await inbox.handle_button(ButtonPress(self.chat, self.person, offered[_LETTERS.index(letter)].data))
                return
            reply_to, text = f"out-{self._run}-q{number}", reply.group(2)
        message_id = next(self._message_ids)
        if not text.startswith("/"):
            self._speaker.last_message = (message_id, reply_to)
        await inbox.handle_message(
            IncomingMessage(
                chat=self.chat, sender=self.person, message_id=message_id, text=text, reply_to=reply_to, undecodable=undecodable
            )
        )

    def _notice(self, text: str) -> None:
        """The console's own answer: nothing was sent to the bot."""
        self.output.write(f"facilitator> {text}\n")
        self.output.flush()

    def _switch_to(self, name: str) -> None:
        """`/as Ana`: write as Ana, a participant of her own, in her own private chat; `/as` alone: as yourself again."""
        if not name:
            self._speaker = self._you
        else:
            key = re.sub(r"\W+", "-", name.casefold()).strip("-") or "someone"
            if key not in self._speakers:
                person = Person(PLATFORM, f"as-{key}", name, self.language_code)
                self._speakers[key] = _Speaker(person, ChatRef(PLATFORM, f"console-{key}", ChatKind.private, name))
            self._speaker = self._speakers[key]
        self.output.write(f"[{self.person.display_name}]\n")
        self.output.flush()


def _own_reader(stream: BinaryIO) -> BinaryIO:
    """A reader of `stream`'s file of this thread's own. Blocked in a read of
    sys.stdin's buffer, the thread would hold its lock when Ctrl-C ends the
    interpreter, which then aborts ("could not acquire lock for <stdin>")."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError):  # an in-memory stream (io.UnsupportedOperation is an OSError)
        return stream
    return open(descriptor, "rb", closefd=False)  # kept open for the whole run


def read_messages(stream: BinaryIO) -> Iterator[bytes]:
    """One message a line, except that the lines of a paste (between the
    terminal's bracketed-paste marks) are one message."""
    pasted: list[bytes] = []
    for line in iter(stream.readline, b""):
        if not pasted and PASTE_STARTS not in line:
            yield line
            continue
        pasted.append(line.replace(PASTE_STARTS, b""))
        if PASTE_ENDS in line:
            yield b"".join(pasted).replace(PASTE_ENDS, b"").strip(b"\r\n")
            pasted = []
    if pasted:
        yield b"".join(pasted).replace(PASTE_ENDS, b"").strip(b"\r\n")
