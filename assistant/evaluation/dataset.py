"""Evaluation sets: documents, queries with their relevant documents, and a model-free chunker.

The chunker counts words, not model tokens, so every embedding model compared in one run indexes
exactly the same chunks (a tokenizer-based chunker would give each model different passages).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

# ~150 words of prose is ~200 model tokens (MiniLM's WordPiece splits ~1.3 tokens per word).
CHUNK_WORDS = 150
CHUNK_OVERLAP_WORDS = 20
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class EvalDocument:
    doc_id: int
    name: str  # e.g. "ls.1" or "library/json": stable across machines, used in reports
    text: str  # indexed text, with the query sentence removed


@dataclass(frozen=True)
class EvalQuery:
    query_id: str
    text: str
    relevant: frozenset[int]  # doc_ids


@dataclass
class EvalSet:
    name: str
    language: str
    source: str  # where the corpus came from (package, folder)
    documents: list[EvalDocument] = field(default_factory=list)
    queries: list[EvalQuery] = field(default_factory=list)
    # The queries' language when it differs from the documents' (cross-lingual sets).
    query_language: str = ""

    @property
    def question_language(self) -> str:
        return self.query_language or self.language

    def sliced(self, limit: int | None, *, seed: int = 7) -> EvalSet:
        """A deterministic subset: `limit` queries, their relevant documents and as many other
        documents as distractors (so a slice is not trivially easy). None or 0 = the whole set."""
        if not limit or limit >= len(self.queries):
            return self
        rng = random.Random(seed)
        queries = sorted(rng.sample(self.queries, limit), key=lambda q: q.query_id)
        keep = {doc_id for query in queries for doc_id in query.relevant}
        others = [doc.doc_id for doc in self.documents if doc.doc_id not in keep]
        keep.update(rng.sample(others, min(len(others), limit)))
        documents = [doc for doc in self.documents if doc.doc_id in keep]
        return EvalSet(
            self.name, self.language, self.source, documents, queries, self.query_language
        )


def chunk_words(
    text: str,
    *,
    size: int = CHUNK_WORDS,
    overlap: int = CHUNK_OVERLAP_WORDS,
    max_chunks: int | None = None,
) -> list[str]:
    """Split `text` into windows of `size` words overlapping by `overlap` words; at most
    `max_chunks` (the first ones: page openings carry the description a query paraphrases)."""
    if size <= overlap:
        raise ValueError("chunk size must exceed the overlap")
    words = _WORD.findall(text)
    chunks: list[str] = []
    start = 0
    while start < len(words):
        chunks.append(" ".join(words[start : start + size]))
        if start + size >= len(words) or (max_chunks and len(chunks) >= max_chunks):
            break
        start += size - overlap
    return chunks


def group_queries(pairs: list[tuple[str, str, int]]) -> list[EvalQuery]:
    """(query_id, text, doc_id) triples -> queries; identical query texts (two man pages sharing
    one description) become one query with several relevant documents."""
    grouped: dict[str, tuple[str, str, set[int]]] = {}
    for query_id, text, doc_id in pairs:
        clean = " ".join(text.split())
        key = clean.lower()
        if key in grouped:
            grouped[key][2].add(doc_id)
        else:
            grouped[key] = (query_id, clean, {doc_id})
    return [EvalQuery(qid, clean, frozenset(docs)) for qid, clean, docs in grouped.values()]
