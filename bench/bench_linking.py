"""How many messages per second `facilitator link --jsonl` ties, on one core, start-up excluded.

Two kinds of message, from the labelled corpora (tests/linking/corpora/*.jsonl), repeated to
a few thousand each and timed interleaved, run after run:
  - settled by markers: every segment tied by a marker, a reply or a restated question (or
    not a contribution), so the model is never asked; timed with the model loaded and without;
  - needing the model: chat answers without marker (under CHAT_CHARS; the seed's e-mails of
    several thousand characters cost the model in proportion), each made unique so that no
    vector is reused.
Also prints the resident memory the model adds.
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
from bot.linking.meaning import shared_embedder  # noqa: E402
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
    started = time.perf_counter()
    answered = sum(1 for _ in link_lines(linker, spec, lines, default_round=None))
    assert answered == len(lines)
    return answered / (time.perf_counter() - started)


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


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
