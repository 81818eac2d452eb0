"""`facilitator link`: which question(s) a message answers, from a shell.

    facilitator link --round 1 < message.txt          one message in, one JSON object out
    facilitator link --jsonl < messages.jsonl          {"text": …, "round": 2, "reply_to": "2.1"} per line
    facilitator link --eval tests/linking/corpora/seed.jsonl   right / unsure / wrong per method and kind
    facilitator link --no-model …                      markers and shared words only, without the model

Each answer is `{"language": "es", "segments": [{"question": "1.2", "text": "…",
"method": "reference", "confidence": 0.97}]}`: "question" is null when the linker is
unsure (then "candidates" lists the likeliest questions first), and "segments" is
empty when the message is not a contribution (a greeting, thanks, an introduction);
"asks" is "deadline" or "organisers" for a question to the organisers; "announces" names the
question a message names alone, its answer to come next; "declined" lists the questions it
says it has nothing to add on ("Q3: no comment"). The answers' meaning
comes from a sentence-embedding model loaded once (`bot.linking.meaning`); `--jsonl`
embeds the lines in batches.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

from bot.discussion.spec import DiscussionFileError, DiscussionSpec, example_discussion_path, load_discussion
from bot.linking import Linked, Linker, LinkQuestion
from bot.linking.evaluation import TARGET_OFFERED_FIRST, TARGET_RIGHT, TARGET_WRONG, evaluate
from bot.linking.meaning import Embedder, shared_embedder

EXIT_BELOW_TARGET = 1
EXIT_PROBLEM = 2
BATCH_LINES = 256  # lines linked together, their texts embedded in one call to the model


class LinkInputError(ValueError):
    """A message the linker cannot be asked about: the text of the error says why."""


def register(subparsers) -> None:
    link = subparsers.add_parser(
        "link",
        help="tell which question(s) a message answers",
        description="Reads one message on standard input and prints which question(s) it answers, as JSON.",
    )
    link.add_argument("--discussion", type=Path, default=None, help="discussion file (default: the 2013 example)")
    link.add_argument("--round", type=int, default=None, help="the round open when the message was posted")
    mode = link.add_mutually_exclusive_group()
    mode.add_argument(
        "--jsonl",
        action="store_true",
        help='read JSON lines {"text": …, "round": N, "reply_to": KEY} and write one answer per line',
    )
    mode.add_argument("--eval", type=Path, metavar="FILE", help="measure the linker on a labelled corpus")
    link.add_argument("--no-model", action="store_true", help="link by markers and shared words only, without the meaning model")
    link.set_defaults(handler=run)


def build_linker(spec: DiscussionSpec, embedder: Embedder | None = None) -> Linker:
    questions = [LinkQuestion(q.key, q.round_number, q.position, q.texts) for q in spec.questions]
    return Linker(questions, spec.languages, embedder)


def run(args: argparse.Namespace) -> int:
    try:
        spec = load_discussion(args.discussion or example_discussion_path())
    except DiscussionFileError as error:
        return _fail(str(error))
    linker = build_linker(spec, None if getattr(args, "no_model", False) else shared_embedder())
    if args.eval:
        return _evaluate(linker, spec, args.eval, verbose=getattr(args, "verbose", False))
    if args.jsonl:
        for line in link_lines(linker, spec, sys.stdin.buffer, default_round=args.round):
            sys.stdout.write(line + "\n")
        return 0
    try:
        text = sys.stdin.buffer.read().decode("utf-8")
        open_round = _round(spec, args.round)
    except UnicodeDecodeError:
        return _fail("standard input is not UTF-8 text")
    except LinkInputError as error:
        return _fail(str(error))
    print(json.dumps(as_json(linker.link(text, open_round=open_round)), ensure_ascii=False))
    return 0


def link_lines(linker: Linker, spec: DiscussionSpec, lines: Iterable[bytes], default_round: int | None) -> Iterator[str]:
    """One JSON answer per input line, in order; a bad line gets {"error": …} and the rest go on.
    Lines are read and linked in batches, so that the model embeds many texts at once."""
    numbered = enumerate(lines, start=1)
    while batch := list(islice(numbered, BATCH_LINES)):
        answers: list[dict | None] = []
        requests = []
        for number, raw in batch:
            if not raw.strip():
                continue
            try:
                request = _request(raw, spec, default_round)
            except LinkInputError as error:
                answers.append({"error": f"line {number}: {error}"})
                continue
            answers.append(None)
            requests.append(
                {
                    "text": request["text"],
                    "open_round": request["round"],
                    "reply_to": request.get("reply_to"),
                    "in_thread": bool(request.get("in_thread", False)),
                    "participant_language": request.get("participant_language"),
                }
            )
        linked = iter(linker.link_many(requests))
        for answer in answers:
            yield json.dumps(answer if answer is not None else as_json(next(linked)), ensure_ascii=False)


def as_json(linked: Linked) -> dict:
    segments = []
    for segment in linked.segments:
        item: dict[str, object] = {
            "question": segment.question,
            "text": segment.text,
            "method": segment.method,
            "confidence": segment.confidence,
        }
        if segment.question is None:
            item["candidates"] = list(segment.candidates)
        segments.append(item)
    answer: dict[str, object] = {"language": linked.language, "segments": segments}
    if linked.asks:
        answer["asks"] = linked.asks
    if linked.announces:
        answer["announces"] = linked.announces
    if linked.declined:
        answer["declined"] = list(linked.declined)
    return answer


def _request(raw: bytes, spec: DiscussionSpec, default_round: int | None) -> dict:
    try:
        request = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise LinkInputError("not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise LinkInputError(f"not valid JSON ({error.msg})") from None
    if not isinstance(request, dict):
        raise LinkInputError('expected an object such as {"text": "…", "round": 1}')
    if not isinstance(request.get("text"), str):
        raise LinkInputError('"text" is missing or not a string')
    request["round"] = _round(spec, request.get("round", default_round))
    reply_to = request.get("reply_to")
    if reply_to is not None and reply_to not in {q.key for q in spec.questions}:
        raise LinkInputError(f'"reply_to": {reply_to!r} is not a question of the discussion')
    return request


def _case(raw: bytes, spec: DiscussionSpec) -> dict:
    """A labelled message of a corpus (`bot.linking.evaluation`): a request with what it should give."""
    case = _request(raw, spec, default_round=None)
    expected = case.get("expected")
    if not isinstance(expected, list):
        raise LinkInputError('"expected" is missing: a list of segments, such as [{"question": "1.1", "text_starts": "…"}], or []')
    keys = {q.key for q in spec.questions}
    for segment in expected:
        if not isinstance(segment, dict) or not isinstance(segment.get("text_starts"), str):
            raise LinkInputError('each expected segment is an object with "question" and "text_starts"')
        if segment.get("question") is not None and segment["question"] not in keys:
            raise LinkInputError(f'"question": {segment["question"]!r} is not a question of the discussion')
    return case


def _round(spec: DiscussionSpec, number) -> int:
    numbers = [r.number for r in spec.rounds]
    if number is None:
        raise LinkInputError(f'which round was open? give --round or "round" ({numbers[0]} to {numbers[-1]})')
    if isinstance(number, bool) or not isinstance(number, int) or number not in numbers:
        raise LinkInputError(f"round {number!r} is not a round of the discussion ({numbers[0]} to {numbers[-1]})")
    return number


def _evaluate(linker: Linker, spec: DiscussionSpec, path: Path, verbose: bool) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        return _fail(f"{path}: cannot read the corpus: {error}")
    cases, problems = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            cases.append(_case(line.encode("utf-8"), spec))
        except LinkInputError as error:
            problems.append(f"{path}:{number}: {error}")
    if problems:  # every faulty line at once, by its line in the file
        return _fail("the corpus has faults:\n" + "\n".join(problems))
    evaluation = evaluate(linker, cases)
    print(evaluation.report())
    if verbose:
        print("\n".join(evaluation.failures), file=sys.stderr)
    if not evaluation.within_targets():
        print(
            f"below target: at least {TARGET_RIGHT:.0%} right, at most {TARGET_WRONG:.0%} wrong,"
            f" the right question offered first in {TARGET_OFFERED_FIRST:.0%} of the asks",
            file=sys.stderr,
        )
        return EXIT_BELOW_TARGET
    return 0


def _fail(message: str) -> int:
    print(f"facilitator link: {message}", file=sys.stderr)
    return EXIT_PROBLEM
