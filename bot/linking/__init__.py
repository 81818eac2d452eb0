"""Tying a message to the question(s) it answers: from the text, the discussion's questions
and the answers filed so far (markers, restated questions, meaning, shared words), with language
detection and the evaluation on labelled corpora. The meaning comes from any `Embedder`
(`meaning.py`: the sentence-embedding model, loaded once per process)."""

from bot.linking.linker import Linked, Linker, LinkQuestion, Segment
from bot.linking.meaning import Embedder

__all__ = ["Embedder", "LinkQuestion", "Linked", "Linker", "Segment"]
