"""The vocabulary of an exchange's answer stream, shared by the service that owns an exchange
and the steps it calls (answering, the semantic cache): the events a client receives, the fixed
texts of a refusal or a failure, and elapsed time as the exchange records it."""

from __future__ import annotations

import time
from dataclasses import dataclass

REFUSAL = {
    "en": "I couldn't find this in the documents you can access.",
    "fr": "Je n'ai pas trouvé cette information dans les documents auxquels vous avez accès.",
}
GENERATION_FAILED = {
    "en": "The assistant could not produce an answer. Please try again in a moment.",
    "fr": "L'assistant n'a pas pu produire de réponse. Veuillez réessayer dans un instant.",
}


@dataclass(frozen=True)
class AnswerEvent:
    # "queued" (text = position), "checking" (the model has begun; its text is being checked),
    # "token" (checked text the reader may see), "done", "error"
    kind: str
    text: str = ""


def elapsed_ms(started: float) -> float:
    """Milliseconds since `started` (a time.perf_counter() value), rounded as stored."""
    return round((time.perf_counter() - started) * 1000, 2)
