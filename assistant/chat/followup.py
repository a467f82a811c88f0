"""Follow-up questions retrieve with their context.

"And for London?", "et pour Lyon ?", "what about contractors?" mean nothing to a search on their
own words. Before retrieval, a question that continues a conversation is checked here and, when it
is a follow-up, rewritten into a standalone question (the exchange's `retrieval_query`): what is
retrieved, quoted, looked up in the semantic cache and audited with it.

- Detection (deterministic, both languages): a short question (at most MAX_WORDS words) that
  starts with a connector ("and", "et", "what about", "et pour", "also", "aussi", ...) or refers
  back with a pronoun ("it", "there", "elle", "y", ...), with at most a few content words of its
  own, or one with no content word at all ("Since when?"). A standalone question is never
  rewritten.
- Rewriting with the model, when the model registry says the configured model can rewrite
  (ModelSpec.can_rewrite; SmolLM2-135M cannot) and it runs on this machine. It runs when the
  question is admitted, outside the generation queue (a reply of at most MODEL_MAX_TOKENS tokens;
  an in-process model waits for its lock). Any failure, an empty or overlong reply falls back to:
- the deterministic carry-over of the previous question's key terms. A follow-up that names a new
  subject ("and for London?") is written into the previous question in place of the word it
  replaces (the neighbour of a shared word, a proper noun for a proper noun, a number for a
  number, else the closest word by the embedder): "What is the hotel ceiling in London?". A
  follow-up that asks something new about the same subject ("and how many people work there?")
  keeps its own words and carries the previous question's content words after them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.backends.lexical import terms, tokenize
from assistant.chat.models import Exchange
from assistant.chat.semantic_cache.terms import FRAMING

if TYPE_CHECKING:
    from assistant.backends.llm import LLM
    from assistant.chat.models import Conversation

logger = logging.getLogger(__name__)

MAX_WORDS = 12  # a longer question carries its own context
MAX_OWN_TERMS = 2  # content words a pronoun or "and how ..." follow-up may have of its own
MAX_SUBJECT_TERMS = 4  # words of the new subject in "and for <subject>?"
MAX_QUERY_CHARS = 600
MODEL_MAX_TOKENS = 64
STEMMED = ("en", "fr")

# Leading phrases that make a question continue the previous one (longest first when matched).
CONNECTORS = (
    "what about", "how about", "and what about", "and how about", "same for", "same question for",
    "and for", "and in", "and", "also", "or",
    "qu'en est-il de", "qu'en est-il du", "qu'en est-il des", "qu'en est-il pour", "et concernant",
    "et pour", "et en", "et à", "et au", "et aux", "et", "aussi", "pareil pour", "idem pour",
    "même question pour", "ou",
)  # fmt: skip
# Words that point back at the previous question's subject.
PRONOUNS = frozenset(
    """it its they them their theirs there that this those these he she him her such
    il elle ils elles lui eux y ça cela ceci celui celle ceux celles celui-ci celle-ci là""".split()  # noqa: SIM905 - a word list reads better as text
)
# A question that starts with one of these asks its own question ("and how many people ...").
QUESTION_WORDS = frozenset(
    """how what which who whom whose when where why is are was were do does did can could will
    would must should shall has have may might combien quel quelle quels quelles qui que quoi
    quand où comment pourquoi est sont peut peuvent faut doit doivent dois a ont""".split()  # noqa: SIM905
)
# Words that frame a follow-up without naming anything.
GENERIC = frozenset(
    """one ones case same about regarding concerning side part question thing things again since
    cas même concernant côté pareil idem chose choses question ci""".split()  # noqa: SIM905
)
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
_CONNECTOR = re.compile(
    r"^\s*(?:"
    + "|".join(re.escape(c) for c in sorted(CONNECTORS, key=len, reverse=True))
    + r")(?![^\W_])[\s,:;]*",
    re.IGNORECASE,
)
# "il y a" / "y a-t-il" is the French "there is", not a pronoun pointing back.
_THERE_IS = re.compile(r"\b(?:il\s+y\s+a|y\s+a-t-il|y\s+en\s+a)\b", re.IGNORECASE)

REWRITE_INSTRUCTIONS = {
    "en": (
        "Rewrite the user's last question as one standalone question that can be understood "
        "without the conversation, in English. Keep every name, number and term. Reply with the "
        "question only."
    ),
    "fr": (
        "Réécris la dernière question de l'utilisateur en une question autonome, compréhensible "
        "sans la conversation, en français. Garde chaque nom, nombre et terme. Réponds seulement "
        "par la question."
    ),
}


@dataclass(frozen=True)
class Rewrite:
    query: str  # the standalone question retrieval uses
    method: str  # "model" or "carry-over"


@dataclass(frozen=True)
class _Shape:
    kind: str  # "subject": names a new subject; "aspect": asks something new about the old one
    question: str
    rest: str  # the question without its leading connector
    words: list[str]  # its own content words, lowercased, in order


def _normalise(text: str) -> str:
    return text.replace("\u2019", "'").strip()


def _content_words(text: str) -> list[str]:
    """Lowercased content words in order: no stopword, framing word or pronoun, except an
    acronym that spells one ("IT", "HR")."""
    framing = set(FRAMING["en"].split()) | set(FRAMING["fr"].split())
    words: list[str] = []
    for raw in _WORD.findall(text):
        if len(raw) > 1 and raw.isupper():
            words.append(raw.lower())
            continue
        words.extend(
            w for w in tokenize(raw) if w not in framing and w not in PRONOUNS and w not in GENERIC
        )
    return words


def _shape(question: str) -> _Shape | None:
    text = _normalise(question)
    words = _WORD.findall(text.lower())
    if not words or len(words) > MAX_WORDS:
        return None
    match = _CONNECTOR.match(text)
    rest = text[match.end() :] if match else text
    rest_words = _WORD.findall(_THERE_IS.sub(" ", rest.lower()))
    own = _content_words(rest)
    if not own:
        return _Shape("aspect", text, rest, own)  # "Since when?", "Et combien ?"
    asks = bool(rest_words) and rest_words[0] in QUESTION_WORDS
    if match and not asks and len(own) <= MAX_SUBJECT_TERMS:
        # "and for London?", "et pour le service juridique ?"
        return _Shape("subject", text, rest, own)
    points_back = any(word in PRONOUNS for word in rest_words)
    if (match or points_back) and len(own) <= MAX_OWN_TERMS:
        return _Shape("aspect", text, rest, own)  # "and how many people work there?"
    return None


def is_followup(question: str) -> bool:
    """Whether `question`, asked after another one, depends on it (see the module docstring)."""
    return _shape(question) is not None


def rewrite_followup(
    question: str, *, previous: Sequence[str], language: str, use_model: bool = True
) -> Rewrite | None:
    """The standalone form of `question` given the earlier questions of its conversation (oldest
    first, each already standalone: its own retrieval query when it was rewritten), or None when
    `question` stands alone or there is nothing earlier. Never raises for a model failure: the
    deterministic carry-over answers instead. `use_model=False` forces the carry-over (the
    collections ask that no model sees the conversation, or evaluation)."""
    earlier = [q for q in previous if q and q.strip()]
    shape = _shape(question)
    if shape is None or not earlier:
        return None
    if use_model:
        rewritten = _model_rewrite(question, earlier, language)
        if rewritten:
            return Rewrite(rewritten, "model")
    return Rewrite(_carry_over(shape, earlier[-1]), "carry-over")


def exchange_rewrite(
    *, question: str, conversation: Conversation | None, user: Any, collection_ids: Sequence[int]
) -> Rewrite | None:
    """The rewrite of a question asked in `conversation` (None when it is a new conversation, not
    the user's, has no answered question yet, or the question stands alone). The earlier questions
    are the conversation's last answered or refused ones, each in its standalone form. The model
    path is skipped when a searched collection must be masked everywhere (a rewrite would show
    the model the conversation unmasked)."""
    from assistant.backends.language import detect_language
    from assistant.backends.model_registry import current_model_spec

    if conversation is None or conversation.user_id != user.pk or not is_followup(question):
        return None
    earlier = list(
        conversation.exchanges.filter(
            status__in=(Exchange.Status.DONE, Exchange.Status.REFUSED)
        ).order_by("-created_at")[:3]
    )[::-1]
    if not earlier:
        return None
    previous = [e.retrieval_query or e.question for e in earlier]
    language = detect_language(question, default=earlier[-1].language)
    use_model = current_model_spec().can_rewrite and not _masked(collection_ids)
    return rewrite_followup(question, previous=previous, language=language, use_model=use_model)


def _masked(collection_ids: Sequence[int]) -> bool:
    from ingestion.models import Collection
    from privacy.policy import must_mask_everywhere

    collections = Collection.objects.filter(pk__in=list(collection_ids))
    return bool(must_mask_everywhere(collections, llm_is_local=True))


# --- the model path ------------------------------------------------------------------------------


def _rewriting_model() -> LLM | None:
    """The configured model when the registry says it can rewrite and it runs on this machine (the
    conversation never leaves it for a rewrite); None otherwise or when it cannot be loaded."""
    from assistant.backends.llm_factory import get_llm
    from assistant.backends.model_registry import current_model_spec

    if not current_model_spec().can_rewrite:  # checked before loading anything
        return None
    try:
        llm = get_llm()
    except Exception:
        logger.warning("the rewriting model is unavailable: carrying key terms over instead")
        return None
    if not (llm.is_local and llm.spec.can_rewrite):
        return None
    return llm


def _model_rewrite(question: str, earlier: Sequence[str], language: str) -> str:
    """The model's standalone question, or "" (not capable, unavailable, failed, unusable)."""
    from assistant.backends.chat_templates import CHAT_TEMPLATES
    from assistant.backends.llm import LLMError
    from assistant.chat.prompting import neutralise

    llm = _rewriting_model()
    if llm is None:
        return ""
    lang = language if language in REWRITE_INSTRUCTIONS else "en"
    template = CHAT_TEMPLATES.get(llm.spec.chat_template, CHAT_TEMPLATES["chatml"])

    def message(role: str, content: str) -> str:
        return str(template["start"]).format(role=role) + content + str(template["end"])

    conversation = "\n".join(f"- {neutralise(q)}" for q in earlier[-3:])
    prompt = (
        message("system", REWRITE_INSTRUCTIONS[lang])
        + message("user", f"{conversation}\n\n{neutralise(question)}")
        + str(template["start"]).format(role="assistant")
    )
    try:
        reply = "".join(
            llm.stream(prompt, max_tokens=MODEL_MAX_TOKENS, stop=[*template["stop"], "\n"])
        )
    except LLMError as exc:
        logger.warning("the model could not rewrite a follow-up (%s): carrying key terms over", exc)
        return ""
    rewritten = reply.strip().strip("\"'«» ").strip()
    if not rewritten or len(rewritten) > MAX_QUERY_CHARS or not _content_words(rewritten):
        return ""
    return rewritten


# --- the deterministic carry-over ----------------------------------------------------------------


def _carry_over(shape: _Shape, previous: str) -> str:
    previous = _normalise(previous)
    if shape.kind == "subject":
        return _substitute(shape, previous)[:MAX_QUERY_CHARS]
    carried = [
        _span([w], previous)  # as typed: "Marie Dupont" stays a name the audit can redact
        for w in _unique(_content_words(previous))
        if not _has_stem(shape.words, w)
    ]
    rest = shape.rest.strip() or previous
    if not carried:
        return rest[:MAX_QUERY_CHARS]
    return f"{rest[0].upper()}{rest[1:]} ({' '.join(carried)})"[:MAX_QUERY_CHARS]


def _substitute(shape: _Shape, previous: str) -> str:
    """The previous question with the follow-up's new words in place of the words they replace;
    new words that replace none are added at the end."""
    old = _unique(_content_words(previous))
    new = shape.words
    replaced: dict[str, str] = {}  # old word -> new word (single words)
    pending: list[tuple[int, str]] = []
    for position, word in enumerate(new):
        if _has_stem(old, word):
            continue  # a shared word ("department", "indemnité"): an anchor, not a new subject
        target = _beside_anchor(position, new, old, replaced)
        target = target or _same_kind(word, shape.question, old, replaced, previous)
        if target:
            replaced[target] = word
        else:
            pending.append((position, word))
    swaps = [([target], _span([word], shape.rest)) for target, word in replaced.items()]
    extra: list[str] = []
    taken = set(replaced) | {w for w in old if _has_stem(new, w)}
    for phrase in _phrases(pending):
        window = _closest(phrase, old, taken)
        if window:
            taken.update(window)
            swaps.append((window, _span(phrase, shape.rest)))
        else:
            extra.append(_span(phrase, shape.rest))
    text = previous
    for window, replacement in swaps:
        text = _replace_span(text, window, replacement)
    if extra:
        text = f"{text.rstrip()} ({' '.join(extra)})"
    return text


def _phrases(pending: list[tuple[int, str]]) -> list[list[str]]:
    """Pending new words grouped into runs of neighbours ("summer party")."""
    phrases: list[list[str]] = []
    last = -2
    for position, word in pending:
        if position == last + 1 and phrases:
            phrases[-1].append(word)
        else:
            phrases.append([word])
        last = position
    return phrases


def _span(words: list[str], text: str) -> str:
    """The stretch of `text` from its first to its last of `words`, as typed ("fête d'été")."""
    found = _word_span(words, text)
    return text[found[0] : found[1]] if found else " ".join(words)


def _word_span(words: list[str], text: str) -> tuple[int, int] | None:
    first = _find(words[0], text, 0)
    if first is None:
        return None
    last = _find(words[-1], text, first[0]) if len(words) > 1 else first
    return (first[0], last[1]) if last else None


def _find(word: str, text: str, start: int) -> tuple[int, int] | None:
    pattern = re.compile(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", re.IGNORECASE)
    found = pattern.search(text, start)
    return (found.start(), found.end()) if found else None


def _replace_span(text: str, window: list[str], replacement: str) -> str:
    found = _word_span(window, text)
    if found is None:
        return text
    return text[: found[0]] + replacement + text[found[1] :]


def _beside_anchor(position: int, new: list[str], old: list[str], replaced: dict[str, str]) -> str:
    """The old word standing where `new[position]` stands, next to a word both questions share:
    "the legal department" after "the finance department" replaces "finance"."""
    for step in (-1, 1):
        neighbour = position + step
        if not 0 <= neighbour < len(new):
            continue
        anchor = _stem_index(old, new[neighbour])
        if anchor is None:
            continue
        across = anchor - step
        if (
            0 <= across < len(old)
            and old[across] not in replaced
            and not _has_stem(new, old[across])
        ):
            return old[across]
    return ""


def _same_kind(
    word: str, question: str, old: list[str], replaced: dict[str, str], previous: str
) -> str:
    """A number stands for a number, a proper noun (capitalised, not first) for a proper noun."""
    free = [w for w in old if w not in replaced]
    if word.isdigit():
        return next((w for w in free if w.isdigit()), "")
    if _capitalised(word, question):
        return next((w for w in free if _capitalised(w, previous)), "")
    return ""


def _closest(phrase: list[str], old: list[str], taken: set[str]) -> list[str]:
    """The run of as many neighbouring old words, none of them taken, that the embedder finds
    closest to `phrase` ("contractors" for "employees"), or [] when no old word is free. The
    follow-up asks the previous question about its new subject, so the closest words give way
    even when they are not close: a weak similarity is still the best reading there is."""
    size = len(phrase)
    windows = [
        old[i : i + size]
        for i in range(len(old) - size + 1)
        if not any(w in taken or w.isdigit() for w in old[i : i + size])
    ]
    if not windows and size > 1:  # fewer free old words than new ones: replace the closest one
        windows = [[w] for w in old if w not in taken and not w.isdigit()]
    if not windows:
        return []
    import numpy as np

    from assistant.backends.embedder import get_embedder

    texts = [" ".join(phrase)] + [" ".join(window) for window in windows]
    vectors = np.asarray(get_embedder().embed_documents(texts), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    similarity = vectors[1:] @ vectors[0]
    return windows[int(np.argmax(similarity))]


def _stems(word: str) -> set[str]:
    """Its English and French stems: a short question says too little to pick one language."""
    return {found[0] if found else word for found in (terms(word, lang=lang) for lang in STEMMED)}


def _stem_index(words: list[str], word: str) -> int | None:
    stems = _stems(word)
    return next((i for i, w in enumerate(words) if _stems(w) & stems), None)


def _has_stem(words: list[str], word: str) -> bool:
    return _stem_index(words, word) is not None


def _unique(words: list[str]) -> list[str]:
    return list(dict.fromkeys(words))


def _capitalised(word: str, text: str) -> bool:
    for match in re.finditer(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", text, re.IGNORECASE):
        if match.start() > 0 and match.group(0)[:1].isupper():
            return True
    return False
