"""A linker built again (a restart, the discussion's file loaded again) starts from the answers
the discussion already holds, filed by their markers, as if it had linked them (issue 12)."""

from __future__ import annotations

from bot.linking.linker import DIFFICULTY_PROTOTYPES, MEANING_MAX_CHARS, FiledAnswer, Linker
from facilitator.link_command import build_linker
from tests.linking.test_meaning import ROUND_3_MARKED, ROUND_3_TOPICS, SPEC, UNMARKED, Topics, marked_answers, tied


def _linked_before(topics: Topics) -> tuple[Linker, list[FiledAnswer]]:
    """A linker that filed the marked answers itself, and those answers as the database keeps them."""
    linker = build_linker(SPEC, topics)
    filed = []
    for text in marked_answers(*ROUND_3_MARKED):
        (segment,) = linker.link(text, open_round=3).segments
        filed.append(FiledAnswer(segment.question or "", segment.text))
    return linker, filed


def test_a_linker_built_with_the_answers_filed_links_as_the_one_that_filed_them():
    running, filed = _linked_before(Topics(ROUND_3_TOPICS))
    rebuilt = build_linker(SPEC, Topics(ROUND_3_TOPICS))
    rebuilt = Linker(rebuilt.questions, rebuilt.languages, rebuilt.embedder, filed)
    for text in (UNMARKED, "Q2: hearings in the town hall", "the school of the village, paid from abroad"):
        assert rebuilt.link(text, open_round=3) == running.link(text, open_round=3)
    assert tied(rebuilt, UNMARKED + " again", 3) == [("3.1", "meaning")]


def test_stored_vectors_are_not_computed_again_and_the_missing_ones_in_one_call_when_built():
    topics = Topics(ROUND_3_TOPICS)
    _, filed = _linked_before(Topics(ROUND_3_TOPICS))
    stored = [answer._replace(vector=topics.embed([answer.text])[0]) for answer in filed]
    stored[0] = stored[0]._replace(vector=None)  # stored just before the restart, not embedded yet
    stored[-1] = stored[-1]._replace(vector=None)
    topics.calls.clear()
    linker = Linker(build_linker(SPEC).questions, SPEC.languages, topics, stored)
    wordings = sum(len(q.texts) for q in linker.questions)
    prototypes = sum(len(group) for group in DIFFICULTY_PROTOTYPES)
    assert [len(call) for call in topics.calls] == [wordings + prototypes, 2]  # the questions' wordings, then the two missing answers
    assert topics.calls[1] == [filed[0].text, filed[-1].text]
    topics.calls.clear()
    assert tied(linker, UNMARKED, 3) == [("3.1", "meaning")]
    assert topics.calls == [[UNMARKED]]


def test_a_long_answers_stored_vector_of_its_whole_text_is_not_taken_for_the_linkers():
    topics = Topics(ROUND_3_TOPICS)
    long_answer = "Q1: " + "we talk to them on the radio. " * (MEANING_MAX_CHARS // 20)
    linker = build_linker(SPEC, topics)
    (segment,) = linker.link(long_answer, open_round=3).segments
    topics.calls.clear()
    whole = topics.embed([segment.text])[0]
    Linker(linker.questions, linker.languages, topics, [FiledAnswer("3.1", segment.text, whole)])
    assert topics.calls[-1] == [segment.text[:MEANING_MAX_CHARS]]
