"""The synthesis: how close its themes come to a careful reader's, and what it costs.

    python bench/bench_synthesis.py [--contributions 10000,100000] [--runs 3] [--keep DIR]

Quality: the labelled corpus (tests/data/synthesis_themes.jsonl) grouped by meaning, its
adjusted Rand index against the labels beside a baseline grouping words (TF-IDF) in each
language on its own, and the share of same-point pairs in two languages that share a theme.

Cost, with the embeddings already stored, as the running bot keeps them: the report bench's
database (the example discussion's 15 questions, 5,000 participants, three languages), each
contribution given a vector near one of a few points per question (512 dimensions, unit
length; `bench_reports.add_vectors`). Each measure runs in a fresh child process, from opening the database to the
result: `synthesis` groups every question afresh; `html` writes the HTML report with its key
points, from the synthesis kept by the previous step, as an export does. Sizes and steps are
interleaved in every run; min / median / max are printed, with the peak resident memory
(ru_maxrss). Targets: a synthesis of 100,000 contributions in at most 60 s and 1.5 GB; the
HTML report with key points under 10 s and 500 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench import bench_reports
from bot.discussion import store
from bot.storage.database import create_engine, session_factory

TARGETS = {"synthesis": (60.0, 1536.0), "html": (10.0, 500.0)}  # seconds, MB
STEPS = tuple(TARGETS)


async def measure(path: Path, step: str, output: Path) -> dict:
    """In the child: one synthesis, or one HTML report with key points."""
    from bot.reports.data import gather
    from bot.reports.export import write_report
    from bot.reports.synthesis import store as kept
    from bot.reports.synthesis.making import for_report, make_synthesis

    after_imports = bench_reports.maxrss_mb()
    start = time.perf_counter()
    database = create_engine(f"sqlite+aiosqlite:///{path}")
    async with session_factory(database)() as session:
        discussion = await store.find_discussion(session)
        report = await gather(session, discussion, bench_reports.NOW, streamed=True)
        if step == "synthesis":
            synthesis = await make_synthesis(session, discussion, report, "en", None)
            await kept.keep(session, discussion, synthesis, bench_reports.NOW)
            await session.commit()
            themes = sum(len(question.themes) for question in synthesis.questions)
        else:
            synthesis = await for_report(session, discussion, report, "en")
            themes = sum(len(question.themes) for question in synthesis.questions)
            with_points = dataclasses.replace(report, synthesis=synthesis)

            def write() -> None:
                with output.open("wb") as out:
                    write_report(with_points, "html", "en", out)

            await asyncio.to_thread(write)  # as /report writes it: each question read on the event loop meanwhile
    await database.dispose()
    return {
        "seconds": time.perf_counter() - start,
        "maxrss_mb": bench_reports.maxrss_mb(),
        "imports_mb": after_imports,
        "contributions": report.figures.contributions,
        "themes": themes,
    }


def quality() -> None:
    from bot.reports.synthesis.evaluation import score_grouping
    from tests.reports.synthesis.corpus import LABELLED, embed, read

    rows = read(LABELLED)
    print(f"Quality, on {len(rows)} labelled contributions ({LABELLED.name}):")
    print(score_grouping(rows, embed([row["text"] for row in rows])).report(), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contributions", default="10000,100000", help="sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the databases in this directory")
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--measure", choices=STEPS, help=argparse.SUPPRESS)  # child processes
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.db, args.measure, args.output))))
        return
    if not args.no_quality:
        quality()
    sizes = [int(size) for size in args.contributions.split(",")]
    directory = args.keep or Path(tempfile.mkdtemp(prefix="bench-synthesis-"))
    directory.mkdir(parents=True, exist_ok=True)
    databases = bench_reports.databases(sizes, directory, "synthesis", "vectors")
    results: dict[tuple[int, str], list[dict]] = {(size, step): [] for size in sizes for step in STEPS}
    for _run in range(args.runs):
        for size, step in itertools.product(sizes, STEPS):  # the html step reads the synthesis the previous one kept
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--measure",
                    step,
                    "--db",
                    str(databases[size]),
                    "--output",
                    str(directory / f"report-{size}.html"),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            results[size, step].append(json.loads(child.stdout.strip().splitlines()[-1]))
    print(f"Cost, {args.runs} interleaved runs; min / median / max")
    for (size, step), runs in results.items():
        seconds, peak = [run["seconds"] for run in runs], [run["maxrss_mb"] for run in runs]
        target_seconds, target_mb = TARGETS[step]
        print(
            f"{size:>8,} {step:>9}: {bench_reports.spread(seconds, 2)} s, peak {bench_reports.spread(peak, 0)} MB "
            f"({runs[0]['imports_mb']:.0f} MB after imports), {runs[0]['themes']} themes; "
            f"target {target_seconds:.0f} s and {target_mb:.0f} MB: {max(seconds) / target_seconds:.2f}× and {max(peak) / target_mb:.2f}× at the highest"
        )
    for step in STEPS:
        if len(sizes) > 1:
            low, high = min(sizes), max(sizes)
            ratio = np.median([r["seconds"] for r in results[high, step]]) / np.median([r["seconds"] for r in results[low, step]])
            print(f"{step}: {high // low}× the contributions took {ratio:.1f}× the time")


if __name__ == "__main__":
    main()
