"""How long the event loop is held while a long message is linked (issues 12 and 15).

A ticker on the loop sleeps 1 ms again and again; how late it wakes is the loop's stall.
For messages of 16,000 and 2,000 characters, of several shapes, each run times, interleaved:
  - idle: nothing linked for as long, the machine's own stalls (other processes, the kernel);
  - on the loop: `Linker.link` called there, as a short message is;
  - plain thread: `asyncio.to_thread(linker.link)`, the interpreter's switch interval left at 5 ms;
  - worker: as the bot links a long message (`bot/linking/worker.py`: the interval at 1 ms
    meanwhile, and what the linker learns from read by the model there).
Then, "after it": a short answer without marker linked on the loop right after a long answer
filed by its marker was linked by the plain thread or the worker; the model reads the long
one's first 4,000 characters when the short one is linked by meaning, unless the worker did.
Each cell: the worst and the median stall, and the time to link, min / median / max over the runs;
also the resident memory the linking added. Texts are new each run: the model's cache never answers.
Run: python bench/bench_loop_stall.py [RUNS]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.discussion.spec import example_discussion_path, load_discussion  # noqa: E402
from bot.linking import Linker, worker  # noqa: E402
from bot.linking.meaning import shared_embedder  # noqa: E402
from facilitator.link_command import build_linker  # noqa: E402

TICK = 0.001
TARGET_STALL_MS = 5
IDLE_SECONDS = 0.05

# Each made of about `n` characters, `run` first so that the model reads a new text every time.
SHAPES: dict[str, Callable[[int, str], str]] = {
    "marker, then the answer": lambda n, run: (
        f"Q1.1: ({run}) " + "Twinning with Dakar brought our councils together, and the diaspora radio helped. " * (n // 80)
    ),
    "an answer without marker": lambda n, run: (
        f"({run}) " + "La coordinación con el ministerio es difícil para los municipios pequeños. " * (n // 75)
    ),
    '"Q1, Q2, Q3…"': lambda n, run: f"({run}) " + ", ".join(f"Q{i % 9 + 1}" for i in range(n // 4)),
    "answers after markers": lambda n, run: " ".join(f"Q1.{i % 4 + 1}: las mesas {run} {i} con la diáspora." for i in range(n // 40)),
}
LENGTHS = (16_000, 2_000)
SHORT = "Our town hall funds the radio programmes that the diaspora associations run every week ({run})."

Mode = Callable[[Linker, str], Awaitable[object]]


async def on_the_loop(linker: Linker, text: str) -> None:
    linker.link(text, open_round=1)


async def plain_thread(linker: Linker, text: str) -> None:
    await asyncio.to_thread(linker.link, text, open_round=1)


async def in_the_worker(linker: Linker, text: str) -> None:
    await asyncio.to_thread(worker.link_long, linker, partial(linker.link, text, open_round=1))


async def idle(linker: Linker, text: str) -> None:
    await asyncio.sleep(IDLE_SECONDS)


MODES: dict[str, Mode] = {"idle": idle, "on the loop": on_the_loop, "plain thread": plain_thread, "worker": in_the_worker}


async def stalls(work: Awaitable[object]) -> tuple[float, float, float]:
    """The worst and the median lateness of the ticker while `work` runs, and how long it took, in ms."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            started = time.perf_counter()
            await asyncio.sleep(TICK)
            gaps.append(time.perf_counter() - started - TICK)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)  # the ticker under way
    gaps.clear()
    started = time.perf_counter()
    await work
    took = time.perf_counter() - started
    await asyncio.sleep(2 * TICK)  # the tick the work held up
    done.set()
    await ticking
    return max(gaps) * 1000, statistics.median(gaps) * 1000, took * 1000


def spread(values: list[float]) -> str:
    return f"{min(values):6.1f} /{statistics.median(values):6.1f} /{max(values):6.1f}"


def resident_megabytes() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main(runs: int = 5, modes: dict[str, Mode] = MODES) -> None:
    spec = load_discussion(example_discussion_path())
    embedder = shared_embedder()
    assert embedder is not None, "the model did not load"
    linker = build_linker(spec, embedder)
    linker.link("warm up: Q1.1 our council", open_round=1)
    before = resident_megabytes()
    print(f"loop stall, worst and median, and the time to link, in ms, min / median / max of {runs} interleaved runs")
    for length in LENGTHS:
        for shape, make in SHAPES.items():
            figures: dict[str, list[tuple[float, float, float]]] = {mode: [] for mode in modes}
            for run in range(runs):
                for mode, link in modes.items():
                    text = make(length, f"{mode} {run}")[:length]
                    figures[mode].append(await stalls(link(linker, text)))
            for mode, measured in figures.items():
                worst, median, took = zip(*measured, strict=True)
                print(
                    f"{length:6,} {shape:26} {mode:12} worst {spread(list(worst))}  median {spread(list(median))}  link {spread(list(took))}"
                )
    # The short answer after a long one: its own linking holds the loop, the model reading what the long one filed.
    after: dict[str, list[tuple[float, float, float]]] = {mode: [] for mode in ("plain thread", "worker")}
    for run in range(runs):
        for mode in after:
            fresh = build_linker(spec, embedder)  # the long answer's exemplar is the first one waiting
            await modes[mode](fresh, SHAPES["marker, then the answer"](16_000, f"after {mode} {run}")[:16_000])
            after[mode].append(await stalls(on_the_loop(fresh, SHORT.format(run=f"{mode} {run}"))))
    for mode, measured in after.items():
        worst, median, took = zip(*measured, strict=True)
        print(f"a short answer after 16,000 characters by the {mode:12} worst {spread(list(worst))}  link {spread(list(took))}")
    print(f"resident memory added by the linking: {resident_megabytes() - before:.0f} MB (target: stall at most {TARGET_STALL_MS} ms)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
