"""What a question asks for, as quote mode reads it (assistant.chat.grounding.quotes).

- terms: the content words, each as the set of its stems with and without accents
  (assistant.backends.lexical: French elisions "l'", "d'", "qu'" dropped, stopwords of both
  languages dropped, Snowball stems), so "congés payés" meets "congé payé", and "indemnite
  d'hebergement" typed without accents meets "indemnité d'hébergement" (the stemmer cuts the
  two spellings differently: both are kept). A sentence holds a term when it holds one of its
  stems (sentence_terms());
- key terms: the terms that name what the question is about, i.e. without the words that say
  what kind of answer is wanted ("how many", "deadline", "ville", "délai"...) and without words
  every policy uses ("employees", "salariés", "policy"...). A quoted sentence must share one;
- topic words: the words of the question's noun phrases (after a determiner: "the parking
  allowance", "l'indemnité de stationnement") minus answer-type words. When no retrieved passage
  mentions one, the passages are probably about something else, however similar they look.
  Verbs are left out because they are what paraphrases change ("in charge of" for "heads");
- numbers: the keys of the numbers and dates written in the question ("over 500 km", "in 2025"),
  which a sentence answering it usually repeats;
- kinds: the kind of fact wanted (a number, a date, a name);
- unit: the unit a wanted number carries ("how many days", "combien de semaines"), so "25 days
  of paid leave" answers "how many days of leave?" and "two weeks in advance" does not;
- per: the period the quantity is counted over ("par an", "per month"): "par an" is easily lost
  otherwise ("an" is an English stopword), and it tells "25 jours ... par an" from "les demandes
  de plus de 5 jours".

And of a passage sentence, subject(): the head noun it opens with, to tell the rule the question
asks about from the one beside it ("Les demandes de congés ..." is about requests).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from assistant.chat.grounding.facts import extract_facts, fold

# One word of the question: its stems with and without accents.
Term = frozenset[str]

_ASKS_NUMBER = re.compile(
    r"\b(combien|how (much|many|long|often)|montant|taux|nombre|pourcentage|prix|tarif|"
    r"amount|rate|number|percentage|price|fee|cost|coût|durée|duration|limit|limite|plafond|"
    r"ceiling|minimum|maximum|taille|size|longueur|length|capacité|capacity)s?\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(
    r"\b(quand|when|date|quel jour|what day|deadline|échéance|à partir de quel)\b", re.IGNORECASE
)
_ASKS_NAME = re.compile(r"\b(qui|who|whom|où|where|quelle ville|which city)\b", re.IGNORECASE)
_ASKS_UNIT = re.compile(
    r"\b(?:how\s+many\s+|number\s+of\s+|(?:combien|nombre)\s+(?:de\s+|d['’]))"  # noqa: RUF001
    r"([^\W\d_]+)",
    re.IGNORECASE,
)
# Words that say what kind of answer is wanted rather than what the question is about.
_ANSWER_TYPE_WORDS = frozenset(
    """
    much many long often time times date dates day days year years amount number price cost rate
    fee percentage deadline city town place country located location based people person persons
    name names happen happens take takes taken scheduled held exactly currently head charge
    ceiling limit maximum minimum default
    combien montant nombre prix coût taux délai délais date jour jours année années ville lieu
    endroit pays personnes personne nom noms situé située installé installée trouve trouvent
    passe exactement actuellement tête charge plafond limite tarif défaut
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Words that policies use everywhere, and verbs of obligation ("il faut", which would meet
# "faute de"): sharing only these with a question says nothing.
_GENERIC_WORDS = frozenset(
    """
    employee employees staff company policy policies rule rules document documents
    salarié salariés salariée salariées employé employés entreprise société politique règle
    règles document documents faut faudra faudrait fallait need needs required
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_DETERMINERS = frozenset(
    """
    the a an this that these those its their his her our your le la les l un une des du de d au
    aux ce cet cette ces son sa ses leur leurs notre nos votre vos
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_QUESTION_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Elisions that are not determiners ("qu'il", "n'est", "s'applique", "jusqu'au").
_NON_DETERMINER_ELISION = re.compile(r"\b(?:qu|jusqu|lorsqu|puisqu|n|s|c|j|m|t)'", re.UNICODE)
# Units a number carries, by their folded written forms (French and English, singular and plural).
_UNITS = {
    form: unit
    for unit, forms in {
        "day": "day days jour jours journee journees",
        "night": "night nights nuit nuits nuitee nuitees",
        "week": "week weeks semaine semaines",
        "month": "month months mois",
        "year": "year years an ans annee annees",
        "hour": "hour hours h heure heures",
        "minute": "minute minutes min",
        "euro": "€ euro euros eur",
        "percent": "% percent pourcent",
        "km": "km kilometre kilometres kilometer kilometers",
        "character": "character characters caractere caracteres",
    }.items()
    for form in forms.split()
}
# "per year", "par an", "each month", "chaque année": the period a quantity is counted over.
_PER = re.compile(
    r"\b(?:per|a|an|each|every|par|chaque)\s+(day|week|month|year|night|hour|jour|journée|"
    r"semaine|mois|an|année|nuit|heure)s?\b",
    re.IGNORECASE,
)
_UNIT_TOKEN = re.compile(r"\d+(?:[.,\u00a0\u202f ]\d+)*|[^\W\d_]+|[€%]", re.UNICODE)
_NUMBER_WORDS = frozenset(
    """
    one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty
    un une deux trois quatre cinq six sept huit neuf dix onze douze quinze vingt trente
    """.split()  # noqa: SIM905 - a word list reads better as text
)


@dataclass(frozen=True)
class QuestionProfile:
    lang: str
    terms: frozenset[Term]
    key_terms: frozenset[Term]
    topic: frozenset[Term]
    numbers: frozenset[str]  # fact keys (assistant.chat.grounding.facts)
    kinds: frozenset[str]
    unit: str | None
    per: str | None  # the period asked about ("par an" -> "year")


def profile_question(question: str, lang: str) -> QuestionProfile:
    """The terms, key terms, topic, numbers, fact kinds and unit of `question` (see above)."""
    terms = frozenset(question_terms(question, lang))
    unspecific = _unspecific_stems(lang)
    numbers: set[str] = set()
    for fact in extract_facts(f"x {question}"):  # "x": the first word is never a name
        if fact.kind in ("number", "date"):
            numbers |= fact.keys
    return QuestionProfile(
        lang=lang,
        terms=terms,
        key_terms=frozenset(term for term in terms if not term <= unspecific),
        topic=frozenset(question_terms(" ".join(topic_words(question)), lang)),
        numbers=frozenset(numbers),
        kinds=frozenset(expected_kinds(question)),
        unit=_asked_unit(question),
        per=next(iter(periods(question)), None),
    )


def question_terms(text: str, lang: str) -> list[Term]:
    """The content words of `text`, each as its stems with and without accents."""
    from assistant.backends.lexical import terms, tokenize

    found = []
    for token in tokenize(text):
        stems = frozenset(terms(token, lang=lang) + terms(fold(token), lang=lang))
        if stems and stems not in found:
            found.append(stems)
    return found


def sentence_terms(text: str, lang: str) -> set[str]:
    """Every stem of `text`, with and without accents: what question terms are looked up in."""
    from assistant.backends.lexical import terms

    return set(terms(text, lang=lang)) | set(terms(fold(text), lang=lang))


def expected_kinds(question: str) -> set[str]:
    """The kinds of fact ("number", "date", "name") a question asks for."""
    kinds = set()
    if _ASKS_NUMBER.search(question):
        kinds.add("number")
    if _ASKS_DATE.search(question):
        kinds.update({"date", "number"})
    if _ASKS_NAME.search(question):
        kinds.add("name")
    return kinds


def topic_words(question: str) -> list[str]:
    """Words of the question's noun phrases that do not name the kind of answer wanted."""
    from assistant.backends.language import ENGLISH_STOPWORDS, FRENCH_STOPWORDS

    stop = (FRENCH_STOPWORDS | ENGLISH_STOPWORDS) - _DETERMINERS
    text = _NON_DETERMINER_ELISION.sub(" ", question.lower().replace("’", "'"))  # noqa: RUF001
    found: list[str] = []
    left = 0  # words still to take in the current noun phrase: a noun and one modifier
    for word in _QUESTION_WORD.findall(text):
        if word in _DETERMINERS:
            left = 2
        elif word in stop or word.isdigit() or _names_answer_type(word):
            left = 0  # "combien de personnes travaillent": the verb is not part of the phrase
        elif left:
            found.append(word)
            left -= 1
    return found


def number_units(text: str) -> set[str]:
    """The units written next to the numbers of `text` ("25 days", "12,50 €", "€145", "two
    weeks"): a currency or percent sign just before a number, else the word after it (or the one
    after that: "30 working days")."""
    tokens = [fold(t) for t in _UNIT_TOKEN.findall(text)]
    units = set()
    for i, token in enumerate(tokens):
        if not (token[0].isdigit() or token in _NUMBER_WORDS):
            continue
        following = [t for t in tokens[i + 1 : i + 3] if t in _UNITS]
        if i and tokens[i - 1] in ("€", "%"):  # "€145 per night": a price, not nights
            units.add(_UNITS[tokens[i - 1]])
        elif following:
            units.add(_UNITS[following[0]])
    return units


def periods(text: str) -> set[str]:
    """The periods quantities of `text` are counted over ("25 days per year" -> {"year"})."""
    return {_UNITS[fold(m.group(1))] for m in _PER.finditer(text) if fold(m.group(1)) in _UNITS}


_SUBJECT_DETERMINERS = _DETERMINERS | {"chaque", "each", "every", "tout", "toute", "tous", "toutes"}


def subject(sentence: str) -> str | None:
    """The head noun of a sentence that opens with a determiner ("Les demandes de congés ..."
    -> "demandes", "The finance team ..." -> "finance"), lowercase; None when it opens otherwise
    (a name, a number, an English plural without article) or when the head is capitalised (a
    name or an acronym). French sentences nearly always open this way, which makes it a cheap
    tell of what a rule is about."""
    text = _NON_DETERMINER_ELISION.sub(" ", sentence.replace("’", "'"))  # noqa: RUF001
    words = _QUESTION_WORD.findall(text)[:4]
    if not words or words[0].lower() not in _SUBJECT_DETERMINERS:
        return None
    head = next((w for w in words[1:] if w.lower() not in _SUBJECT_DETERMINERS), None)
    if head is None or head[0].isupper():  # "The HR director", "La Direction": a name
        return None
    return head


def is_unspecific(word_stems: set[str], lang: str) -> bool:
    """Whether stems of one word all belong to answer-type or generic words."""
    return bool(word_stems) and word_stems <= _unspecific_stems(lang)


def _names_answer_type(word: str) -> bool:
    """Whether `word` (lowercase) or its singular ("montants", "délais") says what kind of
    answer is wanted."""
    return word in _ANSWER_TYPE_WORDS or (word[-1:] in "sx" and word[:-1] in _ANSWER_TYPE_WORDS)


def _asked_unit(question: str) -> str | None:
    match = _ASKS_UNIT.search(question)
    return _UNITS.get(fold(match.group(1))) if match else None


@functools.cache
def _unspecific_stems(lang: str) -> frozenset[str]:
    return frozenset(sentence_terms(" ".join(_ANSWER_TYPE_WORDS | _GENERIC_WORDS), lang))
