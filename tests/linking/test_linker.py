"""The linker on the forms of issue 3, one behaviour per test, on the 2013 example discussion."""

from __future__ import annotations

import sys

import pytest

from bot.discussion.spec import example_discussion_path, load_discussion
from bot.linking.linker import CONTENT_MAX_CONFIDENCE, CONTENT_MIN_CONFIDENCE, MARKERS_MAX_CHARS, MAX_SEGMENTS, Linker, LinkQuestion
from facilitator.link_command import build_linker


@pytest.fixture(scope="module")
def linker() -> Linker:
    return build_linker(load_discussion(example_discussion_path()))


def tied(linker: Linker, text: str, open_round: int, **context) -> list[tuple[str | None, str | None]]:
    return [(s.question, s.method) for s in linker.link(text, open_round=open_round, **context).segments]


@pytest.mark.parametrize(
    "text, open_round, expected",
    [
        ("Q1: twinning between cities", 1, "1.1"),
        ("1) les jumelages entre villes", 1, "1.1"),
        ("1. les jumelages entre villes", 1, "1.1"),
        ("- Q2: un comité national", 1, "1.2"),
        ("Pregunta 3: intercambios entre técnicos", 1, "1.3"),
        ("question 2: il faut un comité", 2, "2.2"),
        ("la deuxième question : il faut un comité", 1, "1.2"),
        ("tercera pregunta: compartir experiencias", 1, "1.3"),
        ("Q°1 : les radios communautaires", 3, "3.1"),
        ("#4 yes, Naga City", 1, "1.4"),
        ("3.2 oui, à Kayes", 4, "3.2"),
        ("5) nobody owns the topic", 1, "1.5"),
        ("Semaine 2, question 1 : cours de français", 3, "2.1"),
        ("semana 1 pregunta 2: mesas de coordinación", 2, "1.2"),
        ("last week's Q4: we have one", 2, "1.4"),
        ("Question II: un comité national", 1, "1.2"),
        ("Pregunta IV - un plan territorial", 1, "1.4"),
        ("2ª pregunta: una mesa técnica", 1, "1.2"),
        ("Respuesta a la pregunta n.º 3: una guía", 1, "1.3"),
        ("la dernière question : formaliser les accords", 4, "4.4"),
        ("Questão 2: conselhos de migrantes", 2, "2.2"),
        ("Domanda 1: il comune di Torino", 2, "2.1"),
        ("qestion 2: city council meetings", 2, "2.2"),
        # forms typed on a phone
        ("P2: falta de confianza", 2, "2.2"),
        ("2/ pas de budget", 2, "2.2"),
        ("Q.2 : un conseil des résidents étrangers", 2, "2.2"),
        ("pregunta dos: no conozco ninguno", 3, "3.2"),
        ("question two: a quarterly meeting", 1, "1.2"),
        ("deuxième point : les migrants ne votent pas", 2, "2.2"),
        ("la deuxiem question: un comite de pilotage", 1, "1.2"),
        ("Pour la 1 : les jumelages", 1, "1.1"),
        ("A la 2 : les chambres de commerce", 4, "4.2"),
        ("risposta alla seconda domanda: il comune di Torino", 2, "2.2"),
        ("pregunta 2 de la semana pasada: no tienen tiempo", 3, "2.2"),
        ("and for 2.3: info sessions in the neighbourhoods", 2, "2.3"),
    ],
)
def test_a_marker_or_reference_ties_the_answer_to_its_question(linker, text, open_round, expected):
    assert tied(linker, text, open_round) == [(expected, "reference")]


def test_a_reference_in_the_first_sentence_ties_the_whole_answer(linker):
    text = "Deux points que je soumets par rapport à la première question de la semaine.\n\nLe codéveloppement aide."
    linked = linker.link(text, open_round=1)
    assert [(s.question, s.method) for s in linked.segments] == [("1.1", "reference")]
    assert linked.segments[0].text.startswith("Deux points")


@pytest.mark.parametrize("text, open_round", [("Q5: the diaspora should sign too", 4), ("question 7 - no idea", 2)])
def test_a_reference_to_no_question_leaves_the_answer_unsure_with_the_round_offered(linker, text, open_round):
    (segment,) = linker.link(text, open_round=open_round).segments
    assert segment.question is None and segment.method is None
    assert sorted(segment.candidates) == [q.key for q in linker.round_questions(open_round)]


def test_several_answers_in_one_message_become_one_segment_each_with_their_text(linker):
    text = "Pregunta 1: redes de ciudades. Pregunta 3: convenios. Pregunta 5: la falta de datos"
    segments = linker.link(text, open_round=1).segments
    assert [(s.question, s.text) for s in segments] == [
        ("1.1", "redes de ciudades."),
        ("1.3", "convenios."),
        ("1.5", "la falta de datos"),
    ]


def test_the_round_a_header_names_is_the_round_of_the_numbers_under_it(linker):
    text = "Semana 2:\nPregunta 3: organizarse en asociaciones\nSemana 3:\nPregunta 1: con la radio local"
    assert tied(linker, text, 3) == [("2.3", "reference"), ("3.1", "reference")]


def test_a_numbered_list_inside_an_answer_is_not_taken_for_question_numbers(linker):
    text = "Q5: three challenges:\n1. no budget\n2. no data\n3. no mandate"
    segments = linker.link(text, open_round=1).segments
    assert [s.question for s in segments] == ["1.5"]
    assert "3. no mandate" in segments[0].text


@pytest.mark.parametrize(
    "text, open_round, expected",
    [
        ("Q: What can migrants do to raise awareness about their needs?\nOrganise in associations.", 2, "2.3"),
        ("¿Qué pueden hacer los migrantes para que se conozcan sus necesidades?\nOrganizarse en redes.", 2, "2.3"),
        # restated in English, answered in Spanish, posted a round later
        ("What institutions are at the forefront to make migrants' initiatives sustainable?\nLas cooperativas.", 4, "4.3"),
        ("Q: mechanisms of coordination aligned with national strategies?\nA joint committee.", 2, "1.2"),
    ],
)
def test_a_restated_question_ties_the_answer_in_any_language(linker, text, open_round, expected):
    (segment,) = linker.link(text, open_round=open_round).segments
    assert (segment.question, segment.method) == (expected, "restated")
    assert "?" not in segment.text  # the answer, not the question


def test_content_ties_an_answer_without_marker_only_when_one_question_is_clearly_ahead(linker):
    clear = "el mayor desafío es que los migrantes participen en la gobernanza local, casi nunca votan"
    assert tied(linker, clear, 2) == [("2.2", "content")]
    vague = linker.link("It depends on the country really.", open_round=4).segments
    assert [s.question for s in vague] == [None]
    assert sorted(vague[0].candidates) == ["4.1", "4.2", "4.3", "4.4"]


def test_unsure_candidates_put_the_closest_question_first(linker):
    (segment,) = linker.link("Q9: the diaspora radio reaches migrants in their country of origin", open_round=3).segments
    assert segment.question is None and segment.candidates[0] == "3.1"


@pytest.mark.parametrize(
    "text",
    [
        "Hola a todos!",
        "ok",
        "Merci beaucoup !",
        "Thanks everyone, great discussion 👍",
        "👍",
        "Hi all, I'm Marco from the City of Milan.",
        "Bonjour, je suis Aminata, chargée de mission à la mairie de Dakar.",
        "Buenas tardes a todos, les saluda Carlos Méndez del Municipio de Loja.",
        "Hello! Just joined. Looking forward to the discussion.",
        "Merci pour ces questions très pertinentes. Je répondrai ce week-end.",
        "Un cordial saludo a todos los participantes desde Quito.",
        "Nothing to add for now.",
        "No tengo experiencia en este tema.",
        "Boa tarde, sou o João, da Câmara Municipal do Porto.",
        "Ottima domanda!",
        "Muito interessante esta discussão.",
        "Um abraço a todos",
        "Buenos días desde Quito, un gusto participar.",
        "Me uno a la conversación, saludos desde Bogotá.",
    ],
)
def test_greetings_thanks_and_bare_introductions_are_not_contributions(linker, text):
    assert linker.link(text, open_round=1).segments == ()


@pytest.mark.parametrize(
    "text",
    ["Мы используем радиопрограммы для диаспоры", "نستخدم البرامج الإذاعية للمغتربين", "我们通过广播节目联系海外侨民"],
)
def test_an_answer_in_a_script_the_discussion_does_not_use_is_kept_and_asked_about(linker, text):
    (segment,) = linker.link(text, open_round=1).segments
    assert (segment.question, segment.text) == (None, text)
    assert tied(linker, f"Q2: {text}", 1) == [("1.2", "reference")]


def test_a_short_answer_starting_with_yes_is_a_contribution(linker):
    assert tied(linker, "yes, in Batangas they did exactly that", 3, reply_to="3.2") == [("3.2", "reply")]


def test_a_greeting_and_introduction_before_the_answers_are_left_out(linker):
    text = "Hello everyone! I'm Ana, I work at the municipality of Quito.\n\nQ1: we partner with Madrid\nQ2: not really"
    segments = linker.link(text, open_round=1).segments
    assert [(s.question, s.text) for s in segments] == [("1.1", "we partner with Madrid"), ("1.2", "not really")]


def test_the_signature_is_not_part_of_the_answer(linker):
    (segment,) = linker.link("Pregunta 2: los migrantes no tienen tiempo\n\nSaludos, Lucía", open_round=2).segments
    assert segment.text == "los migrantes no tienen tiempo"


def test_a_reply_or_thread_ties_an_unmarked_answer_but_a_marker_wins(linker):
    assert tied(linker, "we did exactly that", 3, reply_to="3.2") == [("3.2", "reply")]
    assert tied(linker, "we did exactly that", 3, reply_to="3.2", in_thread=True) == [("3.2", "thread")]
    assert tied(linker, "Q3: also a website for the diaspora", 3, reply_to="3.1") == [("3.3", "reference")]
    assert tied(linker, "merci !", 2, reply_to="2.1") == []


@pytest.mark.parametrize(
    "text, participant_language, expected",
    [
        ("La coordinación entre autoridades locales es fundamental para el desarrollo", None, "es"),
        ("Les autorités locales doivent associer les migrants aux décisions", None, "fr"),
        ("Local authorities should involve migrants in their decisions", None, "en"),
        ("Pregunta 1: sí", None, "es"),
        ("hola", None, "es"),
        ("merci !", None, "fr"),
        ("ok", "es", "es"),
        ("Q2: 100%", "fr", "fr"),
    ],
)
def test_language_is_detected_with_the_participants_language_for_very_short_texts(linker, text, participant_language, expected):
    assert linker.link(text, open_round=1, participant_language=participant_language).language == expected


def test_the_language_of_the_answer_wins_over_a_question_quoted_in_another(linker):
    text = "Q: What can migrants do to raise awareness about their needs?\nOrganizarse en asociaciones y redes de apoyo."
    assert linker.link(text, open_round=2).language == "es"


def test_any_discussion_any_languages():
    questions = [
        LinkQuestion(
            "a",
            1,
            1,
            {"pt": "Como envolver a diáspora no planeamento local?", "it": "Come coinvolgere la diaspora nella pianificazione locale?"},
        ),
        LinkQuestion("b", 1, 2, {"pt": "Quais são os desafios das remessas?", "it": "Quali sono le sfide delle rimesse?"}),
    ]
    linker = Linker(questions, ["pt", "it"])
    assert tied(linker, "Pergunta 2: o custo das transferências", 1) == [("b", "reference")]
    linked = linker.link("Quali sono le sfide delle rimesse?\nIl costo dei trasferimenti bancari.", open_round=1)
    assert [(s.question, s.method) for s in linked.segments] == [("b", "restated")]
    assert linked.language == "it"


@pytest.mark.parametrize(
    "text, open_round, expected",
    [
        ("Q1 y Q2: una mesa de coordinación", 1, ["1.1", "1.2"]),
        ("1 & 2 - una mesa de coordinación", 1, ["1.1", "1.2"]),
        ("questions 2 et 3 : una mesa de coordinación", 1, ["1.2", "1.3"]),
        ("#1 and #3: una mesa de coordinación", 3, ["3.1", "3.3"]),
        ("Q1-Q3: una mesa de coordinación", 1, ["1.1", "1.2", "1.3"]),
        ("Q1, Q2 y Q3: una mesa de coordinación", 1, ["1.1", "1.2", "1.3"]),
        ("para la pregunta 3 y la 4: una mesa de coordinación", 1, ["1.3", "1.4"]),
        ("Réponse aux questions 1 et 2 de cette semaine : una mesa de coordinación", 4, ["4.1", "4.2"]),
    ],
)
def test_a_joint_answer_is_filed_with_its_whole_text_under_each_question_named(linker, text, open_round, expected):
    segments = linker.link(text, open_round=open_round).segments
    assert [(s.question, s.method, s.text) for s in segments] == [(key, "reference", "una mesa de coordinación") for key in expected]


def test_a_number_after_a_marker_is_part_of_the_answer_unless_named_as_a_question(linker):
    assert [(s.question, s.text) for s in linker.link("Q2, 3 partners signed", open_round=2).segments] == [("2.2", "3 partners signed")]


@pytest.mark.parametrize(
    "text, open_round, offered_first",
    [
        ("Q1 or Q2: twinning helps", 1, ["1.1", "1.2"]),  # the participant did not choose
        ("Q3 y Q4: el consejo de planificación", 3, ["3.3"]),  # round 3 has no fourth question
    ],
)
def test_a_joint_answer_that_is_not_sure_of_its_questions_is_asked_about(linker, text, open_round, offered_first):
    (segment,) = linker.link(text, open_round=open_round).segments
    assert segment.question is None
    assert list(segment.candidates[: len(offered_first)]) == offered_first


@pytest.mark.parametrize(
    "text, open_round, expected",
    [
        ("(1) hermanamientos (2) una comisión mixta", 1, [("1.1", "hermanamientos"), ("1.2", "una comisión mixta")]),
        ("1️⃣ twinning 2️⃣ a steering committee", 1, [("1.1", "twinning"), ("1.2", "a steering committee")]),
        ("Q1 hermanamientos, Q2 mesa, Q4 el PDOT", 1, [("1.1", "hermanamientos"), ("1.2", "mesa"), ("1.4", "el PDOT")]),
        ("Réponse à la Q1 : les jumelages ; à la Q2 : le comité mixte.", 1, [("1.1", "les jumelages"), ("1.2", "le comité mixte.")]),
        (
            "1) oui, via les jumelages 2) non, aucun mécanisme formel 3) les forums régionaux",
            1,
            [("1.1", "oui, via les jumelages"), ("1.2", "non, aucun mécanisme formel"), ("1.3", "les forums régionaux")],
        ),
        # A number out of sequence, or a list inside an answer, is the answer's own.
        ("1) oui, nous avons 3) partenaires en Italie", 1, [("1.1", "oui, nous avons 3) partenaires en Italie")]),
        ("Q1: we did three things: 1) radio 2) TV 3) posters", 1, [("1.1", "we did three things: 1) radio 2) TV 3) posters")]),
        ("Hola! Respondo a las tres primeras: 1. sí 2. no 3. a veces", 1, [("1.1", "sí"), ("1.2", "no"), ("1.3", "a veces")]),
        ("Our priorities: 1. jobs 2. housing 3. language classes", 2, [(None, "Our priorities: 1. jobs 2. housing 3. language classes")]),
        # A greeting or a heading that ends its sentence opens the list as a colon does; an answer's own sentence does not.
        (
            "Hello all, here are my answers. 1) twinning with Lyon 2) a regional committee 3) a newsletter",
            1,
            [("1.1", "twinning with Lyon"), ("1.2", "a regional committee"), ("1.3", "a newsletter")],
        ),
        ("Bonjour à tous ! 1) les jumelages 2) un comité régional", 1, [("1.1", "les jumelages"), ("1.2", "un comité régional")]),
        ("Hola a todos. 1. hermanamientos 2. una mesa técnica", 1, [("1.1", "hermanamientos"), ("1.2", "una mesa técnica")]),
        ("Hello! We did three things. 1) radio 2) TV 3) posters", 1, [(None, "We did three things. 1) radio 2) TV 3) posters")]),
        # Past 1 and 2, the questions left unanswered are skipped.
        (
            "1. twinning with Lyon 2. a regional committee 5. a newsletter",
            1,
            [("1.1", "twinning with Lyon"), ("1.2", "a regional committee"), ("1.5", "a newsletter")],
        ),
        ("Mes réponses : 1) oui 2) non 4) les forums", 1, [("1.1", "oui"), ("1.2", "non"), ("1.4", "les forums")]),
    ],
)
def test_answers_numbered_on_one_line_are_cut_at_each_number(linker, text, open_round, expected):
    assert [(s.question, s.text) for s in linker.link(text, open_round=open_round).segments] == expected


def test_the_previous_question_is_the_one_before_the_question_replied_to(linker):
    text = "Pour la question précédente : un guichet unique"
    assert tied(linker, text, 2, reply_to="2.2") == [("2.1", "reference")]
    assert tied(linker, "respecto a la pregunta anterior, no conocemos", 3, reply_to="3.3", in_thread=True) == [("3.2", "reference")]


def test_the_previous_question_is_the_one_before_the_question_answered_just_before(linker):
    text = "Q3: the diaspora fund. About the previous question: yes, consultations"
    assert tied(linker, text, 3) == [("3.3", "reference"), ("3.2", "reference")]


def test_the_previous_question_with_nothing_before_it_is_asked_about(linker):
    (segment,) = linker.link("la pregunta anterior: trabajamos con la OIM", open_round=1).segments
    assert segment.question is None and segment.text == "trabajamos con la OIM"


def test_the_previous_question_in_a_sentence_is_no_marker(linker):
    text = "Al igual que en la pregunta anterior solo podemos recalcar el proceso"
    (segment,) = linker.link(text, open_round=3, reply_to="3.3").segments
    assert (segment.question, segment.method, segment.text) == ("3.3", "reply", text)


def test_an_apology_before_the_marker_is_not_a_contribution(linker):
    text = "Sorry for the late answer! Week 2 Q1: the integration office in Ghent"
    assert tied(linker, text, 4) == [("2.1", "reference")]


@pytest.mark.parametrize(
    "text, open_round",
    [
        ("I think trust between diaspora and local government is the key.", 1),  # "governments", "key" in 1.3
        ("I think trust between diaspora and local government is the key.", 2),
        ("c'est une question de volonté politique avant tout", 1),  # "question" names no topic
        ("los consejos consultivos de migrantes en Quito", 3),  # one shared word: "consultation"
    ],
)
def test_a_short_opinion_sharing_a_word_or_two_with_a_question_is_asked_about(linker, text, open_round):
    assert [s.question for s in linker.link(text, open_round=open_round).segments] == [None]


def test_content_confidence_grows_with_the_lead_and_the_telling_words(linker):
    clear = linker.link("we need an enabling environment for diaspora groups", open_round=4).segments[0]
    fair = linker.link("the key is partnerships with local actors", open_round=4).segments[0]
    assert (clear.question, fair.question) == ("4.1", "4.2")
    assert CONTENT_MIN_CONFIDENCE < fair.confidence < clear.confidence < CONTENT_MAX_CONFIDENCE


@pytest.mark.parametrize(
    "text",
    [
        "+1",
        "agree with Daniel",
        "I agree with Daniel.",
        "+1 to what Ahmed said about radios",
        "Je suis d'accord avec Amadou",
        "https://www.migration4development.org/fr/content/rapport-2012",
    ],
)
def test_an_endorsement_or_a_bare_link_is_not_a_contribution(linker, text):
    assert linker.link(text, open_round=3).segments == ()


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("I agree with Ana on the first question.", "3.1"),
        ("Je suis d'accord avec Paolo sur la question 2.", "3.2"),
        ("+1 to what Ahmed said on Q3", "3.3"),
        ("De acuerdo con Ana en la pregunta 2.", "3.2"),
    ],
)
def test_an_endorsement_naming_a_question_is_filed_under_it(linker, text, question):
    assert tied(linker, text, 3) == [(question, "reference")]


@pytest.mark.parametrize(
    "text",
    [
        "totally agree, the municipality has to lead this",
        "I agree with Daniel that radios reach people in the villages",
        "+1 Q2: les radios communautaires",
    ],
)
def test_an_endorsement_with_an_answer_of_its_own_is_a_contribution(linker, text):
    assert len(linker.link(text, open_round=3).segments) == 1


def test_a_link_is_no_words_of_the_answer(linker):
    assert tied(linker, "Voici notre guide des bonnes pratiques de codéveloppement : https://example.org/g.pdf", 2) == [("2.1", "content")]


@pytest.mark.parametrize(
    "text",
    [
        "Madame, Monsieur,\n\nVeuillez trouver ci-dessous notre contribution.\n\n1. un guichet unique\n2. des plateformes",
        "Bonjour à tous,\n\nJe me permets de partager quelques éléments.\n\n1. un guichet unique\n2. des plateformes",
    ],
)
def test_a_formal_salutation_before_numbered_answers_leaves_them_question_numbers(linker, text):
    segments = linker.link(text, open_round=4).segments
    assert [(s.question, s.text) for s in segments] == [("4.1", "un guichet unique"), ("4.2", "des plateformes")]


@pytest.mark.parametrize(
    "preamble",
    ["See answers below in blue.", "Mes réponses sont dans le texte, en rouge.", "Respuestas en rojo, ver abajo."],
)
def test_a_line_saying_where_the_answers_are_is_no_answer(linker, preamble):
    assert tied(linker, f"{preamble}\n\n1.1: hermanamientos con Kayes.\n\n1.2: un comité mixto.", 1) == [
        ("1.1", "reference"),
        ("1.2", "reference"),
    ]


@pytest.mark.parametrize(
    "text, open_round, expected",
    [
        ("Gentili colleghi,\nin riferimento alla domanda 1, la Regione ha fatto una campagna", 3, "3.1"),
        ("Retour sur la semaine 2 (question 2) : à Grenoble le conseil consultatif", 4, "2.2"),
        ("je reviens sur la question 3 : les jumelages", 1, "1.3"),
        ("Going back to Q1: twinning", 2, "2.1"),
        ("A bit late, but for round 1 question 3: we share good practices through the association of municipalities", 3, "1.3"),
    ],
)
def test_a_reference_after_a_formal_or_returning_lead_in_is_a_marker(linker, text, open_round, expected):
    assert tied(linker, text, open_round) == [(expected, "reference")]


@pytest.mark.parametrize(
    "text, open_round, expected",
    [
        ("Pour la 2.2 et la 2.3 : la clé", 2, ["2.2", "2.3"]),
        ("Semaine 1 Q2 et semaine 2 Q1 : la clé", 3, ["1.2", "2.1"]),  # each question with its nearest round
        ("Q1, and also Q3: la clé", 3, ["3.1", "3.3"]),
        ("pregunta 1 y 4 → la clé", 4, ["4.1", "4.4"]),
        ("On question two, and also three: la clé", 1, ["1.2", "1.3"]),
        ("Preguntas II y III: la clé", 1, ["1.2", "1.3"]),
    ],
)
def test_markers_joined_by_and_share_one_answer(linker, text, open_round, expected):
    segments = linker.link(text, open_round=open_round).segments
    assert [(s.question, s.text) for s in segments] == [(key, "la clé") for key in expected]


@pytest.mark.parametrize(
    "text, filed, declined",
    [
        ("Q3: no comment.", [], ("1.3",)),
        ("Rien pour l'instant sur la 1.4, désolé.", [], ("1.4",)),
        ("Je n’ai pas d’avis sur la 1.3.", [], ("1.3",)),
        ("Sem comentários sobre a 1.5.", [], ("1.5",)),
        ("Q1 : RAS", [], ("1.1",)),
        ("Q1 : ras le bol des réunions sans suite, il faut un comité.", ["1.1"], ()),
        ("1.4: N/A\n1.5: the lack of data on migrants.", ["1.5"], ("1.4",)),
        ("Nothing yet on 1.4, sorry. On 1.2: we meet the ministry every quarter.", ["1.2"], ("1.4",)),
        ("Q3: No comment from the ministry so far, but we publish a yearly guide of practices.", ["1.3"], ()),
        ("Q2: +1", ["1.2"], ()),
        ("Q3: I don't know.", [], ("1.3",)),
        ("pregunta 3 no sé", [], ("1.3",)),
        ("Q2 : je ne sais pas", [], ("1.2",)),
        ("1.4: I don't know of any example in our region.", ["1.4"], ()),  # an answer to "do you know of any?"
    ],
)
def test_nothing_to_add_on_a_question_is_no_answer_to_it(linker, text, filed, declined):
    linked = linker.link(text, open_round=1)
    assert ([s.question for s in linked.segments], linked.declined) == (filed, declined)


def test_a_roman_numeral_names_a_question_only_where_a_delimiter_closes_it(linker):
    (segment,) = linker.link("The question I and my colleagues raised is funding: the region pays for the desks.", open_round=1).segments
    assert segment.method != "reference"


def test_markers_joined_by_and_are_asked_about_when_one_names_no_question(linker):
    (segment,) = linker.link("Pour la 3.1 et la 3.7 : la clé", open_round=3).segments
    assert (segment.question, segment.text, segment.candidates[0]) == (None, "la clé", "3.1")


def test_a_plural_and_its_singular_are_the_same_word(linker):
    # "plan" in the answer, "plans de développement territoriaux" in 1.4
    text = "pour moi le plus important c'est d'intégrer la migration dans le plan de développement territorial"
    assert tied(linker, text, 1) == [("1.4", "content")]


def test_two_telling_words_suffice_in_an_answer_of_a_few_sentences(linker):
    text = (
        "en nuestro municipio la cooperación descentralizada con los ayuntamientos españoles fue clave "
        "para canalizar las remesas hacia proyectos productivos"
    )
    assert tied(linker, text, 1) == [("1.1", "content")]


# --- Long texts (issue 15): linear in the text, within a budget ---------------------------------


def calls_made(linker: Linker, text: str, open_round: int) -> int:
    """The function calls, Python's and C's, made to link the text: the linker's work, counted."""
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        calls += event in ("call", "c_call")

    sys.setprofile(count)
    try:
        linker.link(text, open_round=open_round)
    finally:
        sys.setprofile(None)
    return calls


LONG_TEXTS = {
    "a list of markers": lambda n: ", ".join(f"Q{i % 9 + 1}" for i in range(n)),
    "answers after markers": lambda n: " ".join(f"Q{i % 5 + 1}: las mesas de concertación con la diáspora." for i in range(n)),
    "numbered lines": lambda n: "".join(f"{i % 5 + 1}) a\n" for i in range(n)),
    "numbered on one line": lambda n: "".join(f"{i % 5 + 1}) a " for i in range(n)),
    "rounds and questions": lambda n: " ".join(f"semana {i % 3 + 1} pregunta {i % 4 + 1} y 2, la primera." for i in range(n)),
    "restated questions": lambda n: "Q: what can migrants do to raise awareness?\nradio shows\n" * n,
    "no marker": lambda n: "la coordinación con el ministerio es difícil. " * n,
}


@pytest.mark.parametrize("shape", LONG_TEXTS)
def test_linking_twice_the_text_costs_at_most_about_twice_the_work(linker, shape):
    # 16,000 characters of "Q1, Q2, Q3…" took 8.9 s, a 4,096-character message 0.6 s: the work grew as the square.
    half, whole = (LONG_TEXTS[shape](8000)[:length] for length in (8000, 16000))
    assert calls_made(linker, whole, 1) <= 2.2 * calls_made(linker, half, 1)


def test_a_long_list_of_markers_files_nothing_and_asks_at_most_once(linker):
    text = ", ".join(f"Q{i % 9 + 1}" for i in range(4000))[:16000]
    segments = linker.link(text, open_round=1).segments
    assert len(segments) <= 1 and all(s.question is None for s in segments)


def test_past_the_budget_of_segments_the_rest_is_one_segment_asked_about_and_nothing_is_lost(linker):
    answers = [f"Q{i % 5 + 1}: answer number {i} on twinning." for i in range(MAX_SEGMENTS + 30)]
    segments = linker.link("\n".join(answers), open_round=1).segments
    assert len(segments) == MAX_SEGMENTS + 1
    assert [s.question for s in segments[:MAX_SEGMENTS]] == [f"1.{i % 5 + 1}" for i in range(MAX_SEGMENTS)]
    rest = segments[-1]
    assert rest.question is None and rest.candidates == ("1.1", "1.2", "1.3", "1.4", "1.5")
    filed = "\n".join(s.text for s in segments)
    assert all(f"answer number {i} " in filed for i in range(len(answers)))


def test_text_past_the_budget_of_characters_is_read_for_no_marker_and_stays_in_the_last_answer(linker):
    long_answer = "Q1: " + "twinning between cities works. " * (MARKERS_MAX_CHARS // 30) + "Q2: a national committee."
    (segment,) = linker.link(long_answer, open_round=1).segments
    assert segment.question == "1.1" and segment.text.endswith("Q2: a national committee.")


def test_a_question_key_after_a_pointing_word_opens_its_answer_without_a_colon(linker):
    text = "Regarding 1.5 the main challenge was lack of data on emigrants.\nRegarding 1.3 we use the UCLG network to share practices."
    assert [(s.question, s.text) for s in linker.link(text, open_round=1).segments] == [
        ("1.5", "the main challenge was lack of data on emigrants."),
        ("1.3", "we use the UCLG network to share practices."),
    ]


@pytest.mark.parametrize(
    "text", ["About 1.5 million migrants from our region live abroad.", "Regarding 1.2 % of the budget, it goes to the diaspora."]
)
def test_a_quantity_is_no_question_key(linker, text):
    assert all(s.method not in ("reference", "mention") for s in linker.link(text, open_round=1).segments)


def test_a_question_named_in_brackets_at_the_end_ties_the_whole_answer(linker):
    text = "Il problema principale è la mancanza di fondi per i comuni piccoli (domanda 5)."
    assert [(s.question, s.text, s.method) for s in linker.link(text, open_round=1).segments] == [("1.5", text, "reference")]


@pytest.mark.parametrize("text", ["Best regards,\nJohn Smith\nMayor's office, Accra", "Cordialement,\nAyad Zarouali\nCommune de Tiznit"])
def test_a_signature_alone_is_not_a_contribution(linker, text):
    assert linker.link(text, open_round=1).segments == ()


def test_a_sign_off_word_before_an_answer_leaves_the_answer(linker):
    (segment,) = linker.link("Saludos,\nusamos la radio comunitaria para llegar a la diáspora", open_round=1).segments
    assert segment.text == "usamos la radio comunitaria para llegar a la diáspora"


@pytest.mark.parametrize(
    "text",
    ["Sorry, what does RLA mean?", "Can I answer in Portuguese?", "Who else is from Morocco?", "Dove posso leggere le altre risposte?"],
)
def test_a_question_to_the_organisers_is_passed_on_even_after_an_apology(linker, text):
    assert linker.link(text, open_round=1).asks == "organisers"


def test_a_round_header_ended_by_a_dash_is_no_part_of_the_answer(linker):
    text = "Todavía sobre la semana 1 - en Cuenca el plan de ordenamiento territorial incluye la movilidad humana."
    (segment,) = linker.link(text, open_round=2).segments
    assert segment.text.startswith("en Cuenca") and segment.question is not None and segment.question.startswith("1.")


@pytest.mark.parametrize("text", ["C'est quand la fin de ce tour ?", "¿Cuándo acaba esta ronda?", "When is the end of this round?"])
def test_asking_when_the_round_ends_is_a_question_about_the_deadline(linker, text):
    assert linker.link(text, open_round=1).asks == "deadline"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Q1/ twinning\nQ2/ a joint committee", [("1.1", "twinning"), ("1.2", "a joint committee")]),
        ("Quest. 1: twinning", [("1.1", "twinning")]),
        ("Q1/Q2: a joint committee", [("1.1", "a joint committee"), ("1.2", "a joint committee")]),
    ],
)
def test_markers_written_with_a_slash_or_an_abbreviation(linker, text, expected):
    assert [(s.question, s.text) for s in linker.link(text, open_round=1).segments] == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # A decimal comma after the singular word is a key; after the plural, two questions.
        ("Question 1,3 : un réseau de villes", [("1.3", "un réseau de villes")]),
        ("pregunta 1,2: una mesa técnica", [("1.2", "una mesa técnica")]),
        ("Questions 1,3 : un réseau", [("1.1", "un réseau"), ("1.3", "un réseau")]),
        # "R" for réponse, respuesta; "Rép." abbreviated.
        ("R1: twinning. R2: a committee", [("1.1", "twinning."), ("1.2", "a committee")]),
        ("Rép. 2 : un comité", [("1.2", "un comité")]),
        ("Q2 | a committee", [("1.2", "a committee")]),
    ],
)
def test_markers_written_the_ways_of_other_countries(linker, text, expected):
    assert [(s.question, s.text) for s in linker.link(text, open_round=1).segments] == expected


@pytest.mark.parametrize("text", ["We spent R2 million on it.", "Q2, 3 partners signed"])
def test_what_only_looks_like_those_markers_opens_nothing_new(linker, text):
    assert len(linker.link(text, open_round=1).segments) == 1


def test_a_topic_header_ended_by_a_dash_ties_its_line(linker):
    (first, *_rest) = linker.link("Coordination mechanisms - we have a joint committee with the ministry.", open_round=1).segments
    assert (first.question, first.text) == ("1.2", "we have a joint committee with the ministry.")


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Je réponds à la question sur l'intégration : à Grenoble, des cours de français gratuits.",
            ("2.1", "à Grenoble, des cours de français gratuits."),
        ),
        ("On the question about integration: free language classes.", ("2.1", "free language classes.")),
    ],
)
def test_a_question_named_by_one_word_of_its_topic_heads_its_answer(linker, text, expected):
    (segment,) = linker.link(text, open_round=2).segments
    assert (segment.question, segment.text) == expected


def test_one_word_of_a_topic_without_the_word_question_heads_nothing(linker):
    (segment,) = linker.link("Intégration, à Grenoble, des cours de français gratuits.", open_round=2).segments
    assert segment.text.startswith("Intégration")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Challenges: lack of funding.\nCoordination: a joint committee.", [("1.5", "lack of funding."), ("1.2", "a joint committee.")]),
        ("Sur les défis : le manque de moyens.", [("1.5", "le manque de moyens.")]),
    ],
)
def test_one_word_alone_before_a_colon_that_only_one_question_of_the_open_round_holds_heads_its_answer(linker, text, expected):
    assert [(s.question, s.text) for s in linker.link(text, open_round=1).segments] == expected


@pytest.mark.parametrize(
    "text, open_round", [("Partnerships: a round table with the banks.", 4), ("Example: in Dakar we twin with Milan.", 1)]
)
def test_one_word_alone_that_two_questions_hold_or_that_labels_any_answer_heads_nothing(linker, text, open_round):
    (segment,) = linker.link(text, open_round=open_round).segments
    assert segment.text == text


def test_topics_named_after_a_pointing_word_and_a_comma_head_their_answers(linker):
    text = (
        "Bonjour,\n\nConcernant la coopération décentralisée, nous travaillons avec la région Occitanie.\n\n"
        "Pour les mécanismes de coordination, un comité de pilotage réunit la préfecture et les communes.\n\nCordialement,\nMarie"
    )
    assert [(s.question, s.text) for s in linker.link(text, open_round=1).segments] == [
        ("1.1", "nous travaillons avec la région Occitanie."),
        ("1.2", "un comité de pilotage réunit la préfecture et les communes."),
    ]


@pytest.mark.parametrize("text", ["Pour nous, la coopération décentralisée est essentielle.", "On the other hand, we have a committee."])
def test_a_pointing_word_before_a_comma_that_names_no_topic_heads_nothing(linker, text):
    (segment,) = linker.link(text, open_round=1).segments
    assert segment.text == text


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Réponses : 1/ les jumelages 2/ le comité 3/ le réseau des villes",
            [("1.1", "les jumelages"), ("1.2", "le comité"), ("1.3", "le réseau des villes")],
        ),
        ("Pregunta 1.1 y 1.2: van juntas.", [("1.1", "van juntas."), ("1.2", "van juntas.")]),
        ("Hi! Answering Q2 and Q4 together: our regional plan.", [("1.2", "our regional plan."), ("1.4", "our regional plan.")]),
        (
            "Buongiorno,\nper quanto riguarda la cooperazione decentrata, il comune collabora con Dakar.",
            [("1.1", "il comune collabora con Dakar.")],
        ),
    ],
)
def test_lists_joint_keys_and_topics_in_the_forms_people_write(linker, text, expected):
    assert [(s.question, s.text) for s in linker.link(text, open_round=1).segments] == expected


@pytest.mark.parametrize(
    "text",
    [
        "1.1 and 1.2: we do both through twinning",
        "1.1 et 1.2 : we do both through twinning",
        "1.1 y 1.2: we do both through twinning",
        "1.1 e 1.2: we do both through twinning",
        "1.1, 1.2: we do both through twinning",
        "1.1 & 1.2 - we do both through twinning",
        "1.1/1.2: we do both through twinning",
        "Pour 1.1 et 1.2 : we do both through twinning",
        "Regarding 1.1 and 1.2, we do both through twinning",
    ],
)
def test_question_keys_joined_at_the_start_file_one_answer_under_each(linker, text):
    segments = linker.link(text, open_round=2).segments
    assert [(s.question, s.method, s.text) for s in segments] == [
        (key, "reference", "we do both through twinning") for key in ("1.1", "1.2")
    ]


@pytest.mark.parametrize(
    "text", ["1.1: twinning 1.2: a joint committee 1.3: newsletters", "1.1) twinning 1.2) a joint committee 1.3) newsletters"]
)
def test_keys_in_a_row_on_one_line_each_open_their_answer(linker, text):
    segments = linker.link(text, open_round=1).segments
    assert [(s.question, s.text) for s in segments] == [("1.1", "twinning"), ("1.2", "a joint committee"), ("1.3", "newsletters")]


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("Thank you for the question 4, very interesting. We have the PDC in Dakar.", "1.4"),
        ("Merci pour la question 2 ! Chez nous, un comité mixte réunit la région et l'État.", "1.2"),
    ],
)
def test_the_question_a_thank_you_names_is_the_one_the_text_after_it_answers(linker, text, question):
    assert tied(linker, text, 1) == [(question, "reference")]


def test_a_ratio_after_a_key_is_no_key(linker):
    assert tied(linker, "1.1: the ratio was 1.5: 1 in 2012", 1) == [("1.1", "reference")]


def test_the_next_key_of_the_round_opening_a_sentence_opens_its_answer(linker):
    text = "2.1 Good practice: a welcome desk in the town hall. 2.2 Challenges: no budget, no staff."
    assert [s.question for s in linker.link(text, open_round=2).segments] == ["2.1", "2.2"]
    assert tied(linker, "2.1: our budget grew by 10%. 2.5 times more people came.", 2) == [("2.1", "reference")]


def test_a_long_lead_in_pointing_at_its_key_is_part_of_the_marker(linker):
    text = "Un complément à ma réponse de la semaine dernière sur la question 1.4 : le plan de Thiès aussi."
    assert [(s.question, s.text) for s in linker.link(text, open_round=2).segments] == [("1.4", "le plan de Thiès aussi.")]


def test_a_quantity_after_joined_keys_is_no_question(linker):
    text = "1.1 and 1.2 million euros go to twinning every year"
    assert all(s.method != "reference" for s in linker.link(text, open_round=1).segments)


@pytest.mark.parametrize(
    "text, key",
    [
        ("Sorry, that was for question 2.", "1.2"),
        ("I meant Q2", "1.2"),
        ("wrong question, it's 1.2", "1.2"),
        ("Me equivoqué, era la pregunta 2.", "1.2"),
        ("C'était ma réponse à la question 1.3.", "1.3"),
        ("That's my take on Q1.5.", "1.5"),
    ],
)
def test_a_correction_alone_files_nothing_and_names_the_question_of_the_message_before(linker, text, key):
    linked = linker.link(text, open_round=1)
    assert (linked.segments, linked.points_back) == ((), key)


@pytest.mark.parametrize(
    "text", ["Q2: it was a joint committee", "Q4: yes it is", "That was for question 2: we meet the ministry.", "Oops, 1.3 not 1.2"]
)
def test_an_answer_or_a_correction_naming_two_questions_corrects_nothing(linker, text):
    assert linker.link(text, open_round=1).points_back is None


@pytest.mark.parametrize("text, announced", [("2", "1.2"), ("1.2", "1.2"), ("Q3", "1.3"), ("1.2 please", "1.2"), ("Q3, svp", "1.3")])
def test_a_question_number_alone_answers_nothing_and_announces_its_question(linker, text, announced):
    linked = linker.link(text, open_round=1)
    assert linked.segments == () and linked.announces == announced


@pytest.mark.parametrize(
    "text, announced",
    [
        ("I'll answer 1.3 in my next message.", "1.3"),
        ("Je réponds à la 1.3 dans mon prochain message.", "1.3"),
        ("Respondo a la pregunta 2 en el siguiente mensaje.", "1.2"),
        ("My answer to question 2 follows.", "1.2"),
        ("1.2 et 1.3 dans le message suivant", None),  # two: nothing to file, nothing announced
    ],
)
def test_a_text_saying_the_answer_comes_in_the_next_message_files_nothing_and_announces_its_question(linker, text, announced):
    linked = linker.link(text, open_round=1)
    assert linked.segments == () and linked.announces == announced


@pytest.mark.parametrize("text", ["Q2: la coopération suit les routes de la migration.", "Q2: a joint committee, more in my next message."])
def test_an_answer_that_says_follows_or_promises_more_is_still_an_answer(linker, text):
    assert tied(linker, text, 1) == [("1.2", "reference")]


@pytest.mark.parametrize("text", ["Is the end goal to publish a report?", "What do you mean by end-users?"])
def test_an_end_that_is_a_goal_or_a_user_asks_for_no_deadline(linker, text):
    assert linker.link(text, open_round=1).asks == "organisers"


def test_a_question_of_a_round_not_open_yet_is_never_taken_as_restated(linker):
    text = "This is about last week's question on diaspora consultation: we held three town hall meetings."
    (segment,) = linker.link(text, open_round=2).segments
    assert segment.question is None or not segment.question.startswith("3.")
    (later,) = linker.link(text, open_round=4).segments  # by round 4, round 3's question has been posted
    assert later.question == "3.2"


@pytest.mark.parametrize(
    "text",
    [
        "ans to q2: a joint committee",
        "Answer 2: a joint committee",
        "[Q2] a joint committee",
        "*Q2*: a joint committee",
        "**Question 2:** a joint committee",
    ],
)
def test_markers_in_brackets_markdown_or_after_answer_file_the_bare_answer(linker, text):
    assert [(s.question, s.text) for s in linker.link(text, open_round=1).segments] == [("1.2", "a joint committee")]


def test_an_answer_numbered_in_passing_is_no_marker(linker):
    (segment,) = linker.link("My answer 2 days ago was about twinning with Lyon.", open_round=1).segments
    assert segment.text == "My answer 2 days ago was about twinning with Lyon."


@pytest.mark.parametrize(
    "text, answer",
    [
        ("Rép. Q2 : un comité", "un comité"),
        ("Punto 2.- una mesa técnica", "una mesa técnica"),
        ("P.2: una mesa técnica", "una mesa técnica"),
        ("Domanda n. 2: un tavolo", "un tavolo"),
    ],
)
def test_abbreviated_markers(linker, text, answer):
    assert [(s.question, s.text) for s in linker.link(text, open_round=1).segments] == [("1.2", answer)]


def test_a_page_reference_is_no_question(linker):
    (segment,) = linker.link("see p. 12 of the report", open_round=1).segments
    assert segment.question is None and segment.text == "see p. 12 of the report"


@pytest.mark.parametrize(
    "text, open_round, answer",
    [
        ("Re: 2 yes, a joint committee", 1, "yes, a joint committee"),
        ("re 2: a joint committee", 1, "a joint committee"),
        ("RE 2 - a joint committee", 1, "a joint committee"),
        ("Ad 2: la Conferenza Stato-Regioni", 1, "la Conferenza Stato-Regioni"),
        ("N° 2 : une instance nationale", 1, "une instance nationale"),
        ("No. 2: a national council", 1, "a national council"),
        ("number 2: a joint committee", 1, "a joint committee"),
        ("point 1.2 : une commission mixte", 1, "une commission mixte"),
        ("punto 1.2: una mesa técnica", 2, "una mesa técnica"),
    ],
)
def test_a_number_after_re_ad_or_number_sign_and_a_point_key_are_markers(linker, text, open_round, answer):
    assert [(s.question, s.text) for s in linker.link(text, open_round=open_round).segments] == [("1.2", answer)]


@pytest.mark.parametrize(
    "text, open_round",
    [
        ("2 communes de la région ont intégré la migration dans leur plan de développement territorial", 1),
        ("3 ans de jumelage avec Kayes nous ont appris beaucoup", 1),
        ("1 000 migrants sont membres des associations de la ville", 4),
        ("1.5 million euros in remittances, but no plan includes migration", 1),
        ("1,5 millions d'euros de transferts, mais aucun plan n'intègre la migration", 1),
        ("2.3 millones de migrantes viven en la comunidad", 2),
    ],
)
def test_a_count_opening_a_sentence_is_no_question_number(linker, text, open_round):
    segments = linker.link(text, open_round=open_round).segments
    assert [s.text for s in segments] == [text]
    assert all(s.method != "reference" for s in segments)


def test_numbers_followed_by_a_space_alone_number_answers_one_after_the_other(linker):
    segments = linker.link("1 oui, les jumelages\n2 non\n3 les forums régionaux", open_round=1).segments
    assert [(s.question, s.text) for s in segments] == [("1.1", "oui, les jumelages"), ("1.2", "non"), ("1.3", "les forums régionaux")]


@pytest.mark.parametrize(
    "text, question",
    [
        ("Ce qui manque chez nous, c'est une commission mixte avec le ministère pour aligner nos stratégies", None),
        ("En ce qui concerne la question 1, nous pensons que les jumelages restent l'outil le plus efficace", "1.1"),
        ("Pour ce qui est de la question 2 : une commission mixte avec le ministère", "1.2"),
    ],
)
def test_an_answer_opening_with_ce_qui_is_no_introduction(linker, text, question):
    (segment,) = linker.link(text, open_round=1).segments
    assert segment.text and (question is None or segment.question == question)


def test_a_name_before_qui_still_introduces_its_writer(linker):
    assert linker.link("Marco qui, dal comune di Torino.", open_round=1).segments == ()


@pytest.mark.parametrize(
    "text",
    [
        "¿la pregunta 3 se refiere a los gobiernos locales o nacionales?",
        "does Q2 refer to national or local level?",
        "Sorry, I don't understand question 3. Could you rephrase it?",
        "Could you clarify question 2?",
        "Pourriez-vous préciser la question 4 ?",
        "est-ce que la question 3 concerne aussi les pays d'origine ?",
        "qu'est-ce que vous entendez par 'environnement favorable' dans la question 1 ?",
        "What does RLA stand for?",
        "Is the discussion still open?",
        "Qu'est-ce que vous entendez par RLA ?",
        "Que voulez-vous dire par RLA ?",
        "¿Qué quieren decir con ALR?",
        "¿Qué entienden por ALR en la pregunta 1?",
        "O que vocês querem dizer com ALR?",
        "Cosa volete dire con ALR?",
        "What do you mean by LRAs?",
        "Combien de questions cette semaine ?",
        "On peut répondre en plusieurs fois ?",
    ],
)
def test_a_question_about_a_question_or_the_discussion_goes_to_the_organisers_even_with_its_number(linker, text):
    linked = linker.link(text, open_round=1)
    assert linked.segments == () and linked.asks == "organisers"


@pytest.mark.parametrize(
    "text",
    [
        "I'll do Q3 later",
        "Je reviens vers vous demain pour la question 2",
        "Q2 je réponds ce soir",
        "Q4 - later, I need to check with my colleague",
        "Je réponds à la 2 plus tard, là je suis en réunion",
        "Excellent contribution from Marco",
        "Excellente contribution de Marco 👏",
        "Merci Aminata, super intéressant ton exemple de Kayes !",
    ],
)
def test_a_promise_naming_its_question_or_praise_naming_its_writer_is_no_answer(linker, text):
    assert linker.link(text, open_round=1).segments == ()


@pytest.mark.parametrize("text", ["What do you mean by LRAs?", "¿Qué quieren decir con ALR?", "Qu'est-ce que vous entendez par RLA ?"])
def test_asking_what_a_question_means_in_reply_to_it_goes_to_the_organisers(linker, text):
    linked = linker.link(text, open_round=1, reply_to="1.1")
    assert linked.segments == () and linked.asks == "organisers"


def test_another_question_in_reply_to_a_question_is_its_answer(linker):
    assert tied(linker, "Could anyone share the results of the Dakar twinning?", 1, reply_to="1.1") == [("1.1", "reply")]


@pytest.mark.parametrize(
    "text",
    [
        "Respondo la semana que viene",
        "Te mando mis respuestas la semana que viene",
        "Mando minhas respostas semana que vem",
        "Vou mandar as respostas amanhã",
        "Je réponds la semaine prochaine",
        "J'envoie mes réponses dans quelques jours",
        "I'll reply next week",
        "I'm sending my answers in a few days",
        "Rispondo la settimana prossima",
    ],
)
def test_an_answer_promised_for_later_is_no_answer(linker, text):
    assert linker.link(text, open_round=1).segments == ()


@pytest.mark.parametrize(
    "text, answer",
    [
        ("Pour la 1 je dirais que le jumelage aide", "je dirais que le jumelage aide"),
        ("Merci Ana. Pour la 1 nous avons un jumelage avec Kayes.", "nous avons un jumelage avec Kayes."),
        ("Para la 1 creo que los hermanamientos ayudan", "creo que los hermanamientos ayudan"),
        ("Sobre a 1 acho que a geminação ajuda", "acho que a geminação ajuda"),
        ("Na 1, acho que a geminação ajuda", "acho que a geminação ajuda"),
        ("Per la 1 penso che i gemellaggi aiutino", "penso che i gemellaggi aiutino"),
        ("On 1, we twin with Lyon", "we twin with Lyon"),
        ("For the 1 I'd say twinning", "I'd say twinning"),
    ],
)
def test_a_number_after_a_pointing_word_files_its_answer_under_that_question(linker, text, answer):
    assert [(s.question, s.method, s.text) for s in linker.link(text, open_round=1).segments] == [("1.1", "reference", answer)]


@pytest.mark.parametrize(
    "text",
    [
        "Pour la 1ère fois nous avons un jumelage avec Kayes",
        "Pour la 2 000 familles de la diaspora, un guichet unique",
        "On 2 occasions we met the ministry about twinning",
        "For 3 years we have twinned with Lyon",
        "On 3, 4 and 5 May we met the ministry about twinning",
    ],
)
def test_an_ordinal_a_count_or_a_date_after_a_pointing_word_is_no_question_number(linker, text):
    assert all(s.method != "reference" and s.text == text for s in linker.link(text, open_round=1).segments)


@pytest.mark.parametrize(
    "text, open_round, expected",
    [
        (
            "Réponse à la question 3 de la semaine 2 : les associations doivent se fédérer",
            3,
            [("2.3", "les associations doivent se fédérer")],
        ),
        ("Petit retour sur la 2.1 : à Grenoble le programme d'accueil", 3, [("2.1", "à Grenoble le programme d'accueil")]),
        ("Todavía respondo a la semana 1, pregunta 1.3: también hay un comité", 2, [("1.3", "también hay un comité")]),
        (
            "la prima: gemellaggi; la seconda: un tavolo interministeriale",
            1,
            [("1.1", "gemellaggi"), ("1.2", "un tavolo interministeriale")],
        ),
        ("Nous avons deux axes; le premier: les jumelages", 1, [(None, "Nous avons deux axes; le premier: les jumelages")]),
    ],
)
def test_a_week_named_after_its_question_and_markers_after_a_semicolon(linker, text, open_round, expected):
    assert [(s.question, s.text) for s in linker.link(text, open_round=open_round).segments] == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("My answers: 1) we twin with Dakar 2) there is a national committee", ["1.1", "1.2"]),
        ("Voici mes réponses : 1) oui 2) non", ["1.1", "1.2"]),
        ("Here are my answers:", []),
    ],
)
def test_a_heading_whose_colon_opens_the_answers_is_no_bare_introduction(linker, text, expected):
    assert [s.question for s in linker.link(text, open_round=1).segments] == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Q1: We twin with Lyon.\nQ3: We share lessons in a newsletter.\n1.5: The main challenge is the lack of data.",
            [
                ("1.1", "We twin with Lyon."),
                ("1.3", "We share lessons in a newsletter."),
                ("1.5", "The main challenge is the lack of data."),
            ],
        ),
        (
            "1.2: We twin with Lyon.\nQ4: We share lessons in a newsletter.",
            [("1.2", "We twin with Lyon."), ("1.4", "We share lessons in a newsletter.")],
        ),
        (
            "Question 1: We twin with Lyon.\n1.3: We share lessons in a newsletter.",
            [("1.1", "We twin with Lyon."), ("1.3", "We share lessons in a newsletter.")],
        ),
        (
            "1.5: falta de datos\nPregunta 2: hermanamientos\n1.3) boletines\nP4 - un comité",
            [("1.5", "falta de datos"), ("1.2", "hermanamientos"), ("1.3", "boletines"), ("1.4", "un comité")],
        ),
    ],
)
def test_every_line_leading_marker_opens_its_segment_whatever_the_mix_of_styles(linker, text, expected):
    segments = linker.link(text, open_round=1).segments
    assert [(s.question, s.method, s.text) for s in segments] == [(key, "reference", answer) for key, answer in expected]


@pytest.mark.parametrize(
    "text",
    [
        "That's my take on Q1.5.",
        "C'était ma réponse à la question 1.3.",
        "Eso es lo que pienso sobre la pregunta 2.",
        "Isso é o que penso sobre a pergunta 3.",
        "Thanks all! That's my two cents on question 2.",
    ],
)
def test_a_closing_sentence_sent_alone_points_back_and_answers_nothing(linker, text):
    linked = linker.link(text, open_round=1)
    assert linked.segments == () and linked.announces is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("We twin with Lyon and share lessons. That's my take on Q1.5.", "1.5"),
        ("Les jumelages avec Lyon marchent bien. C'était ma réponse à la question 1.3.", "1.3"),
        ("Los hermanamientos funcionan. Eso es lo que pienso sobre la pregunta 2.", "1.2"),
        # A label in brackets at the end.
        ("We don't have anything like that in our town. (Q4)", "1.4"),
        ("Un comité mixte avec le ministère [question 2].", "1.2"),
    ],
)
def test_the_same_closing_sentence_after_an_answer_names_its_question(linker, text, expected):
    assert tied(linker, text, 1) == [(expected, "reference")]


def test_a_label_in_brackets_after_a_marked_answer_adds_nothing_to_it(linker):
    assert [(s.question, s.text) for s in linker.link("Q1: twinning with Lyon. (Q2)", open_round=1).segments] == [
        ("1.1", "twinning with Lyon.")
    ]


@pytest.mark.parametrize("text", ["That's what we do in Lyon.", "C'est notre expérience de jumelage avec Lyon pour la question 2."])
def test_a_sentence_pointing_back_with_something_of_its_own_is_an_answer(linker, text):
    assert len(linker.link(text, open_round=1).segments) == 1


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1.1 and 2.1: we worked with the diaspora radio on both.", ["1.1", "2.1"]),
        ("1.1 & 2.1 - we worked with the diaspora radio on both.", ["1.1", "2.1"]),
        ("1.1, 2.1 y 3.2: we worked with the diaspora radio on both.", ["1.1", "2.1", "3.2"]),
        ("Sur 1.2 et 2.1 : we worked with the diaspora radio on both.", ["1.2", "2.1"]),
    ],
)
def test_keys_of_different_rounds_joined_file_the_answer_under_each(linker, text, expected):
    segments = linker.link(text, open_round=3).segments
    assert [(s.question, s.text) for s in segments] == [(key, "we worked with the diaspora radio on both.") for key in expected]


def test_quantities_joined_by_and_are_not_keys(linker):
    (segment,) = linker.link("We reached 1.5 and 2.1 million people.", open_round=3).segments
    assert segment.text == "We reached 1.5 and 2.1 million people."


def test_a_numbered_list_on_one_line_may_skip_a_question_after_a_sentence_ends(linker):
    text = "1. We use radio programmes for the diaspora. 3. The main obstacle is funding."
    segments = linker.link(text, open_round=2).segments
    assert [(s.question, s.text) for s in segments] == [
        ("2.1", "We use radio programmes for the diaspora."),
        ("2.3", "The main obstacle is funding."),
    ]
    # Inside a sentence, a jump is a count.
    (counted,) = linker.link("1) oui, nous avons 3) partenaires", open_round=2).segments
    assert counted.text == "oui, nous avons 3) partenaires"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("That's my answer to Q2: we trained local staff.", [("2.2", "we trained local staff.")]),
        ("Voici ma réponse pour la question 3 : nous formons le personnel.", [("2.3", "nous formons le personnel.")]),
        (
            "Q1: radio programmes. And here is my answer for Q2: we trained staff.",
            [("2.1", "radio programmes."), ("2.2", "we trained staff.")],
        ),
        # A clause that only goes back to a round: no part of its own, to be asked about.
        ("Going back to last week, on question 1.5: political turnover.", [("1.5", "political turnover.")]),
        ("Je reviens sur la semaine 1, pour la question 3 : un réseau de villes.", [("1.3", "un réseau de villes.")]),
        # A clause that says something stays an answer of its own.
        ("We have a committee, and for Q3: a network.", [(None, "We have a committee"), ("2.3", "a network.")]),
    ],
)
def test_words_that_only_point_at_the_marker_are_part_of_it(linker, text, expected):
    assert [(s.question, s.text) for s in linker.link(text, open_round=2).segments] == expected


def test_a_question_named_in_brackets_with_see_is_a_passing_mention(linker):
    text = "We trained staff (see question 3: training) on remittances."
    (segment,) = linker.link(text, open_round=2).segments
    assert (segment.question, segment.text) == ("2.3", text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Quant à la deuxième, il faut un comité.", [("1.2", "il faut un comité.")]),
        ("As for the second one, a committee.", [("1.2", "a committee.")]),
        (
            "Sobre la primera pregunta, creo que los hermanamientos funcionan. En cuanto a la segunda, hace falta una mesa.",
            [("1.1", "creo que los hermanamientos funcionan."), ("1.2", "hace falta una mesa.")],
        ),
    ],
)
def test_an_ordinal_pointed_at_before_a_comma_names_its_question(linker, text, expected):
    assert [(s.question, s.text) for s in linker.link(text, open_round=1).segments] == expected


@pytest.mark.parametrize("text", ["First, we created a desk. Second, we trained staff.", "Premièrement, nous avons un guichet."])
def test_an_ordinal_that_counts_the_writers_own_points_names_no_question(linker, text):
    (segment,) = linker.link(text, open_round=1).segments
    assert segment.text == text and segment.method != "reference"


def test_a_key_pointed_at_inside_a_line_before_a_dash_or_colon_opens_its_answer(linker):
    segments = linker.link("Hi, quick one on 1.4 — Naga City has a migration desk.", open_round=1).segments
    assert [(s.question, s.text) for s in segments] == [("1.4", "Naga City has a migration desk.")]
    (in_passing,) = linker.link("Funds for 1.5 - 2 million people.", open_round=1).segments
    assert in_passing.text == "Funds for 1.5 - 2 million people." and in_passing.method != "reference"


def test_an_unmarked_answer_in_a_round_of_one_question_answers_it():
    questions = [
        LinkQuestion("1.1", 1, 1, {"en": "What do cities do to welcome newcomers?", "fr": "Que font les villes pour accueillir ?"}),
        LinkQuestion("1.2", 1, 2, {"en": "Which partners do you work with?", "fr": "Avec quels partenaires travaillez-vous ?"}),
        LinkQuestion("2.1", 2, 1, {"en": "What obstacles do you meet?", "fr": "Quels obstacles rencontrez-vous ?"}),
    ]
    linker = Linker(questions, ["en", "fr"])
    assert tied(linker, "Le principal obstacle reste le logement.", 2) == [("2.1", "content")]
    # In a round of two, the same kind of text is asked about.
    (unsure,) = linker.link("Le principal obstacle reste le logement.", open_round=1).segments
    assert unsure.question is None and set(unsure.candidates) == {"1.1", "1.2"}
