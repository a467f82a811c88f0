"""Semantic cache benchmark: hit rate on a paraphrase-heavy question set, false hits on near
misses, and the latency of a hit (end to end through answer_question, audit included) against
answers that had to be generated, with the real local model, measured in the same run.

Raw baseline of a hit: what the cache costs at the very least, embedding the question and one
numpy dot product over the same entries' vectors.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import numpy as np
from django.conf import settings

from assistant.backends.embedder_registry import thresholds
from assistant.evaluation.bench.cache_questions import SUBJECTS, Question, question_set

FILLER = (
    "This rule applies to every employee of the company and is reviewed each year. Questions "
    "about it go to the human resources department."
)
FILLER_FR = (
    "Cette règle s'applique à tous les salariés de l'entreprise et elle est revue chaque année. "
    "Les questions à son sujet vont au service des ressources humaines."
)
# The figure the issue asks to beat: 60-70 % hits on repetitive legal/medical questions.
CLAIMED_HIT_RATE = 0.65


def _setup_corpus() -> Any:
    from assistant.accounts.services import collection_grant, user_create_or_update
    from ingestion.indexing import embed_and_upsert, point_id_for
    from ingestion.models import Chunk, Collection, Document

    user, _ = user_create_or_update(username="bench", roles=["employee"], password=None)
    collection, _ = Collection.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    collection_grant(collection_slug="bench", username="bench")
    facts = [(s.key, s.lang, s.fact) for s in SUBJECTS] + [
        (f"{s.key}-near-{n}", s.lang, fact)
        for s in SUBJECTS
        for n, (_phrase, fact) in enumerate(s.near_misses)
    ]
    for number, (key, lang, fact) in enumerate(facts):
        document = Document.objects.create(
            collection=collection, title=f"{key} policy", original_name=f"{key}.txt",
            file=f"documents/{key}.txt", sha256=f"{number:064d}", mime_type="text/plain",
            size=100, status=Document.Status.INDEXED, language=lang,
        )  # fmt: skip
        text = f"{fact} {FILLER_FR if lang == 'fr' else FILLER}"
        chunk = Chunk(
            document=document, version=1, index=0, text=text, page_start=1, page_end=1,
            char_start=0, char_end=len(text), token_count=len(text.split()),
            point_id=point_id_for(document.pk, 1, 0),
        )  # fmt: skip
        chunks = Chunk.objects.bulk_create([chunk])
        embed_and_upsert(chunks, collection_id=collection.pk, lang=lang)
    return user


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _ask_all(user: Any, questions: list[Question]) -> list[dict[str, Any]]:
    from assistant.chat.services import answer_question

    subject_of: dict[int, str] = {}
    asked = []
    for question in questions:
        started = time.perf_counter()
        exchange = answer_question(user=user, question=question.text)
        elapsed = (time.perf_counter() - started) * 1000
        subject_of[exchange.pk] = question.subject
        asked.append(
            {
                "question": question,
                "ms": elapsed,
                "path": exchange.answer_path,
                "status": exchange.status,
                "hit_subject": subject_of.get(exchange.cached_from_id or -1),
                "exchange": exchange,
            }
        )
    return asked


def _raw_hit_ms(hits: list[dict[str, Any]]) -> list[float]:
    """embed_query + one dot product over every entry's vector, for each question that hit."""
    from assistant.backends.embedder import get_embedder
    from assistant.chat.models import CachedAnswer

    embedder = get_embedder()
    rows = [bytes(b) for b in CachedAnswer.objects.values_list("embedding", flat=True)]
    matrix = np.frombuffer(b"".join(rows), dtype=np.float32).reshape(len(rows), -1)
    timings = []
    for item in hits:
        started = time.perf_counter()
        vector = np.asarray(embedder.embed_query(item["question"].text), dtype=np.float32)
        int(np.argmax(matrix @ vector))
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def run_cache_bench(quick: bool) -> dict[str, Any]:
    from assistant.backends.llm_factory import reset_llm
    from assistant.chat.semantic_cache import why_not_cacheable
    from assistant.chat.services import answer_question

    settings.RAG_LLM_BACKEND = "llamacpp"
    settings.RAG_RATE_LIMIT_PER_MINUTE = 10**6
    settings.RAG_CACHE_ENABLED = True
    settings.RAG_JUDGE_SAMPLE_RATE = 0.0
    settings.RAG_MAX_ANSWER_TOKENS = 32 if quick else 64
    reset_llm()
    user = _setup_corpus()
    # Load the model, the embedder and the redactor once, outside the measurement.
    answer_question(user=user, question="Warm-up: who reviews the rules each year?")
    questions = question_set(subjects=4, wordings=3) if quick else question_set()
    asked = _ask_all(user, questions)

    hits = [a for a in asked if a["hit_subject"] is not None]
    misses = [a for a in asked if a["hit_subject"] is None]
    # Answers that ran the model (auto mode may still end with quotations after checking it).
    generated = [a for a in misses if a["exchange"].model_id]
    repeats = [a for a in asked if a["question"].kind == "repeat"]
    near = [a for a in asked if a["question"].kind == "near_miss"]
    wrong = [a for a in hits if a["hit_subject"] != a["question"].subject]
    hit_ms = [a["ms"] for a in hits]
    gen_ms = [a["ms"] for a in generated]
    miss_ms = [a["ms"] for a in misses]
    raw_ms = _raw_hit_ms(hits) if hits else []
    repeat_hit_rate = sum(a["hit_subject"] is not None for a in repeats) / max(len(repeats), 1)
    near_false_rate = sum(a["hit_subject"] is not None for a in near) / max(len(near), 1)
    by_language = {
        lang: round(
            sum(a["hit_subject"] is not None for a in repeats if a["question"].lang == lang)
            / max(sum(a["question"].lang == lang for a in repeats), 1),
            4,
        )
        for lang in ("en", "fr")
    }
    not_cached = Counter(
        why_not_cacheable(a["exchange"]) or "cached"
        for a in misses
        if a["question"].kind == "first"
    )

    def ratio(a: float, b: float) -> float:
        return a / b if b and b == b and a == a else float("nan")

    hit_p50, hit_p95 = _percentile(hit_ms, 50), _percentile(hit_ms, 95)
    raw_p50, raw_p95 = _percentile(raw_ms, 50), _percentile(raw_ms, 95)
    gen_p50, gen_p95 = _percentile(gen_ms, 50), _percentile(gen_ms, 95)
    rows = [
        {"metric": "hit latency p50 (answer_question end to end, audit included)",
         "ours": hit_p50, "raw": raw_p50, "ratio": ratio(hit_p50, raw_p50),
         "target": "report", "unit": "ms"},
        {"metric": "hit latency p95", "ours": hit_p95, "raw": raw_p95,
         "ratio": ratio(hit_p95, raw_p95), "target": "≤ 50 ms", "unit": "ms"},
        {"metric": "answer through the model, latency p50 (raw = hit p50)", "ours": gen_p50,
         "raw": hit_p50, "ratio": ratio(gen_p50, hit_p50), "target": "report", "unit": "ms"},
        {"metric": "answer through the model, latency p95 (raw = hit p95)", "ours": gen_p95,
         "raw": hit_p95, "ratio": ratio(gen_p95, hit_p95), "target": "report", "unit": "ms"},
        {"metric": "hit rate on repeated questions (raw = claim to beat)",
         "ours": repeat_hit_rate, "raw": CLAIMED_HIT_RATE,
         "ratio": repeat_hit_rate / CLAIMED_HIT_RATE, "target": "≥ 0.60-0.70", "unit": "share"},
        {"metric": "false hits on near misses (raw = any other subject)",
         "ours": near_false_rate, "raw": float(len(wrong)), "ratio": near_false_rate,
         "target": "0", "unit": "share"},
    ]  # fmt: skip
    reset_llm()
    return {
        "rows": rows,
        "questions": len(asked),
        "repeats": len(repeats),
        "near_misses": len(near),
        "hits": len(hits),
        "wrong_subject_hits": len(wrong),
        "repeat_hit_rate_by_language": by_language,
        "first_answers_not_cached": dict(not_cached),
        "miss_latency_ms_p50": _percentile(miss_ms, 50),
        "generated_answers": len(generated),
        "threshold": thresholds().cache_threshold,
        "max_answer_tokens": settings.RAG_MAX_ANSWER_TOKENS,
        "samples": [_sample(a) for a in asked],
    }


def _sample(asked: dict[str, Any]) -> dict[str, Any]:
    question = asked["question"]
    return {
        "q": question.text,
        "kind": question.kind,
        "path": asked["path"],
        "hit": asked["hit_subject"],
        "ms": round(asked["ms"], 1),
    }
