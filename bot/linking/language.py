"""Which language a message is written in, among the discussion's languages and their neighbours.

py3langid is reliable on sentences but not on "hola" or "ok": for very short texts a
few unmistakable words decide, then the participant's known language, then the model.
"""

from __future__ import annotations

from functools import lru_cache

from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from bot.linking.text import fold, words

# Languages contributors slip into besides the discussion's own.
NEIGHBOURS = ("en", "fr", "es", "pt", "it", "de")
SHORT_TEXT_LETTERS = 30  # below this, the model's guess is little better than chance
CONFIDENT = 0.9
MODEL_SAMPLE_CHARS = 400  # the start of a long message says its language; reading it all costs time

_SHORT_WORDS = {
    "en": "hi hello hey thanks thank thx yes yeah agree dear regards cheers the and question week answer is of",
    "fr": "bonjour bonsoir salut merci oui cordialement chers cher d'accord semaine je suis avec reponse les des une est",
    "es": "hola gracias saludos buenos buenas vale claro acuerdo estimados pregunta semana si estoy respuesta los las",
    "pt": "ola obrigado obrigada bom boa sim pergunta semana abracos",
    "it": "ciao grazie buongiorno salve domanda settimana sono",
    "de": "hallo danke ja guten frage woche",
}


@lru_cache(maxsize=8)
def _identifier(languages: tuple[str, ...]) -> LanguageIdentifier:
    """The model restricted to those of `languages` it knows."""
    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages([lang for lang in languages if lang in identifier.nb_classes])
    return identifier


class LanguageGuesser:
    def __init__(self, languages: tuple[str, ...]):
        self.languages = languages
        self._identifier = _identifier(tuple(dict.fromkeys(languages + NEIGHBOURS)))
        candidates = set(self._identifier.nb_classes)
        self._short_words = {word: language for language, text in _SHORT_WORDS.items() if language in candidates for word in text.split()}

    @staticmethod
    def is_long_enough(text: str) -> bool:
        """Long enough for the model to be trusted over the participant's known language."""
        return sum(c.isalpha() for c in text[: SHORT_TEXT_LETTERS * 2]) >= SHORT_TEXT_LETTERS

    def guess(self, text: str, participant_language: str | None) -> str:
        fallback = participant_language or self.languages[0]
        if not self.is_long_enough(text):
            votes = [self._short_words[w] for w in words(fold(text)) if w in self._short_words]
            if votes:
                return max(set(votes), key=votes.count)
            ranked = self._identifier.rank(text)
            if ranked[0][1] >= CONFIDENT:
                return ranked[0][0]
            if participant_language:
                return participant_language
            return next((lang for lang, _ in ranked if lang in self.languages), fallback)
        return self._identifier.classify(text[:MODEL_SAMPLE_CHARS])[0]
