"""Model-as-judge (evaluation layer 2): on a random sample of answered exchanges, the configured
LLM backend scores faithfulness (is the answer supported by its cited passages?) and relevance
(does it answer the question?) from 1 to 5 with a fixed rubric. The result is stored under
exchange.metrics["judge"]; a model that does not follow the output format is recorded as
"unparseable", never given an invented score. Runs in Celery (assistant.chat.tasks), off the
request; assistant.chat.tasks.enqueue_judge() sends the sampled ones.
"""

from __future__ import annotations

import logging
import random
import re
from typing import Any

from django.conf import settings
from django.db import transaction

from assistant.chat.models import Exchange

logger = logging.getLogger(__name__)

JUDGE_MAX_TOKENS = 24
LOW_FAITHFULNESS = 2  # at or below: the exchange goes back to the review queue
MAX_PASSAGE_CHARS = 600
RUBRIC = (
    "You grade an assistant's answer. Faithfulness: 5 = every statement of the answer is supported "
    "by the passages, 3 = partly supported, 1 = contradicted or invented. Relevance: 5 = it fully "
    "answers the question, 3 = partly, 1 = it does not answer it. Reply with exactly two lines "
    "and nothing else:\nFAITHFULNESS: <1-5>\nRELEVANCE: <1-5>"
)
# "LABEL: n" (markdown bold, "=" tolerated); never "LABEL: <1-5>", the format line echoed back.
_SCORE = {
    name: re.compile(name + r"\W{0,4}[:=][\s*]*(\d+)\b(?!\s*[-\u2013]\s*\d)", re.IGNORECASE)
    for name in ("faithfulness", "relevance")
}


def parse_judgement(text: str) -> dict[str, int | None]:
    """Scores from the judge's reply. A score is kept only when its label appears with a value
    from 1 to 5, and every occurrence of the label agrees; anything else is None."""
    scores: dict[str, int | None] = {}
    for name, pattern in _SCORE.items():
        values = {int(v) for v in pattern.findall(text)}
        value = values.pop() if len(values) == 1 else None
        scores[name] = value if value is not None and 1 <= value <= 5 else None
    return scores


def build_judge_prompt(exchange: Exchange) -> str:
    from assistant.chat.prompting import CHAT_TEMPLATES, neutralise

    tpl = CHAT_TEMPLATES["chatml"]
    citations = [c for c in exchange.citations.all() if c.cited_in_answer] or list(
        exchange.citations.all()
    )
    passages = "\n".join(
        f"[{c.number}] {neutralise(c.snippet[:MAX_PASSAGE_CHARS])}" for c in citations
    )
    user = (
        f"Passages:\n{passages or '(none)'}\n\nQuestion: {neutralise(exchange.question)}\n\n"
        f"Answer: {neutralise(exchange.answer)}"
    )
    return (
        tpl["start"].format(role="system") + RUBRIC + tpl["end"]
        + tpl["start"].format(role="user") + user + tpl["end"]
        + tpl["start"].format(role="assistant")
    )  # fmt: skip


def _store(exchange_id: int, judgement: dict[str, Any]) -> None:
    """Read-modify-write of metrics under a row lock: concurrent writers of other keys survive."""
    with transaction.atomic():
        current = (
            Exchange.objects.select_for_update().filter(pk=exchange_id).values("metrics").first()
        )
        if current is None:
            return
        metrics = {**(current["metrics"] or {}), "judge": judgement}
        Exchange.objects.filter(pk=exchange_id).update(metrics=metrics)


def record_judge_error(exchange_id: int, message: str, model: str = "") -> None:
    """The judge could not run (retries exhausted, model refused): record it, no score."""
    _store(
        exchange_id,
        {"faithfulness": None, "relevance": None, "raw": message[:500], "model": model,
         "status": "error"},
    )  # fmt: skip


def judgeable(exchange: Exchange) -> bool:
    return (
        exchange.status == Exchange.Status.DONE and not exchange.refused and bool(exchange.answer)
    )


def judge_exchange(exchange_id: int) -> dict[str, Any] | None:
    """Score one finished, non-refused exchange and store the result; None when not judgeable.
    LLMUnavailable propagates (transient: the task retries); other model errors are recorded."""
    from assistant.backends.llm import LLMError, LLMUnavailable
    from assistant.backends.llm_factory import get_llm
    from assistant.chat.prompting import CHAT_TEMPLATES

    exchange = Exchange.objects.filter(pk=exchange_id).first()
    if exchange is None or not judgeable(exchange):
        return None
    llm = get_llm()
    prompt = build_judge_prompt(exchange)
    stop = list(CHAT_TEMPLATES["chatml"]["stop"])
    try:
        raw = "".join(llm.stream(prompt, max_tokens=JUDGE_MAX_TOKENS, stop=stop))
    except LLMUnavailable:
        raise
    except LLMError as exc:
        record_judge_error(exchange_id, f"{type(exc).__name__}: {exc}", llm.model_id)
        return None
    scores = parse_judgement(raw)
    complete = all(v is not None for v in scores.values())
    judgement: dict[str, Any] = {
        **scores,
        "raw": raw[:500],
        "model": llm.model_id,
        "status": "ok" if complete else "unparseable",
    }
    _store(exchange_id, judgement)
    faithfulness = scores["faithfulness"]
    if faithfulness is not None and faithfulness <= LOW_FAITHFULNESS:
        _send_to_review(exchange_id)
    logger.info("judge exchange %s: %s", exchange_id, {k: judgement[k] for k in scores})
    return judgement


def _send_to_review(exchange_id: int) -> None:
    """Re-evaluate the exchange's place in the review queue now that its metrics hold a low judge
    score (privacy decides the reasons from the stored metrics; sampling is not re-drawn)."""
    from privacy.review import review_on_feedback

    exchange = Exchange.objects.get(pk=exchange_id)
    review_on_feedback(exchange)


def sampled(exchange: Exchange) -> bool:
    """Whether this finished exchange is in the random share (settings.RAG_JUDGE_SAMPLE_RATE)
    of answered exchanges that the judge scores."""
    return judgeable(exchange) and random.random() < settings.RAG_JUDGE_SAMPLE_RATE
