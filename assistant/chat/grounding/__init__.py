"""Grounded answers: sentence-level citation checks, quote mode, answer paths, prompt budget.

Pure functions on plain dataclasses (no ORM); the embedder is imported lazily on first use.
"""

from assistant.chat.grounding.budget import PassageBudget, ttft_passage_budget
from assistant.chat.grounding.metrics import exchange_metrics, is_refusal, needs_review
from assistant.chat.grounding.paths import AUTO_MIN_SUPPORTED, choose_path
from assistant.chat.grounding.quotes import QuoteAnswer, quote_answer
from assistant.chat.grounding.sentences import Span, split_sentences
from assistant.chat.grounding.verify import Passage, SentenceCheck, Verification, verify_answer

__all__ = [
    "AUTO_MIN_SUPPORTED",
    "Passage",
    "PassageBudget",
    "QuoteAnswer",
    "SentenceCheck",
    "Span",
    "Verification",
    "choose_path",
    "exchange_metrics",
    "is_refusal",
    "needs_review",
    "quote_answer",
    "split_sentences",
    "ttft_passage_budget",
    "verify_answer",
]
