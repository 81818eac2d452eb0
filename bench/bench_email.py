"""The e-mail channel, measured against real local servers.

    python bench/bench_email.py [--participants 2000] [--rate 100] [--replies 500] [--database URL]

1. The round's mail: one mail to each participant carrying the round's 4
   questions, through the real adapter and aiosmtplib to an aiosmtpd relay in
   its own process (as the organisation's relay runs on its own machine). The
   figure is the time taken divided by the configured rate's minimum,
   mails / rate: target at most 1.05, with no mail lost or doubled and every
   question's delivery recorded.
2. Replies: that many participants' replies put in a Dovecot mailbox, then the
   time from the adapter starting to every one stored, acknowledged by mail and
   marked handled: replies per second.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.email import EmailChat, EmailConfig
from bench.bench_telegram_broadcast import NOW, QUESTIONS, drop_schema, four_question_discussion, open_database
from bot.discussion import store
from bot.storage.database import session_factory
from bot.storage.models import Contribution, Delivery
from facilitator.assembly import make_engine
from schedules import rounds
from tests.adapters.email.servers import Dovecot, MailboxClient, Relay, local_settings
from tests.helpers import add_subscriber

ADDRESS = "discussion@example.org"


def address(n: int) -> str:
    return f"participant{n}@municipio.example"


async def subscribe(engine, participants: int) -> None:
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        for n in range(participants):
            await add_subscriber(session, discussion, "email", address(n), NOW, display_name=f"P{n}", language=("fr", "en", "es")[n % 3])
        round_ = await store.round_by_number(session, discussion, 1)
        await rounds.open_round(session, discussion, round_, NOW)
        await session.commit()


def serve_relay_in_process(port_out, log_out, stop) -> None:
    async def main() -> None:
        relay = await Relay().start()
        port_out.send(relay.port)
        while not stop.poll():
            await asyncio.sleep(0.05)
        headers = BytesHeaderParser(policy=policy.default)
        log_out.send([(recipient, str(headers.parsebytes(raw)["Subject"])) for recipient, raw in relay.raw])
        await relay.stop()

    asyncio.run(main())


def config(relay_port: int, rate: float, dovecot: Dovecot, folder: str) -> EmailConfig:
    return local_settings(dovecot, folder, relay_port, address=ADDRESS, token_key="bench-key", rate=rate)


async def run(participants: int, rate: float, replies: int, database_url: str | None) -> int:
    dovecot = Dovecot().start()
    port_in, port_out = multiprocessing.Pipe(False)
    log_in, log_out = multiprocessing.Pipe(False)
    stop_in, stop_out = multiprocessing.Pipe(False)
    server = multiprocessing.Process(target=serve_relay_in_process, args=(port_out, log_out, stop_in))
    server.start()
    relay_port = port_in.recv()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            database, schema = await open_database(database_url or f"sqlite+aiosqlite:///{tmp}/bench.db")
            engine = make_engine(session_factory(database), clock=lambda: NOW)
            await engine.load(four_question_discussion())
            await subscribe(engine, participants)
            mailbox = MailboxClient(dovecot, "bench")
            await mailbox.create()

            adapter = EmailChat(config(relay_port, rate, dovecot, "bench"))
            engine.attach(adapter)
            serving = asyncio.create_task(adapter.serve(engine))
            await adapter.mailbox.connected.wait()
            started, cpu_started = time.perf_counter(), time.process_time()
            posted = 0
            while passed := await engine.post_pending():  # a posting pass may leave venues to the next one
                posted += passed
            broadcast, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)

            for n in range(replies):
                raw = (
                    f"From: P{n} <{address(n)}>\r\nTo: {adapter.addressing.reply_address(address(n), '1.1')}\r\n"
                    f"Subject: Re: 1.1\r\nMessage-ID: <reply-{n}@municipio.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                    f"Notre commune associe les migrants à la coopération décentralisée, expérience numéro {n}.\r\n\r\n"
                    f"Cordialement,\r\nP{n}\r\n\r\nLe lun. 8 juil. 2013, {ADDRESS} a écrit :\r\n> Question 1.1\r\n"
                ).encode()
                await mailbox.deliver(raw)
            fast = EmailChat(config(relay_port, 10_000, dovecot, "bench"))  # acknowledgements not held back by the round's pace
            engine.attach(fast)
            started = time.perf_counter()
            serving = asyncio.create_task(fast.serve(engine))
            while await mailbox.unhandled():
                await asyncio.sleep(0.05)
            receiving = time.perf_counter() - started
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
            async with engine.sessions() as session:
                stored = await session.scalar(select(func.count(Contribution.id)))
                delivered = await session.scalar(select(func.count(Delivery.id)))
            await database.dispose()
            if schema:
                await drop_schema(database_url, schema)
    finally:
        stop_out.send(True)
        sent = log_in.recv()
        server.join()
        dovecot.stop()

    round_mails = [(recipient, subject) for recipient, subject in sent if not subject.startswith("Re:")]
    copies = Counter(round_mails)
    expected = participants  # one mail each, the round's questions in it
    minimum = expected / rate
    acknowledgements = len(sent) - len(round_mails)
    print(
        f"participants {participants}, questions {QUESTIONS}, rate {rate:g} mails/s, database {'SQLite' if not database_url else 'PostgreSQL'}"
    )
    print(
        f"round's mail: {len(round_mails)} mails ({posted} questions posted), time {broadcast:.2f} s, minimum {minimum:.2f} s,"
        f" ratio {broadcast / minimum:.3f} (target <= 1.05)"
    )
    print(f"this process's CPU during the round's mail: {cpu:.2f} s ({1000 * cpu / max(1, len(round_mails)):.2f} ms a mail)")
    print(
        f"lost {expected - len(copies)}, doubled {sum(n - 1 for n in copies.values())},"
        f" deliveries recorded {delivered} of {participants * QUESTIONS}"
    )
    print(
        f"replies: {replies} in {receiving:.2f} s, {replies / receiving:.1f} replies/s stored and acknowledged ({stored} stored, {acknowledgements} acknowledgements)"
    )
    complete = len(copies) == expected and len(round_mails) == expected and delivered == participants * QUESTIONS
    return 0 if complete and stored == replies else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=2000)
    # 20 times the adapter's own default (FACILITATOR_EMAIL_RATE=5), so that the run is short; at 200/s this 2-core machine's CPU is the limit.
    parser.add_argument("--rate", type=float, default=100.0, help="mails per second the adapter is configured for")
    parser.add_argument("--replies", type=int, default=500)
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    return asyncio.run(run(args.participants, args.rate, args.replies, args.database))


if __name__ == "__main__":
    sys.exit(main())
