"""The console chat: the embedded default when no platform token is set.

The person at the keyboard is one participant in a private chat with the bot.
Buttons are shown numbered; typing the number presses one. It reads a pipe as
well as a terminal and stops cleanly at the end of input, so it can be
scripted: `printf '/start\\nQ1: …\\n' | facilitator run`.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from pathlib import Path
from typing import BinaryIO, TextIO

from bot.ports import Button, ButtonPress, ChatKind, ChatRef, Inbox, IncomingMessage, OutgoingMessage, Person, SentMessage

PLATFORM = "console"
USER_ID = "local"


class ConsoleChat:
    name = PLATFORM

    def __init__(self, input_stream: BinaryIO, output: TextIO, language_code: str | None = None):
        self.input = input_stream
        self.output = output
        self.chat = ChatRef(PLATFORM, "console", ChatKind.private, "console")
        self.person = Person(PLATFORM, USER_ID, os.environ.get("USER", "you"), language_code)
        self._buttons: tuple[Button, ...] = ()
        # Unique across runs, so a new session's messages are never taken for redeliveries.
        self._message_ids = (f"{time.time_ns()}-{n}" for n in itertools.count(1))
        self._sent_ids = itertools.count(1)
        self._interactive = hasattr(input_stream, "isatty") and input_stream.isatty()

    async def send(self, message: OutgoingMessage) -> SentMessage:
        lines = message.text.splitlines() or [""]
        self.output.write("facilitator> " + "\n             ".join(lines) + "\n")
        if message.attachment is not None:
            name, content = message.attachment
            path = Path.cwd() / Path(name).name  # never outside the working directory
            path.write_bytes(content)
            self.output.write(f"             [{path}]\n")
        # Buttons answer the message that carries them: once the bot has said
        # something else, a number typed is text again; a round's questions
        # posted meanwhile (a broadcast, not an answer) leave them in force.
        if message.buttons or message.new_thread_title is None:
            self._buttons = message.buttons
        if message.buttons:
            self.output.write("             " + "  ".join(f"[{i}] {b.label}" for i, b in enumerate(message.buttons, 1)) + "\n")
        self.output.flush()
        return SentMessage(message_id=f"out-{next(self._sent_ids)}")

    async def serve(self, inbox: Inbox) -> None:
        """Read lines until the end of input, handing each to the engine in turn."""
        loop = asyncio.get_running_loop()
        while True:
            if self._interactive:
                self.output.write("> ")
                self.output.flush()
            raw = await loop.run_in_executor(None, self.input.readline)
            if not raw:
                break
            await self.handle_line(inbox, raw)
            await inbox.drain()
        await inbox.drain()

    async def handle_line(self, inbox: Inbox, raw: bytes) -> None:
        try:
            text, undecodable = raw.decode("utf-8"), False
        except UnicodeDecodeError:
            text, undecodable = raw.decode("utf-8", errors="replace"), True
        text = text.rstrip("\r\n")
        choice = text.strip()
        if choice.isdigit() and 1 <= int(choice) <= len(self._buttons):
            await inbox.handle_button(ButtonPress(self.chat, self.person, self._buttons[int(choice) - 1].data))
            return
        await inbox.handle_message(
            IncomingMessage(chat=self.chat, sender=self.person, message_id=next(self._message_ids), text=text, undecodable=undecodable)
        )
