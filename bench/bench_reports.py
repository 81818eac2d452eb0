"""Seconds and peak memory to build the consolidated report of a large
discussion, in HTML, DOCX and XLSX, at one or more sizes.

    python bench/bench_reports.py [--contributions 100000,300000] [--runs 3] [--key-points] [--keep DIR]

An SQLite file is filled with the example discussion, 5,000 participants and
the contributions (bulk inserts, 10,000 rows a statement batch), in three
languages, about 700 characters each, one message in ten answering two
questions. Each report is then built in a fresh child process, from opening
the database to the file written, as /report builds it: the figures counted,
the charts drawn, each question's contributions read from the database as it
is written (in a worker thread). With `--key-points`, every contribution also
has a stored vector (one of a few points per question, plus noise) and each
report carries its key points, grouped afresh as a report does before any
review.

Peak memory is the child's resource.getrusage(RUSAGE_SELF).ru_maxrss: the
whole process at its highest, interpreter and libraries included, C
allocations (lxml, matplotlib) included, which tracemalloc would miss; the
figure after the imports is printed beside it. Every format at every size
is built `--runs` times, interleaved (each run builds them all in turn), and
min / median / max are printed, with the ratio of time between sizes to the
ratio of contributions (1.0: linear); CPU seconds (every thread of the
process) are printed beside the seconds, since a machine busy with other
work stretches the seconds but hardly the CPU. Targets (issue 18): each format at most
600 MB at 300,000 contributions; HTML at most 6 s at 100,000.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select

from bot.discussion import store
from bot.discussion.spec import example_discussion_path, load_discussion
from bot.linking.meaning import MODEL_NAME
from bot.storage.database import create_engine, migrate, session_factory
from bot.storage.models import Contribution, ContributionEmbedding, ContributionStatus, Message, Participant, Question, Role, Round

NOW = dt.datetime(2013, 8, 5, 9, 0, tzinfo=dt.UTC)
PARTICIPANTS = 5_000
BATCH = 10_000
FORMATS = ("html", "docx", "xlsx")
TARGET_MB = 600  # at 300,000 contributions, every format
TARGET_HTML_SECONDS = 6  # at 100,000
POINTS = 6  # per question, that the stored vectors gather around
SENTENCES = {
    "fr": [
        "Les autorités locales devraient coordonner leurs services de coopération et d'immigration.",
        "Le plan communal de développement inclut la migration comme axe transversal.",
        "Les associations de la diaspora cofinancent des projets d'eau et d'assainissement dans leur région d'origine.",
        "Un guichet unique informe les migrants de retour sur les possibilités d'investissement local.",
    ],
    "en": [
        "City-to-city partnerships help local governments share what works with migrants.",
        "Our municipality set up a consultative council where diaspora associations sit with elected officials.",
        "National strategies rarely give local authorities the budget to act on migration.",
        "Remittances could be channelled into local development funds with matching grants.",
    ],
    "es": [
        "Los convenios de cooperación interinstitucional con las autoridades nacionales son imprescindibles.",
        "La migración fue considerada solo un factor económico positivo, sin ver sus costes sociales.",
        "Las mesas de concertación reúnen a la municipalidad, las asociaciones y el gobierno regional.",
        "Hace falta formar al personal municipal en la atención a las familias de migrantes.",
    ],
}
LANGUAGES = tuple(SENTENCES)


def text(rng: random.Random, language: str) -> str:
    """About 700 characters (between 150 and 1,400), in paragraphs."""
    sentences = rng.choices(SENTENCES[language], k=rng.randint(2, 15))
    return "\n\n".join(" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3))


async def fill(path: Path, contributions: int) -> None:
    database = create_engine(f"sqlite+aiosqlite:///{path}")
    await migrate(database)
    rng = random.Random(2013)
    async with session_factory(database)() as session:
        discussion = await store.store_discussion(session, load_discussion(example_discussion_path()), NOW)
        rows = await session.execute(
            select(Question.id, Round.id, Round.opens_at).join(Round, Question.round_id == Round.id).where(Question.position > 0)
        )
        questions = [tuple(row) for row in rows]
        await session.execute(
            insert(Participant),
            [
                {
                    "id": n,
                    "display_name": f"participant {n}",
                    "name": f"Participant {n}",
                    "organisation": f"Organisation {n % 700}",
                    "country": rng.choice(["Senegal", "Ecuador", "Morocco", "Bolivia", "Spain", "France", "Mali", "Philippines"]),
                    "role": Role.local_authority if n % 3 == 0 else Role.participant,
                    "language": LANGUAGES[n % 3],
                    "consent": (True, True, None, False)[n % 4],
                    "anonymous": n % 8 == 1,
                    "reminders": True,
                    "created_at": NOW,
                }
                for n in range(1, PARTICIPANTS + 1)
            ],
        )
        messages, parts = [], []
        message_id = 0
        while len(parts) < contributions:
            message_id += 1
            participant = rng.randint(1, PARTICIPANTS)
            language = LANGUAGES[participant % 3]
            question, round_id, opens_at = rng.choice(questions)
            received = opens_at + dt.timedelta(seconds=rng.randrange(6 * 24 * 3600))
            answers = 2 if message_id % 10 == 0 and len(parts) + 1 < contributions else 1
            bodies = [text(rng, language) for _answer in range(answers)]
            messages.append(
                {
                    "id": message_id,
                    "discussion_id": discussion.id,
                    "participant_id": participant,
                    "platform": ("telegram", "discord", "console")[message_id % 3],
                    "chat_id": f"chat-{participant}",
                    "message_id": str(message_id),
                    "text": "\n\n".join(bodies),
                    "language": language,
                    "round_id": round_id,
                    "received_at": received,
                    "edited_at": received + dt.timedelta(minutes=5) if message_id % 25 == 0 else None,
                }
            )
            for position, body in enumerate(bodies, start=1):
                parts.append(
                    {
                        "message_id": message_id,
                        "position": position,
                        "question_id": question if position == 1 else rng.choice(questions)[0],
                        "status": ContributionStatus.filed,
                        "text": body,
                        "method": "reference",
                        "candidates": [],
                        "late": message_id % 40 == 0,
                        "hidden": message_id % 500 == 0,
                        "created_at": received,
                        "updated_at": received,
                    }
                )
        for start in range(0, len(messages), BATCH):
            await session.execute(insert(Message), messages[start : start + BATCH])
        for start in range(0, len(parts), BATCH):
            await session.execute(insert(Contribution), parts[start : start + BATCH])
        await session.commit()
    await database.dispose()


async def add_vectors(path: Path) -> None:
    """A stored vector per contribution: one of its question's points, plus noise (512
    dimensions, unit length), as the running bot keeps them."""
    rng = np.random.default_rng(2013)
    database = create_engine(f"sqlite+aiosqlite:///{path}")
    async with session_factory(database)() as session:
        rows = (await session.execute(select(Contribution.id, Contribution.question_id))).all()
        points = {question: rng.normal(size=(POINTS, 512)) for question in {question for _id, question in rows}}
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            vectors = np.stack([points[question][rng.integers(POINTS)] for _id, question in batch]) + rng.normal(
                scale=0.8, size=(len(batch), 512)
            )
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            await session.execute(
                insert(ContributionEmbedding),
                [
                    {"contribution_id": cid, "model": MODEL_NAME, "vector": vector.astype("<f4").tobytes(), "created_at": NOW}
                    for (cid, _question), vector in zip(batch, vectors, strict=True)
                ],
            )
        await session.commit()
    await database.dispose()


AFTER_FILL: dict[str, Callable[[Path], Awaitable[None]]] = {"vectors": add_vectors}


def databases(sizes: list[int], directory: Path, name: str, after_fill: str | None = None) -> dict[int, Path]:
    """A database per size in `directory` (`{name}-{size}.db`), kept from an earlier run or
    filled, then given the step `after_fill` names in AFTER_FILL."""
    paths = {}
    for size in sizes:
        path = paths[size] = directory / f"{name}-{size}.db"
        if path.exists():
            print(f"{path} kept from an earlier run")
            continue
        start = time.perf_counter()
        # Filled in a child process: Linux keeps ru_maxrss across fork and exec, so a parent
        # that had grown would inflate the measured children's figures.
        subprocess.run([sys.executable, __file__, "--fill", str(size), "--db", str(path)], check=True)
        if after_fill is not None:
            subprocess.run([sys.executable, __file__, "--after-fill", after_fill, "--db", str(path)], check=True)
        print(f"filled {path} with {size:,} contributions in {time.perf_counter() - start:.1f} s", flush=True)
    return paths


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def measure(path: Path, format: str, output: Path, key_points: bool) -> dict:
    """In the child: one report, from opening the database to the file written."""
    from bot.reports.data import gather
    from bot.reports.export import write_report
    from bot.reports.synthesis.making import with_key_points

    def write() -> None:
        with output.open("wb") as out:
            write_report(report, format, "en", out)

    after_imports = maxrss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    database = create_engine(f"sqlite+aiosqlite:///{path}")
    async with session_factory(database)() as session:
        discussion = await store.find_discussion(session)
        report = await gather(session, discussion, NOW, streamed=True)
        if key_points:
            report = await with_key_points(session, discussion, report, "en")
        gathered = time.perf_counter()
        await asyncio.to_thread(write)  # each question's contributions read on the event loop as the thread reaches them
    done = time.perf_counter()
    await database.dispose()
    return {
        "format": format,
        "contributions": report.figures.contributions,
        "gather_seconds": gathered - start,
        "seconds": done - start,
        "cpu_seconds": time.process_time()
        - cpu,  # every thread of the process (aiosqlite's included): what a busy machine does not inflate
        "maxrss_mb": maxrss_mb(),
        "imports_mb": after_imports,
        "size_mb": output.stat().st_size / 2**20,
    }


def spread(values: list[float], digits: int = 1) -> str:
    return " / ".join(f"{value:.{digits}f}" for value in (min(values), statistics.median(values), max(values)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contributions", default="100000", help="sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--key-points", action="store_true", help="stored vectors, and every report with its key points")
    parser.add_argument("--keep", type=Path, help="keep the databases and reports in this directory")
    parser.add_argument("--fill", type=int, help=argparse.SUPPRESS)  # child processes: fill the database,
    parser.add_argument("--after-fill", choices=AFTER_FILL, help=argparse.SUPPRESS)  # add to it,
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # or build one report (FORMAT)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        asyncio.run(fill(args.db, args.fill))
        return
    if args.after_fill:
        asyncio.run(AFTER_FILL[args.after_fill](args.db))
        return
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.db, args.measure, args.output, args.key_points))))
        return

    sizes = [int(size) for size in args.contributions.split(",")]
    formats = args.formats.split(",")
    directory = args.keep or Path(tempfile.mkdtemp(prefix="bench-reports-"))
    directory.mkdir(parents=True, exist_ok=True)
    paths = databases(sizes, directory, "reports-vectors" if args.key_points else "reports", "vectors" if args.key_points else None)
    results: dict[tuple[int, str], list[dict]] = {(size, format): [] for size in sizes for format in formats}
    for _run in range(args.runs):
        for size, format in itertools.product(sizes, formats):  # interleaved: every size and format in every run
            output = directory / f"report-{size}.{format}"
            child = subprocess.run(
                [sys.executable, __file__, "--measure", format, "--db", str(paths[size]), "--output", str(output)]
                + ["--key-points"] * args.key_points,
                check=True,
                capture_output=True,
                text=True,
            )
            results[size, format].append(json.loads(child.stdout.strip().splitlines()[-1]))
    print(f"{args.runs} interleaved runs; min / median / max")
    for (size, format), runs in results.items():
        seconds = [run["seconds"] for run in runs]
        peak = [run["maxrss_mb"] for run in runs]
        line = (
            f"{size:>8,} {format:>4}: {spread(seconds, 2)} s ({'with its key points ' if args.key_points else ''}before writing {spread([run['gather_seconds'] for run in runs], 2)} s), "
            f"CPU {spread([run['cpu_seconds'] for run in runs], 2)} s, "
            f"peak {spread(peak, 0)} MB (ru_maxrss; {runs[0]['imports_mb']:.0f} MB after imports), "
            f"file {runs[0]['size_mb']:.1f} MB, {runs[0]['contributions']:,} contributions published"
        )
        if size >= 300_000:
            line += f"; {max(peak) / TARGET_MB:.2f}× the {TARGET_MB} MB target at its highest"
        if format == "html" and size == 100_000:
            line += f"; {statistics.median(seconds) / TARGET_HTML_SECONDS:.2f}× the {TARGET_HTML_SECONDS} s target (median)"
        print(line, flush=True)
    for small, large in itertools.pairwise(sizes):
        for format in formats:
            pairs = list(zip(results[small, format], results[large, format], strict=True))
            ratios = [b["seconds"] / a["seconds"] for a, b in pairs]
            cpu_ratios = [b["cpu_seconds"] / a["cpu_seconds"] for a, b in pairs]
            print(
                f"{format:>4}, {large / small:.1f}× the contributions ({small:,} → {large:,}): "
                f"{spread(ratios, 2)}× the time, {spread(cpu_ratios, 2)}× the CPU"
            )


if __name__ == "__main__":
    main()
