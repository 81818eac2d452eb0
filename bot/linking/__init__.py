"""Tying a message to the question(s) it answers: pure functions of the text
and the discussion's questions (markers, restated questions, shared words),
with language detection and the evaluation on labelled corpora."""

from bot.linking.linker import Linked, Linker, LinkQuestion, Segment

__all__ = ["LinkQuestion", "Linked", "Linker", "Segment"]
