"""Follow-up questions: does the second turn of a conversation retrieve the right passage?

Two-turn conversations, French and English, over the policy passages of the generated grounding
set (assistant.evaluation.grounding_set: benefits, departments, procedures, calendar of a
fictional company). The first turn is a question of that set; the second is a follow-up written
here in three shapes:

- "aspect": something new about the same subject ("And how many people work there?"), whose
  passage is the first turn's;
- "subject": the same question about another subject ("And the legal department?", "Et pour les
  notes de frais ?"), whose passage is that subject's;
- "standalone": a complete question asked second, which must not be rewritten (a control: its
  hit must not move).

Each second turn is retrieved twice through the real embedder, lexical backend and embedded store
(hybrid, as the chat searches): with its own words, and rewritten by assistant.chat.followup
(the deterministic carry-over; the model path is off for every packaged model). A hit is the right
passage among the first k documents. Nothing here is read from disk or the network.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.evaluation.grounding_set import build_eval_set

SHAPES = ("aspect", "subject", "standalone")
_POINT_NAMESPACE = uuid.UUID("2d8f6a0e-4b71-4c1e-93a5-0c7e5f1b9d24")
_COLLECTIONS = {"en": 1, "fr": 2}
SEARCH_LIMIT = 20

# (English, French) names as the grounding set writes them, and where each sits in a passage.
_DEPTS = [
    ("finance", "finance"), ("legal", "juridique"), ("marketing", "marketing"),
    ("IT", "informatique"), ("sales", "commercial"), ("purchasing", "achats"),
    ("logistics", "logistique"), ("quality", "qualité"),
]  # fmt: skip
_BENEFITS = [
    ("meal", "repas"), ("transport", "transport"), ("phone", "téléphone"),
    ("internet", "internet"), ("childcare", "garde d'enfants"), ("sports", "sport"),
    ("training", "formation"), ("housing", "logement"),
]  # fmt: skip
_FORMS = [
    ("expense reports", "les notes de frais"), ("timesheets", "les feuilles de temps"),
    ("leave requests", "les demandes de congés"),
    ("travel requests", "les demandes de déplacement"),
    ("overtime claims", "les déclarations d'heures supplémentaires"),
    ("training requests", "les demandes de formation"),
]  # fmt: skip
_EVENTS = [
    ("annual general meeting", "l'assemblée générale annuelle"),
    ("safety training day", "la journée de formation à la sécurité"),
    ("works council election", "l'élection du comité social et économique"),
    ("summer party", "la fête d'été"), ("strategy seminar", "le séminaire stratégique"),
    ("open day", "la journée portes ouvertes"),
]  # fmt: skip


@dataclass(frozen=True)
class Conversation:
    id: str
    lang: str
    shape: str
    first: str
    second: str
    relevant: int  # document id of the passage the second turn needs


@dataclass(frozen=True)
class FollowupSet:
    documents: dict[str, dict[int, str]]  # language -> document id -> passage text
    conversations: list[Conversation]


def _passage_with(documents: dict[int, str], needle: str) -> int:
    found = [doc_id for doc_id, text in documents.items() if needle in text]
    if len(found) != 1:
        raise ValueError(f"{needle!r} is in {len(found)} passages, expected one")
    return found[0]


def build_followup_set(seed: int = 7) -> FollowupSet:
    """Two-turn conversations over the grounding set's passages (50 per language, plus 8
    standalone controls), deterministic for a seed."""
    items = {item.id: item for item in build_eval_set(seed=seed)}
    documents: dict[str, dict[int, str]] = {"en": {}, "fr": {}}
    seen: dict[str, int] = {}
    for item in items.values():
        for passage in item.passages:
            if passage.text not in seen:
                seen[passage.text] = len(seen) + 1
                documents[item.lang][seen[passage.text]] = passage.text
    conversations: list[Conversation] = []
    for lang in ("en", "fr"):
        docs = documents[lang]

        def ask(key: str, lang: str = lang) -> str:
            return items[f"{lang}-{key}"].question

        def add(
            key: str, shape: str, first: str, second: str, needle: str,
            lang: str = lang, docs: dict[int, str] = docs,
        ) -> None:  # fmt: skip
            relevant = _passage_with(docs, needle)
            conversations.append(
                Conversation(f"{lang}-{key}", lang, shape, first, second, relevant)
            )

        fr = lang == "fr"
        for i, (en_name, fr_name) in enumerate(_DEPTS):
            other_en, other_fr = _DEPTS[(i + 1) % len(_DEPTS)]
            here = f"service {fr_name} depuis" if fr else f"the {en_name} department since"
            there = f"service {other_fr} depuis" if fr else f"the {other_en} department since"
            head, city = ask(f"dept-head-{en_name}"), ask(f"dept-city-{en_name}")
            add(f"dept-staff-{en_name}", "aspect", head,
                "Et combien de personnes y travaillent ?" if fr
                else "And how many people work there?", here)  # fmt: skip
            add(f"dept-head-after-city-{en_name}", "aspect", city,
                "Et qui la dirige ?" if fr else "And who is in charge of it?", here)  # fmt: skip
            add(f"dept-other-{en_name}", "subject", head,
                f"Et pour le service {other_fr} ?" if fr
                else f"And the {other_en} department?", there)  # fmt: skip
            add(f"dept-standalone-{en_name}", "standalone", head,
                ask(f"dept-city-{other_en}"), there)  # fmt: skip
        for i, (en_name, _) in enumerate(_BENEFITS):
            other_en, other_fr = _BENEFITS[(i + 3) % len(_BENEFITS)]
            add(f"benefit-other-{en_name}", "subject", ask(f"benefit-{en_name}"),
                f"Et celle de {other_fr} ?" if fr else f"What about {other_en}?",
                f"indemnité de {other_fr} s'élève" if fr
                else f"The {other_en} allowance is")  # fmt: skip
        for i, (en_name, _) in enumerate(_FORMS):
            other_en, other_fr = _FORMS[(i + 2) % len(_FORMS)]
            key = en_name.replace(" ", "-")
            add(f"deadline-other-{key}", "subject", ask(f"deadline-{key}"),
                f"Et pour {other_fr} ?" if fr else f"And for {other_en}?",
                f"{other_fr.capitalize()} doivent" if fr
                else f"{other_en.capitalize()} must")  # fmt: skip
        for i, (en_name, fr_name) in enumerate(_EVENTS):
            other_en, other_fr = _EVENTS[(i + 1) % len(_EVENTS)]
            key = en_name.replace(" ", "-")
            here = f"{fr_name[0].upper()}{fr_name[1:]} aura lieu" if fr else f"The {en_name} will"
            there = (
                f"{other_fr[0].upper()}{other_fr[1:]} aura lieu" if fr else f"The {other_en} will"
            )
            first = ask(f"event-{key}")
            where = "Et dans quelle ville ?" if fr else "And where will it take place?"
            add(f"event-where-{key}", "aspect", first, where, here)
            add(f"event-other-{key}", "subject", first,
                f"Et {other_fr} ?" if fr else f"What about the {other_en}?", there)  # fmt: skip
    return FollowupSet(documents, conversations)


def evaluate_followups(
    followup_set: FollowupSet | None = None,
    *,
    embedder: Any = None,
    k: int = 4,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Second-turn hit@1 and hit@k with and without rewriting, per language and shape, and the
    share of each shape that was rewritten. Uses the configured embedder unless one is given."""
    from assistant.backends.embedder import get_embedder
    from assistant.backends.vectorstore_edge import EdgeVectorStore
    from assistant.chat.followup import rewrite_followup

    data = followup_set or build_followup_set()
    embedder = embedder or get_embedder()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rag-followups-") as tmp:
        store = EdgeVectorStore(Path(tmp), name="followups")
        try:
            _index(store, data, embedder)
            for n, conversation in enumerate(data.conversations, start=1):
                rewrite = rewrite_followup(
                    conversation.second,
                    previous=[conversation.first],
                    language=conversation.lang,
                    use_model=False,
                )
                query = rewrite.query if rewrite else conversation.second
                plain = _ranking(store, embedder, conversation.second, conversation.lang)
                rewritten = _ranking(store, embedder, query, conversation.lang)
                rows.append(
                    {
                        "id": conversation.id,
                        "lang": conversation.lang,
                        "shape": conversation.shape,
                        "second": conversation.second,
                        "query": rewrite.query if rewrite else "",
                        "plain_rank": _rank_of(plain, conversation.relevant),
                        "rewritten_rank": _rank_of(rewritten, conversation.relevant),
                    }
                )
                progress(f"followups: {n}/{len(data.conversations)}")
        finally:
            store.close()
    return {
        "model": embedder.model_name,
        "k": k,
        "conversations": len(rows),
        "documents": {lang: len(docs) for lang, docs in data.documents.items()},
        "summary": _summarise(rows, k),
        "rows": rows,
    }


def _index(store: Any, data: FollowupSet, embedder: Any) -> None:
    from assistant.backends.lexical import sparse_vector
    from assistant.backends.vectorstore import ChunkPoint

    store.ensure_collection(embed_model=embedder.model_name, dimension=embedder.dimension)
    for lang, docs in data.documents.items():
        ids = sorted(docs)
        vectors = embedder.embed_documents([docs[i] for i in ids])
        store.upsert(
            [
                ChunkPoint(
                    point_id=str(uuid.uuid5(_POINT_NAMESPACE, f"{lang}:{doc_id}")),
                    dense=vector,
                    sparse=sparse_vector(docs[doc_id], lang=lang),
                    payload={
                        "collection_id": _COLLECTIONS[lang],
                        "document_id": doc_id,
                        "version": 1,
                        "chunk_index": 0,
                        "lang": lang,
                    },
                )
                for doc_id, vector in zip(ids, vectors, strict=True)
            ]
        )


def _ranking(store: Any, embedder: Any, query: str, lang: str) -> list[int]:
    """Document ids, best first, as the chat's hybrid search ranks them."""
    from assistant.backends.lexical import sparse_vector
    from assistant.chat.retrieval import sparse_weight_for
    from assistant.evaluation.metrics import documents_in_order

    hits = store.search(
        dense=embedder.embed_query(query),
        sparse=sparse_vector(query, lang=lang),
        collection_ids=[_COLLECTIONS[lang]],
        limit=SEARCH_LIMIT,
        mode="hybrid",
        sparse_weight=sparse_weight_for(getattr(embedder, "languages", ("*",)), lang, query),
    )
    return documents_in_order(int(hit.payload["document_id"]) for hit in hits)


def _rank_of(ranking: Sequence[int], relevant: int) -> int | None:
    return ranking.index(relevant) + 1 if relevant in ranking else None


def _hit(rank: int | None, k: int) -> bool:
    return rank is not None and rank <= k


def _summarise(rows: list[dict[str, Any]], k: int) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {"follow-ups": []}
    for row in rows:
        groups.setdefault(f"{row['lang']} {row['shape']}", []).append(row)
        if row["shape"] != "standalone":
            groups["follow-ups"].append(row)
            groups.setdefault(f"{row['lang']} follow-ups", []).append(row)
    summary = {}
    for name in sorted(groups, key=lambda g: (g != "follow-ups", g)):
        group = groups[name]
        n = len(group)
        summary[name] = {
            "n": n,
            "rewritten": round(sum(bool(r["query"]) for r in group) / n, 3),
            "plain_hit@1": round(sum(_hit(r["plain_rank"], 1) for r in group) / n, 3),
            "rewritten_hit@1": round(sum(_hit(r["rewritten_rank"], 1) for r in group) / n, 3),
            f"plain_hit@{k}": round(sum(_hit(r["plain_rank"], k) for r in group) / n, 3),
            f"rewritten_hit@{k}": round(sum(_hit(r["rewritten_rank"], k) for r in group) / n, 3),
        }
    return summary


def followups_markdown(result: dict[str, Any]) -> str:
    k = result["k"]
    lines = [
        "# Follow-up retrieval",
        "",
        f"{result['conversations']} two-turn conversations over the grounding set's passages "
        f"({result['documents']['en']} English, {result['documents']['fr']} French); embedder "
        f"{result['model']}; hybrid search; second turn retrieved with its own words (plain) "
        "and rewritten (assistant.chat.followup, deterministic carry-over).",
        "",
        "| group | n | rewritten | plain hit@1 | rewritten hit@1 | "
        f"plain hit@{k} | rewritten hit@{k} |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, s in result["summary"].items():
        lines.append(
            f"| {name} | {s['n']} | {s['rewritten']:.2f} | {s['plain_hit@1']:.3f} | "
            f"{s['rewritten_hit@1']:.3f} | {s[f'plain_hit@{k}']:.3f} | "
            f"{s[f'rewritten_hit@{k}']:.3f} |"
        )
    return "\n".join(lines) + "\n"
