"""How many messages per second `facilitator link --jsonl` ties, on one core, start-up excluded.

Repeats the labelled corpora (tests/linking/corpora/*.jsonl) to a few thousand messages,
loads the discussion and the linker once, then times only the JSON-lines path.
Run: python bench/bench_linking.py [MESSAGES]
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
from facilitator.link_command import build_linker, link_lines  # noqa: E402

TARGET_PER_SECOND = 2000


def corpus_lines() -> list[bytes]:
    lines = []
    for corpus in sorted((ROOT / "tests" / "linking" / "corpora").glob("*.jsonl")):
        for line in corpus.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            request = {"text": case["text"], "round": case["round"]}
            request.update({k: case[k] for k in ("reply_to", "in_thread", "participant_language") if k in case})
            lines.append(json.dumps(request, ensure_ascii=False).encode())
    return lines


def main(messages: int = 5000) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    spec = load_discussion(example_discussion_path())
    linker = build_linker(spec)
    sample = corpus_lines()
    lines = (sample * (messages // len(sample) + 1))[:messages]
    average_bytes = sum(map(len, lines)) / len(lines)
    started = time.perf_counter()
    answered = sum(1 for _ in link_lines(linker, spec, lines, default_round=None))
    elapsed = time.perf_counter() - started
    rate = answered / elapsed
    print(f"{answered} messages (average {average_bytes:.0f} bytes) in {elapsed:.2f} s on one core")
    print(f"{rate:.0f} messages per second, {rate / TARGET_PER_SECOND:.2f} × the target of {TARGET_PER_SECOND}/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
