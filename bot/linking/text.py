"""Text helpers for the linker: folding, word stems, and what is not a contribution.

Everything here works on *folded* text: lower case, accents removed, typographic
quotes made plain, with every character kept at its place so that a position
found in the folded text is the same position in the original.
Word lists cover French, English and Spanish, and Portuguese and Italian loosely,
because contributors write in the discussion's languages and their neighbours.
"""

from __future__ import annotations

import re
import unicodedata


def _folding_table() -> dict[int, str]:
    table: dict[int, str] = {ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = unicodedata.normalize("NFD", char.lower())[0]
        if len(char.lower()) == 1 and base.isalpha():
            table[code] = base
    table.update({ord("’"): "'", ord("‘"): "'", ord("´"): "'", ord("`"): "'", ord("“"): '"', ord("”"): '"'})
    table.update({ord("«"): '"', ord("»"): '"', ord("–"): "-", ord("—"): "-", ord("\u00a0"): " ", ord("¿"): " ", ord("¡"): " "})
    table[ord("→")] = ">"  # "pregunta 1 y 4 → …" reads like "1 y 4 -> …"
    # A keycap emoji "1️⃣" is "1", a variation selector and an enclosing keycap: read "1 )" like "1)".
    table.update({0xFE0F: " ", 0x20E3: ")"})
    return table


_FOLDING = _folding_table()
_FOLDING_AFTER_LOWER = {chr(code): folded for code, folded in _FOLDING.items() if code > 127}
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")


def fold(text: str) -> str:
    """Lower case without accents, one character for one character."""
    lowered = text.lower()
    if len(lowered) != len(text):  # "İ" lowers to two characters: go one character at a time
        return text.translate(_FOLDING)
    if lowered.isascii():
        return lowered
    # Most characters are ASCII: replacing only the others is several times faster than translate.
    return _NOT_ASCII.sub(lambda m: _FOLDING_AFTER_LOWER.get(m.group(), m.group()), lowered)


WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")  # letters of every script: a Cyrillic answer has words too
# A link says nothing of its own: "https://…/migration-development-2012" is not an answer
# about migration, and a message that is only a link is not a contribution.
_URL = re.compile(r"\b(?:https?://|www\.)\S+")


def words(folded: str) -> list[str]:
    return WORD.findall(_URL.sub(" ", folded) if "http" in folded or "www." in folded else folded)


# Function words of the five languages: they say nothing about which question is answered.
# Nor do the words of asking, or "question" itself ("c'est une question de volonté politique").
STOPWORDS = frozenset(
    """
    a an the and or but if of to in on at by for with from as is are was were be been being it its this that these
    those there their they them we our us you your he she his her i me my do does did can could should would will may
    might must have has had not no so such than then also more most other some any each which who whom what when where
    why how all both about into over under between through during very just only own same too
    le la les l un une des du de d au aux et ou mais donc or ni car ce cet cette ces se sa son ses leur leurs nous vous
    ils elles il elle on je tu ne pas plus que qui quoi dont ou est sont etre ont avoir fait faire peut peuvent pour par
    sur dans avec sans sous entre afin comme tout tous toute toutes autre autres meme aussi tres bien
    el los las lo una unos unas del al y e o u pero sino que quien cual cuales como cuando donde es son ser han ha haber
    hacer puede pueden para por con sin sobre entre su sus nuestro nuestra nuestros nuestras mas muy tambien este esta
    estos estas ese esa eso otro otra otros otras mismo todo todos toda todas hay usted ustedes se le les
    os as um uma uns umas do da dos das no na nos nas em pelo pela pelos pelas ao aos seu sua seus suas nao sao foi
    il lo gli i della delle dei degli nel nella con per che non sono essere anche
    quel quelle quels quelles comment hacia qual quais
    question questions pregunta preguntas pergunta perguntas questao questoes domanda domande
    """.split()
)

STEM_LENGTH = 6  # a shared prefix ties "migration", "migración", "migrants" without a stemmer per language


def stem(word: str) -> str:
    """The word's first letters, a plural "s" aside: words under six letters are whole
    words, and "plans", "needs", "actors" must meet "plan", "need", "actor"."""
    return (word[:-1] if word.endswith("s") else word)[:STEM_LENGTH]


def content_stems(folded: str) -> list[str]:
    return [stem(w) for w in words(folded) if len(w) > 2 and w not in STOPWORDS and not w.isdigit()]


# --- What is not a contribution -------------------------------------------------------

_GREETINGS_AND_THANKS = frozenset(
    """
    hi hello hey dear morning afternoon evening hallo greetings welcome madam sir sirs bonjour bonsoir salut coucou
    congratulations congrats bravo felicitations felicidades enhorabuena parabens complimenti happy
    cher chers chere cheres madame monsieur mesdames messieurs hola buenos buenas buen dias tardes noches estimado
    estimados estimada estimadas querido queridos querida queridas senor senora senores senoras ola oi bom boa tarde
    ciao salve buongiorno buonasera caro cari cara care gentili gentile egregi egregio spettabile thanks thank thx ty
    tks cheers merci remercie remercions gracias agradezco agradecemos obrigado obrigada grazie regards saludos saludo
    cordialement cordial cordiales atentamente abrazo abrazos abraco abracos abbraccio atenciosamente saluti
    sorry apologies desole desolee pardon excusez perdon perdona perdonen disculpa disculpen disculpas desculpa desculpem
    scusa scusate scusami
    """.split()
)
_PHATIC_WORDS = _GREETINGS_AND_THANKS | frozenset(
    """
    hi hello hey dear good morning afternoon evening day hallo greetings welcome
    bonjour bonsoir salut coucou cher chers chere cheres
    hola buenos buenas buen dia dias tardes noches estimado estimados estimada estimadas querido queridos querida queridas
    ola oi bom boa tarde ciao salve buongiorno buonasera caro cari cara care
    thanks thank thx ty tks cheers merci remercie remercions gracias agradezco agradecemos obrigado obrigada grazie
    mille beaucoup muchas muchisimas many lot much
    ok okay k kk yes yep yeah no nope sure great cool nice noted agree agreed perfect fine got it understood
    oui non parfait super entendu compris accord
    si vale claro perfecto acuerdo entendido genial bueno
    sim certo tudo bene va
    all everyone everybody folks team colleagues friends community members participants group
    tous toutes tout monde collegues amis communaute membres participants
    todos todas todo colegas amigos amigas comunidad miembros participantes
    tutti colleghi
    to you for your the a à a de la le les el los las et and y e me te vous nous
    regards best kind warm wishes sincerely cordially yours
    cordialement amicalement salutations sinceres bien vous
    saludos cordiales saludo atentamente abrazo abrazos un pronto hasta luego
    abracos atenciosamente cordiali saluti
    forum foro discussion discusion discussao discussione debate participation participacion participar coparticipar participating
    conversation conversacion conversa conversazione gusto placer prazer piacere ravi ravie heureux heureuse encantado encantada
    test testing new year christmas holidays bonne annee feliz ano nuevo navidad buon anno natale organising organizing
    moderator moderators organiser organisers organizer organizers facilitator facilitators moderateur moderateurs
    animateur animateurs organisateurs moderador moderadores organizadores moderatori organizzatori
    your yours ton ta tes votre vos tu tua tuo seu sua vostro vostra
    m4d
    sorry late delay answer reply response desole retard reponse perdon disculpas disculpen tardanza demora respuesta rep resp
    retraso atraso ritardo
    english french spanish portuguese italian anglais francais espagnol portugais italien ingles espanol frances portugues
    italiano inglese francese spagnolo portoghese bad poor mauvais mal malo mio mi mon my
    """.split()
)
# What people add to thanks or a "+1" without saying anything on a question: "Thanks Daniel,
# very useful 👍", "Merci Aminata pour ce partage très riche", "muy interesante todo lo que se dice aquí".
_REACTION_WORDS = frozenset(
    """
    very really so most useful helpful interesting insightful inspiring rich great excellent wonderful valuable sharing
    share shared input contribution contributions experience experiences point exactly true indeed discussion far
    exchange exchanges testimony message messages post comment comments thoughts ideas lessons learned learnt
    tres vraiment utile utiles interessant interessante interessants riche riches excellent partage partager apport
    exactement vrai juste point discussion echange echanges temoignage commentaire commentaires idees appris
    muy mucho muchas interesante interesantes util utiles excelente valioso compartir compartido aporte aportes
    experiencia exactamente verdad dice dicho aqui discusion intercambio intercambios testimonio mensaje comentario
    comentarios ideas aprendido
    muito muita interessante util partilha partilhar compartilhar concordo plenamente exatamente verdade
    molto interessanti utile condivisione esattamente vero scambio testimonianza messaggio commento
    ottima ottimo ottime bellissima otima otimo bonne buena excellente excellentes excelentes super bravo
    exemple exemples example examples ejemplo ejemplos exemplo exemplos esempio
    """.split()
)
# "good point", "great idea", "bonne question": praise of someone else's message, no answer.
_PRAISED = frozenset(
    """point points said idea question job work pregunta idee domanda pergunta contribution contribucion contributo contribuicao
    apport aporte example exemple ejemplo exemplo esempio""".split()
)
_PRAISING = _PHATIC_WORDS | _REACTION_WORDS
_THANKED_OR_PRAISED = _GREETINGS_AND_THANKS | _PRAISED
_OWN_SIDE = frozenset(
    "we our us nous notre nos nosotros nosotras nuestro nuestra nuestros nuestras hemos hicimos noi nostro nostra nos nosso nossa".split()
)

_SIGN_OFF = re.compile(
    r"^\W*(?:best regards|kind regards|warm regards|regards|best wishes|all the best|best|cheers|sincerely|yours"
    r"|bien cordialement|cordialement|bien a vous|amicalement|salutations|avec mes salutations"
    r"|saludos cordiales|saludos|(?:un )?(?:cordial )?saludo|atentamente|hasta pronto|un abrazo|cordiales saludos"
    r"|atenciosamente|(?:um )?abracos?|beijos|(?:un )?abbraccio|cordiali saluti|distinti saluti)\b"
)

_GREETING_LEAD = (
    r"^\W*(?:(?:hi|hello|hey|dear|good|bonjour|bonsoir|salut|hola|buen[oa]?s?|ola|bom|boa|ciao|buongiorno)\b[^.!?\n]{0,40}?[,!.]\s*)?"
)
_SELF_INTRODUCTION = re.compile(
    _GREETING_LEAD + r"(?:my name is|je m'appelle|mon nom est|me llamo|mi nombre es|me chamo|chamo-me|meu nome e|mi chiamo"
    r"|i work (?:at|for|in|with)|je travaille (?:a|au|aux|pour|chez|dans)|trabajo (?:en|para|con)|trabalho (?:em|na|no|para)"
    r"|lavoro (?:a|per|presso|in)|i represent|je represente|represento|rappresento"
    r"|(?:i am|i'm|je suis|soy|sou|sono) (?:an? |the |une? |la |le |el |uno? |una |il |o |os |from |del? |da |di |member|membre"
    r"|miembro|direct|mayor|maire|alcald|research|cherch|investig|consult|coordinat|coordinad|head|chef|jef|responsable"
    r"|officer|charge|student|etudiant|estudiante|president|part of))"
)
# "I'm Ana", "Soy Patricio", "Marta here": the name is told by its capital letter, in the text as written.
_NAMING = re.compile(
    _GREETING_LEAD
    + r"(?:i am|i'm|this is|je suis|c'est|soy|sou|sono|aqui|(?:les|os|le|te) saluda|(?:je )?vous salue|(?:vos|os) sauda|vi saluta) "
)
_NAME_HERE = re.compile(_GREETING_LEAD + r"(?P<name>[^\W\d_]+(?:[ -][^\W\d_]+)?) (?:here|ici|aqui|qui)\b")

# Statements about the message itself rather than an answer: "I would like to share", "below please find".
_ABOUT_THE_MESSAGE = re.compile(
    r"\b(?:i would like to share|i'd like to share|i am glad to share|i'm glad to share|happy to share|glad to join"
    r"|below (?:please )?(?:find|are)|please find below|here (?:are|is) my|my (?:comments|remarks|contribution) (?:will|below|on|for|are)"
    r"|je voudrais partager|je souhaite partager|je me permets de partager|voici (?:ma|mes)|ci-dessous|ravie? de participer"
    r"|quisiera compartir|me gustaria compartir|les comparto|a continuacion|encantad[oa] de participar"
    r"|gostaria de partilhar|gostaria de compartilhar|vorrei condividere"
    # Which questions follow: "Respondo a las tres primeras:", "my answers:".
    r"|(?:mes|mis|my|as minhas|le mie) (?:reponses|respuestas|answers|respostas|risposte)"
    r"|(?:je reponds|respondo|i(?:'ll| will)? answer|rispondo) (?:a |aux |to |alle )?(?:las |les |the |os |as |le )?(?:\w+ )?(?:premieres|primeras|first|primeiras|prime|questions|preguntas|perguntas|domande)"
    # Where the answers are: "See answers below in blue.", "réponses dans le texte", "respuestas en rojo".
    r"|see (?:my |our )?(?:answers |responses |comments )?(?:below|inline|in (?:the )?text)"
    r"|(?:answers|responses|comments) (?:are )?(?:below|inline|in (?:the )?text|in (?:blue|red|green))"
    r"|(?:reponses|commentaires) (?:sont )?(?:dans le texte|en (?:rouge|bleu|vert))"
    r"|(?:respuestas|comentarios) (?:van |estan )?(?:abajo|en el texto|en (?:rojo|azul|verde))|ver (?:mas )?abajo"
    # Just arrived: "Just joined.", "je viens de m'inscrire", "acabo de unirme".
    r"|just (?:joined|signed up|arrived)|new (?:here|member)|je viens (?:de rejoindre|de m'inscrire|d'arriver)"
    r"|acabo de (?:unirme|inscribirme|llegar|entrar)|acabei de (?:entrar|chegar)|appena (?:iscritt|arrivat)[oa]"
    r"|me (?:uno|sumo) a (?:la |esta )?(?:conversacion|discusion)|je (?:rejoins|me joins a) (?:la |cette )?(?:discussion|conversation)"
    r"|(?:i'm |i am )?joining (?:the |this )?(?:discussion|conversation))\b"
)

# Agreeing with someone else's message, alone or pointing at it: "+1", "agree with Daniel",
# "+1 to what Ahmed said about radios", "de acuerdo con Ana". What follows anything else
# is the participant's own answer: "totally agree, the municipality has to lead this".
_ENDORSEMENT = re.compile(
    r"^[^\w+]*(?:\+ ?1\b|(?:i |we )?(?:totally |fully |completely )?(?:agree|agreed)\b|same here|me too"
    r"|(?:je suis |tout a fait )?d'accord\b|moi aussi|(?:estoy |estamos )?(?:totalmente )?de acuerdo\b|yo tambien"
    r"|(?:sono )?d'accordo\b|concordo\b)"
    r"(?:\W*$|[ \t]+(?:with|to|avec|con|com|a|what)\b)"
)
_ENDORSED_WORDS = frozenset("said says wrote writes mentioned point dit ecrit dijo dice escribio disse detto".split())
# More than a name and a word of what it said, and it is an answer of its own:
# "agree with Daniel that radios reach people in the villages".
_ENDORSEMENT_MAX_OTHER_WORDS = 2

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def is_endorsement(folded: str) -> bool:
    """Agreeing with someone else's message somewhere in the text: "+1", "I agree with Ana on question 2"."""
    return any(_ENDORSEMENT.match(sentence) for sentence in sentences(folded))


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def is_phatic_sentence(folded_sentence: str) -> bool:
    """A greeting, thanks, "ok", a sign-off, a "+1": no opinion on any question."""
    tokens = words(folded_sentence)
    if not tokens:
        return True  # emoji, punctuation
    if endorsement := _ENDORSEMENT.match(folded_sentence):
        rest = words(folded_sentence[endorsement.end() :])
        others = [t for t in rest if t not in _PHATIC_WORDS and t not in STOPWORDS and t not in _ENDORSED_WORDS]
        return len(others) <= _ENDORSEMENT_MAX_OTHER_WORDS
    # "we did exactly that" tells what the writer's side did: an answer, not a reaction.
    reaction = _REACTION_WORDS if _OWN_SIDE.isdisjoint(tokens) else frozenset()
    others = [t for t in tokens if t not in _PHATIC_WORDS and t not in STOPWORDS and t not in reaction]
    if not others:
        return True
    # A name or two after a greeting or thanks ("Hola Ana", "Merci à l'équipe ICMD"), but
    # not after "yes": "yes, in Batangas they did" answers something.
    greets = (
        tokens[0] in _GREETINGS_AND_THANKS
        # "many thanks", "buenos días", "good point", "bonne question"
        or (len(tokens) > 1 and tokens[0] in _PRAISING and tokens[1] in _THANKED_OR_PRAISED)
        or _SIGN_OFF.match(folded_sentence)
    )
    return bool(greets) and len(others) <= 2


# A heading over the answers that follow: "Réponses :", "My answers:", "Estas son nuestras respuestas".
_ANSWERS_HEADING = re.compile(
    r"\W*(?:(?:voici|here are|aqui|ecco|estas son|these are)\s+)?(?:(?:mes|mis|my|as minhas|le mie|nos|nuestras|our)\s+)?"
    r"(?:reponses|answers|respuestas|respostas|risposte|contributions|contribuciones|contributi)\W*"
)


def is_introduction(sentence: str) -> bool:
    folded = fold(sentence)
    if _SELF_INTRODUCTION.match(folded) or _ABOUT_THE_MESSAGE.search(folded) or _ANSWERS_HEADING.fullmatch(folded):
        return True
    naming = _NAMING.match(folded)
    if naming is not None and sentence[naming.end() : naming.end() + 1].isupper():
        return True
    # Every word of the name written with a capital, none a common word: "Ce qui manque…",
    # "En ce qui concerne…" start an answer, "Marco qui" introduces Marco.
    here = _NAME_HERE.match(folded)
    return here is not None and all(
        name[0].isupper() and name.lower() not in STOPWORDS for name in re.split(r"[ -]", sentence[here.start("name") : here.end("name")])
    )


# Saying an answer will come later is no answer yet: "I'll send my answers next week", "Je répondrai demain".
# The present tense says it as well, with a time: "Q2 je réponds ce soir", "I'll do Q3 later".
_LATER = re.compile(
    r"\b(?:(?:will|'ll|going to|shall) (?:answer|reply|respond|send|share|contribute|write|post|come back|do|get back)"
    r"|(?:repondrai|enverrai|partagerai|contribuerai|ecrirai|reviendrai|vais repondre|vais envoyer|vais partager)"
    r"|(?:je (?:vous |te )?reponds|je reviens vers|(?:je )?(?:dois|doit) (?:verifier|voir|consulter))"
    r"|(?:respondere|enviare|compartire|contribuire|escribire|voy a (?:responder|enviar|compartir|contestar)|contestare)"
    r"|(?:(?:les |te |lhes )?(?:respondo|contesto|mando|envio)|mandare|tengo que (?:verificar|consultar|ver)|debo (?:verificar|consultar))"
    r"|(?:responderei|enviarei|mandarei|partilharei|vou (?:responder|enviar|mandar|partilhar)|preciso (?:de )?verificar)"
    r"|(?:rispondero|inviero|mandero|condividero|rispondo|devo verificare)|(?:need|have|must) to check"
    r"|j'envoie|je (?:vous|te) envoie|(?:i'm|i am) (?:sending|answering|replying|posting))\b"
)
# When: without it, "we will share our experience: a council" goes on to answer.
_LATER_WHEN = re.compile(
    r"\b(?:later|tomorrow|soon|next week|tonight|shortly|asap|plus tard|demain|bientot|semaine prochaine|ce soir"
    r"|mas tarde|manana|pronto|proxima semana|semana que (?:viene|vem)|semana proxima|esta noche|mais tarde|amanha|em breve"
    r"|piu tardi|domani|presto|prossima settimana|settimana prossima"
    r"|in a (?:few|couple of) days|dans (?:quelques|deux|trois) jours|en (?:unos|pocos|unos pocos) dias|(?:em|daqui a) (?:alguns|poucos|uns) dias"
    r"|(?:tra|fra) (?:qualche|pochi) giorni"
    r"|(?:this|next|the) weekend|(?:ce|le) week-?end|este fin de semana|el fin de semana|este fim de semana|questo fine settimana)\b"
)
PROMISE_MAX_WORDS = 12


# The answer is in a later message: "in my next message", "dans le message suivant", "… suit.".
_IN_THE_NEXT_MESSAGE = re.compile(
    r"\b(?:next|prochain|siguiente|proximo|proxima|prossimo|separate|separe|aparte) (?:message|mail|e-?mail|courriel|mensaje|correo|mensagem|messaggio)\b"
    r"|\b(?:message|mail|courriel|mensaje|correo|mensagem|messaggio) (?:suivant|siguiente|seguinte|successivo)\b"
    r"|\b(?:follows|to follow|suit|sigue|segue)\W*$"
)
NEXT_MESSAGE_MAX_WORDS = 14
# All the words of such a text: any other is the start of an answer ("Q2: a committee, more in my next message").
_POINTING_AHEAD_STEMS = frozenset(
    stem(word)
    for word in """i'll will we'll answer answers reply respond next message mail email courriel follows follow coming send
    mon mes notre prochain prochaine suivant suit repond reponds reponse reponses enverrai envoie respondo responderemos
    respuesta respuestas siguiente mensaje correo proximo proxima sigue enviare enviaremos question questions pregunta
    preguntas pergunta questao domanda point punto separate separe separado aparte voici aqui here ecco our nuestra
    nuestro resposta responderei mensagem segue""".split()
)


def points_to_the_next_message(folded: str) -> bool:
    """A short text saying that the answer comes in a later message, and nothing more ("I'll answer 1.3 in my next message")."""
    return (
        len(words(folded)) <= NEXT_MESSAGE_MAX_WORDS
        and bool(_IN_THE_NEXT_MESSAGE.search(folded))
        and all(word_stem in _POINTING_AHEAD_STEMS for word_stem in content_stems(folded))
    )


def is_promise(folded_sentence: str) -> bool:
    """ "I'll send my answers next week": an answer announced for later, none yet."""
    return len(words(folded_sentence)) <= PROMISE_MAX_WORDS and bool(_LATER.search(folded_sentence) and _LATER_WHEN.search(folded_sentence))


# Saying one has nothing to say on it: "Nothing to add for now.", "No tengo experiencia en este tema.",
# "Nothing yet on 1.4", "N/A", "Rien pour l'instant".
_NOTHING_TO_ADD = re.compile(
    r"^\W*(?:(?:i have |i've |we have )?nothing (?:more |else )?to (?:add|say|share)|no comments?|(?:i have |we have )?no experience"
    r"|nothing (?:yet|for now|so far)|no opinion|n/a(?!\w)"
    r"|(?:je n'ai |nous n'avons )?rien (?:de plus )?a (?:ajouter|dire)|pas de commentaires?|(?:je n'ai |nous n'avons )?(?:pas|aucune) d'?experience"
    r"|rien (?:pour (?:l'? ?instant|le moment)|encore|a signaler)|ras(?=\W*$)|(?:je n'? ?ai |nous n'? ?avons )?pas d'? ?avis"
    r"|(?:no tengo |no tenemos )?nada (?:mas )?(?:que|para) (?:anadir|agregar|decir|aportar)|sin comentarios|no (?:tengo|tenemos) experiencia"
    r"|nada (?:por ahora|todavia|aun)|(?:todavia|aun) nada|sin opinion"
    r"|(?:nao tenho |nao temos )?nada a (?:acrescentar|dizer)|(?:nao tenho|nao temos) experiencia|(?:non ho |non abbiamo )?niente da aggiungere"
    r"|nada ainda|ainda nada|sem comentarios?|niente per ora|nessun commento|(?:non ho |non abbiamo )?(?:nessuna )?esperienza"
    # "I don't know." alone, not "I don't know of any example" (which answers "do you know of any?").
    r"|(?:(?:i |we )?(?:don'?t|do not) know|je ne sais pas|(?:je n'en sais|on ne sait) rien|no (?:lo )?se|nao sei|non (?:lo )?so)(?=\W*$))\b"
)
NOTHING_TO_ADD_MAX_WORDS = 10


def has_nothing_to_add(folded_sentence: str) -> bool:
    return len(words(folded_sentence)) <= NOTHING_TO_ADD_MAX_WORDS and bool(_NOTHING_TO_ADD.match(folded_sentence))


def declines(text: str) -> bool:
    """Saying one has nothing to add (yet), with at most greetings, thanks or an apology around
    it: "no comment.", "N/A", "Nothing yet on 1.4, sorry.". No answer to file."""
    folded = [fold(s) for s in sentences(text)]
    return any(has_nothing_to_add(s) for s in folded) and all(has_nothing_to_add(s) or is_phatic_sentence(s) for s in folded)


# Pointing back at what the writer said before, and at most at the question it was for: "That's my
# take on Q1.5.", "C'était ma réponse à la question 1.3.", "Eso es lo que pienso sobre la pregunta 2.".
# Closing an answer, it names that answer's question (`Linker`); alone, it answers nothing: the answer
# was in an earlier message. After "that's", only words of what was said, function words and the
# question's number may follow: "That's what we do in Lyon" says something of its own.
_LOOKING_BACK_OPENING = re.compile(
    r"^\W*(?:(?:so|well|anyway|bon|bref|donc|enfin|pues|bueno|en fin|bom|enfim|allora)\W+)?"
    r"(?:that'?s|that (?:is|was)|this was|those (?:are|were)|these were|c'est|c'etait|ce sont|ce furent|voila|telle? (?:est|etait)"
    r"|es[aeo]s? (?:es|son|fue|fueron|era)|est[aeo]s? (?:fue|fueron|era)|ess[ae]s? (?:e|sao|foi|foram|era)|isso (?:e|foi|era)"
    r"|quest[oa] (?:e|era)|quell[oa] (?:e|era)|ecco)\b"
)
_WHAT_WAS_SAID = frozenset(
    """my mon ma mes notre mi mis meu minha nosso nossa mio mia nostro nostra all tout todo tudo tutto
    take answer answers reply response view views opinion opinions thoughts input contribution two cents humble think thought say said
    avis reponse reponses pense pensons grain sel deux centimes respuesta respuestas aporte pienso opino creo pensamos granito arena
    resposta opiniao penso acho risposta parere contributo""".split()
)
LOOKING_BACK_MAX_WORDS = 12


def looks_back(folded_sentence: str) -> bool:
    """ "That's my take on Q1.5.": a sentence that only points back at what the writer said before."""
    opening = _LOOKING_BACK_OPENING.match(folded_sentence)
    if opening is None or len(words(folded_sentence)) > LOOKING_BACK_MAX_WORDS:
        return False
    rest = words(folded_sentence[opening.end() :])
    # A question's number: "q1", "5" in "Q1.5", "p2"; "q" of "Q 2".
    return bool(rest) and all(w in STOPWORDS or w in _WHAT_WAS_SAID or len(w) == 1 or any(c.isdigit() for c in w) for w in rest)


# Saying which question the message before answered: "that was for question 2", "I meant Q2", "wrong
# question, it's 1.2", "c'était ma réponse à la question 1.3", "me equivoqué, era la pregunta 2".
_CORRECTING = re.compile(
    r"\b(?:(?:that|this|it) (?:was|is)|that'?s|it'?s|(?:i )?meant|wrong question|my mistake|(?:it|that) should (?:be|have been)"
    r"|c'etait|c'est|je voulais dire|mauvaise question|je me suis trompee?|erreur|(?:eso |esto )?(?:era|es)|quise decir|queria decir"
    r"|pregunta equivocada|me equivoque|error|(?:isso )?(?:era|e)|eu quis dizer|pergunta errada|errei)\b"
)


CORRECTION_REFERENCE_WORDS = 4  # "la troisième question", "question 1 de la semaine 2": what a reference may add
_CORRECTING_WORDS = frozenset(
    """that this it was is s meant mean wrong mistake should be have been for about answer reply meant oops
    c etait est pour voulais dire mauvaise suis trompe trompee erreur reponse eso esto era es para quise queria decir equivocada
    equivoque error respuesta isso foi quis dizer errada errei resposta question questions pregunta preguntas pergunta domanda
    q p point punto ponto number numero one it's that's c'est c'etait""".split()
)


def may_correct_the_message_before(folded: str) -> bool:
    """A first look, its question references still in: short, with a correcting word ("that was for", "I meant")."""
    return len(words(folded)) <= LOOKING_BACK_MAX_WORDS + CORRECTION_REFERENCE_WORDS and _CORRECTING.search(folded) is not None


def corrects_the_message_before(folded_without_references: str) -> bool:
    """ "Sorry, that was for question 2.", "I meant Q2", "me equivoqué, era la pregunta 2": a short message that only says which
    question the writer's message before answered, once its question references are taken out (the linker's part)."""
    found = words(folded_without_references)
    return (
        len(found) <= LOOKING_BACK_MAX_WORDS
        and _CORRECTING.search(folded_without_references) is not None
        and all(
            w in STOPWORDS or w in _PHATIC_WORDS or w in _CORRECTING_WORDS or w in _WHAT_WAS_SAID or w.isdigit() or len(w) == 1
            for w in found
        )
    )


# "My answers: 1) we twin with Dakar 2) …": the heading's colon opens the answers themselves.
_ANSWERED_AFTER_COLON = re.compile(r":[^\w\n]*\w")
BARE_INTRODUCTION_WORDS = 40  # longer "introductions" usually carry an answer: leave them to the linker


def is_not_a_contribution(text: str, folded: str) -> bool:
    """Only greetings, thanks and acknowledgements, a signature, or a short bare self-introduction,
    promise, "nothing to add" or look back at what the writer said before."""
    if len(folded) > BARE_INTRODUCTION_WORDS * 20 and not is_phatic_sentence(folded[:200]):
        return False  # a long message that does not open with a greeting: no need to read it all
    parts = sentences(text)
    if all(is_phatic_sentence(fold(s)) for s in parts) or is_signature_alone(text, folded):
        return True
    return len(words(folded)) <= BARE_INTRODUCTION_WORDS and all(
        is_phatic_sentence(fold(s))
        or (is_introduction(s) and not _ANSWERED_AFTER_COLON.search(s))
        or is_promise(fold(s))
        or has_nothing_to_add(fold(s))
        or looks_back(fold(s))
        for s in parts
    )


def preamble_end(text: str) -> int:
    """Where the contribution starts in text that comes before a message's first marker.

    Returns len(text) when the whole preamble is greetings, introduction or talk
    about the message ("Dear colleagues, I am ... I would like to share ..."):
    a paragraph that opens that way is taken whole, since the sentences after
    "I am X" go on introducing X.
    """
    for paragraph in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]*)*", text):
        first = sentences(paragraph.group())
        if first and not (is_phatic_sentence(fold(first[0])) or is_introduction(first[0])):
            return paragraph.start()
    return len(text)


def leading_phatic_end(text: str, folded: str) -> int:
    """Where the substance starts once leading greetings, thanks and a one-line introduction
    are skipped ("Hola a todos! ...", "Dear all, Marta here from Turin.")."""
    position = 0
    for match in re.finditer(r".+?(?:[.!?…]+(?=\s)|\n|$)", folded, re.S):
        if match.group().strip() and not is_phatic_sentence(match.group()) and not is_introduction(text[match.start() : match.end()]):
            return match.start()
        position = match.end()
    return position


# Closing words that are no part of the answer: "mon grain de sel.", "Hope this helps!".
_CLOSING_REMARK = re.compile(
    r"(?:^|(?<=[.!?\n]))\s*(?:(?:that's |c'est |voila |eso es )?(?:my|mon|mes|mis|mi|il mio|o meu) (?:two cents|grain de sel|deux centimes|dos centavos|granito de arena)"
    r"|hope (?:this|it) helps|j'espere que (?:ca|cela) (?:aide|peut aider)|espero que (?:sirva|ayude)|spero (?:sia|possa essere) utile"
    r"|(?:nous restons|je reste|quedo|quedamos|resto|fico) (?:a|à) (?:votre|vos|su|vuestra|sua|vostra|vossa) (?:entiere )?disposi\w*(?: pour tout complement)?"
    r"|je vous prie de croire[^.!?\n]*|thanks? (?:you )?for reading|merci de votre attention|gracias por su atencion"
    r"|hope (?:this|it|that) (?:is |was )?(?:useful|helpful|of use)|j'espere que (?:ca|cela) (?:sera|pourra etre) utile"
    r"|looking forward to[^.!?\n]*|au plaisir de[^.!?\n]*|quedo (?:a la espera|atent[oa])[^.!?\n]*|fico no aguardo[^.!?\n]*"
    r"|(?:have|wish you) a (?:nice|good|great|lovely) (?:day|week|weekend|evening)[^.!?\n]*"
    r"|(?:bonne|excellente) (?:journee|soiree|semaine|fin de semaine|continuation)[^.!?\n]*"
    r"|(?:buen|feliz) (?:dia|fin de semana)[^.!?\n]*|(?:buena|feliz) semana[^.!?\n]*|bom fim de semana[^.!?\n]*"
    r"|buona (?:giornata|settimana|serata)[^.!?\n]*"
    r"|please|pls|plz|svp|stp|s'il (?:te|vous) plait|por favor|per favore"  # "1.2 please": nothing of an answer
    # What a phone or a mail program adds: "Sent from my iPhone".
    r"|(?:sent from my|envoye de mon|envoye depuis mon|enviado desde mi|enviado do meu|inviato dal mio) [^\n]*"
    r"|(?:sent from|enviado desde|envoye depuis|enviado do) (?:yahoo|outlook|samsung|correo|mail|gmail|aol|proton)[^\n]*)\W*$"
)
# "Thanks,\nAhmed": thanks on a line of their own close a message only when what follows reads
# as a signature; "Merci Daniel.\nChez nous aussi…" goes on answering.
_THANKS_LINE = re.compile(r"^\W*(?:many thanks|thanks again|thank you|thanks|merci|muchas gracias|gracias|grazie|obrigad[oa])\b")
SIGNATURE_MAX_LINES = 6
SIGNATURE_LINE_MAX_WORDS = 8
_SIGNATURE_DELIMITER = re.compile(r"^--[ \t]*$", re.M)  # the mail programs' "-- " line before a signature
CLOSING_SIGN_OFF_MAX_WORDS = 8  # "Un saludo desde Quito, María José"


def sign_off_start(folded: str) -> int:
    """Where a closing formula and signature start ("Best regards,\\n\\nDaniel", "mon grain de sel."), or len(folded)."""
    tail_from = max(0, len(folded) - 400)
    for line in re.finditer(r"^[^\n]*$", folded, re.M):
        if line.start() < tail_from or len(words(line.group())) > 5:
            continue
        if _SIGN_OFF.match(line.group()) or (_THANKS_LINE.match(line.group()) and _reads_as_signature(folded[line.end() :])):
            end = line.start()
            break
    else:
        end = len(folded)
    if delimiter := _SIGNATURE_DELIMITER.search(folded, tail_from, end):
        end = delimiter.start()
    remark = _CLOSING_REMARK.search(folded, max(0, end - 160), end)
    return _closing_sentences_start(folded, remark.start() if remark else end)


def is_signature_alone(text: str, folded: str) -> bool:
    """ "Best regards,\nJohn Smith\nMayor's office, Accra": a sign-off line, then lines that each
    start with a capital, as names and organisations do ("Saludos,\nusamos la radio" answers)."""
    first_line_end = folded.find("\n")
    if first_line_end < 0 or not _SIGN_OFF.match(folded[:first_line_end]) or len(words(folded[:first_line_end])) > 5:
        return False
    rest = [line.strip() for line in text[first_line_end + 1 :].splitlines() if line.strip()]
    return _reads_as_signature(folded[first_line_end + 1 :]) and all(line[0].isupper() for line in rest)


def _reads_as_signature(folded: str) -> bool:
    lines = [line for line in folded.splitlines() if line.strip()]
    return len(lines) <= SIGNATURE_MAX_LINES and all(len(words(line)) <= SIGNATURE_LINE_MAX_WORDS for line in lines)


def _says_nothing(sentence: str) -> bool:
    """A greeting, thanks, or a sentence that only takes leave ("Bonne journée à tous !", "Un saludo")."""
    return (
        is_phatic_sentence(sentence)
        or bool(_CLOSING_REMARK.match(sentence))
        or (bool(_SIGN_OFF.match(sentence)) and len(words(sentence)) <= CLOSING_SIGN_OFF_MAX_WORDS)
    )


def _closing_sentences_start(folded: str, end: int) -> int:
    """Where the sentences that only take leave start ("Many thanks to the organisers!", "Un
    saludo desde Quito, María José", "Bonne journée à tous !"), or `end`; never the whole text."""
    # Each sentence from where the space before it starts ("¡" folds to a space) to where it starts.
    breaks = [(0, 0), *(m.span() for m in _SENTENCE_END.finditer(folded, max(0, end - 400), end))]
    position = end
    for space_start, start in reversed(breaks):
        if start == 0:
            break  # the first sentence stays
        sentence = folded[start:position]
        if start >= position or not sentence.strip():
            continue
        if not _says_nothing(sentence):
            break
        position = space_start
    return position


# --- Questions to the organisers ----------------------------------------------------------

DEADLINE = "deadline"
TO_ORGANISERS = "organisers"
HOW_TO_TAKE_PART = "how"
ORGANISER_QUESTION_MAX_WORDS = 30
_DEADLINE = re.compile(
    r"\b(?:deadline|due|closes?|closing|ends?(?![ \t-]+(?:goals?|users?|results?|products?|points?))|the end of|date limite|ferme|se termine|termine|finit|finira|la fin d[eu]"
    r"|jusqu'a quand|fecha limite|plazo|cierra|termina|acaba|el final de|el fin de|hasta cuando|prazo|fecha|encerra|o fim d[aeo]"
    r"|scadenza|chiude|finisce|la fine d[ie]|until when)\b"
)
# What participants ask the organisers about rather than answer: the e-discussion itself.
_ABOUT_THE_DISCUSSION = re.compile(
    r"\b(?:report|rapport|informe|relatorio|rapporto|webinar|webinaire|pdf|documents?|documentos?|attach\w*|joindre"
    r"|send|envoyer|enviar|mandar|inviare|lists?|listes?|listas?|participants|participantes|partecipanti|links?|liens?"
    r"|enlaces?|publish\w*|publie\w*|publica\w*|pubblica\w*|results?|resultats?|resultados?|risultati|certificat\w*"
    r"|regist\w*|inscri\w*|other(?:s'|s)? answers|reponses des autres|respuestas de los demas|respostas dos outros"
    r"|where can i|ou puis-je|donde puedo|onde posso|dove posso|how do i|comment (?:faire|puis-je)|como (?:puedo|posso)|come posso"
    r"|altre risposte|risposte degli altri"
    r"|round|semaine prochaine|next week|proxima semana|prochaine question|next question|still open|encore ouverte?"
    r"|sigue abierta|todavia abierta|ainda aberta|ancora aperta|how many questions|combien de questions|cuantas preguntas"
    r"|quantas perguntas|quante domande|(?:en|in) (?:plusieurs fois|several (?:messages|times|parts)|varias veces|varios mensajes)"
    r"|quelqu'un|anyone|anybody|alguien|alguem|qualcuno|who else|qui d'autre|quien mas|quem mais|chi altro"
    r"|(?:explain|clarify|tell us more)|(?:expliquer|preciser|en dire plus)|(?:explicar|aclarar|contarnos mas)|spiegare"
    # Whether one may still or also take part: "is it still possible to answer last week's questions?"
    r"|(?:possible|allowed|too late|ok|okay) to (?:answer|reply|respond|contribute|post|write)|(?:can|could|may) (?:i|we) still"
    r"|possible de (?:repondre|contribuer|participer|ecrire)|trop tard pour|(?:puis-je|peut-on|pouvons-nous) encore"
    r"|posible (?:responder|contribuir|participar|escribir)|(?:puedo|podemos) (?:todavia|aun)"
    r"|possivel (?:responder|contribuir|participar)|(?:posso|podemos) ainda|possibile (?:rispondere|contribuire|partecipare)"
    # What is done with what they give: "Why do you need my name?", "¿Quién verá mis datos?"
    r"|my (?:name|data|details|personal)|mon nom|mes (?:donnees|coordonnees)|mi nombre|mis datos|meu nome|meus dados"
    r"|il mio nome|i miei dati|privacy|confidenti\w*|anonym\w*|anonim\w*"
    # In which language one may write: "Can I answer in Portuguese?"
    r"|english|anglais|ingles|inglese|french|francais|frances|francese|spanish|espagnol|espanol|spagnolo|portuguese|portugais"
    r"|portugues|portoghese|italian|italien|italiano|arabic|arabe|languages?|langues?|idiomas?|lenguas?|lingua|traduc\w*|translat\w*)\b"
)
# What a question means, or more about someone's answer: "what do you mean by RLAs?", "does Q2 refer to…?".
# Asked with a question's number, it is still a question to the organisers, not an answer.
_ABOUT_WHAT_IT_MEANS = re.compile(
    r"\b(?:mean(?:s|t)?|stand for|(?:don't|do not|didn't) understand|refers? to"
    r"|(?:veut|voulez|veulent|vouliez)(?:-vous)? dire|signifie|comprends pas|entend(?:ez|-on)?(?:-vous)? par|entendu par"
    r"|(?:est-ce que|est-ce qu'|elle) (?:la question \d |la \d )?concerne|significa|(?:quiere|quieren|quieres|quiso|quisieron) decir"
    r"|entiende[ns]? por|no entiendo|se refieren?|(?:quer|querem|queres|quis|quiseram) dizer|entende[ms]? por|se referem?"
    r"|nao entendo|nao percebo|(?:vuol|vuole|volete|vogliono) dire|non capisco|si riferisce|intende(?:te)? (?:per|con)"
    # Asked to say it again: "Could you rephrase question 3?", "Pourriez-vous préciser la 2 ?"
    r"|(?:could|can|would) you (?:please )?(?:rephrase|reword|clarify|explain)|(?:pourriez|pouvez)-vous (?:reformuler|preciser|expliquer|clarifier)"
    r"|(?:podria|podrian|puede|pueden) (?:reformular|aclarar|explicar|precisar)|(?:poderia|podem) (?:reformular|esclarecer|explicar))\b"
)
# "What now?", "¿qué hago?", "comment ça marche ?": the whole message asks what to do, which the
# open round's questions answer. Matched on all of it: "how do I send a report?" is for the organisers.
_WHAT_TO_DO = re.compile(
    r"(?:(?:hi|hello|hey|ok|okay|so|and|now|bonjour|salut|bon|et|alors|maintenant|hola|buenas|buenos dias|y|entonces|ahora|ola|oi|bom dia"
    r"|e|agora|ciao)[ \t,!.]+){0,2}"
    r"(?:help|aide|ayuda|ajuda|aiuto|what now|and now|now what|what next|what's next|et maintenant|et ensuite|y ahora|e agora"
    r"|what (?:do|should|shall|must|can) (?:i|we) do(?: now| next| here)?|what (?:am i|are we) (?:supposed|meant) to do(?: now| here)?"
    r"|what do (?:i|we) have to do(?: now| here)?|how does (?:this|it) work|how (?:do|can) (?:i|we) (?:answer|reply|participate|take part|contribute)"
    r"|que (?:dois-je|faut-il|devons-nous|dois je|faut il) faire(?: maintenant)?|qu'est-ce que (?:je dois|il faut|on doit) faire(?: maintenant)?"
    r"|(?:je|on) fais? quoi(?: maintenant)?|comment (?:ca marche|ca fonctionne|participer|repondre|je reponds|on repond)"
    r"|que (?:hago|tengo que hacer|debo hacer|hacemos|hay que hacer)(?: ahora)?|como funciona(?: esto)?|como (?:participo|respondo|contesto|participar|responder)"
    r"|o que (?:faco|devo fazer|tenho que fazer|fazemos)(?: agora)?|como (?:funciona isto|participar|responder))"
)
_ASKING = re.compile(r"\?|^\W*(?:when|where|how|can|could|is|are|will|quand|ou|comment|est-ce|cuando|donde|como|puedo|quando|onde|posso)\b")


def _asks_what_to_do(folded: str) -> bool:
    """Every sentence asks what to do, or greets, thanks or takes leave: "Hello! What should I do? Thanks"."""
    parts = [part.strip(" \t\n!?¿¡.,:;…") for part in sentences(folded)]
    asking = [bool(_WHAT_TO_DO.fullmatch(part)) for part in parts]
    return any(asking) and all(asks or _says_nothing(part) for asks, part in zip(asking, parts, strict=True))


def organiser_question(folded: str) -> str | None:
    """DEADLINE, HOW_TO_TAKE_PART or TO_ORGANISERS for a short question about the e-discussion
    itself ("what is the deadline for this week?", "what now?", "Can I send a document in PDF?"),
    else None."""
    if _asks_what_to_do(folded):
        return HOW_TO_TAKE_PART
    if len(words(folded)) > ORGANISER_QUESTION_MAX_WORDS or not _ASKING.search(folded):
        return None
    # "We use the radio. Can I send our report?" answers too: only questions, and greetings, here.
    # "Sorry, I don't understand question 3." says what the question after it asks.
    if not all(
        _ASKING.search(sentence) or is_phatic_sentence(sentence) or _ABOUT_WHAT_IT_MEANS.search(sentence) for sentence in sentences(folded)
    ):
        return None
    if _DEADLINE.search(folded):
        return DEADLINE
    return TO_ORGANISERS if _ABOUT_THE_DISCUSSION.search(folded) or _ABOUT_WHAT_IT_MEANS.search(folded) else None


def asks_what_it_means(folded: str, asks: str | None) -> bool:
    """ "¿La pregunta 3 se refiere a los gobiernos locales?": about a question, which its marker
    names. `asks`: what `organiser_question` found in the same text."""
    return asks == TO_ORGANISERS and bool(_ABOUT_WHAT_IT_MEANS.search(folded))
