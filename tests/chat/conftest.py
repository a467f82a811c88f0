"""Chat fixtures: a small synthetic corpus indexed ONCE per module with the real embedder and the
real embedded store; the matching Document/Chunk rows are created per test with fixed primary
keys (the database rolls back after each test, the index does not need to)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from assistant.accounts.services import collection_grant, user_create_or_update

POINT_NS = uuid.UUID("0b7e3c1a-5d2f-4e8b-9c61-7a2d1f0e9b44")


@dataclass(frozen=True)
class Doc:
    pk: int
    collection_pk: int
    title: str
    lang: str
    chunks: tuple[str, ...]
    status: str = "indexed"
    pages: tuple[int, ...] = ()


COLLECTIONS = {
    9101: ("hr", "Human resources"),
    9102: ("finance", "Finance"),
    9103: ("legal", "Legal"),
    9104: ("it", "IT support"),
}


def _doc(pk: int, cpk: int, title: str, lang: str, *chunks: str, status: str = "indexed") -> Doc:
    return Doc(pk, cpk, title, lang, tuple(chunks), status, tuple(range(1, len(chunks) + 1)))


DOCS = [
    _doc(9201, 9101, "Leave policy", "en",
         "Employees receive 27 days of paid annual leave per year. Marker HRDOC9201.",
         "Unused leave days can be carried over until the end of March. Marker HRDOC9201."),
    _doc(9202, 9101, "Remote work", "en",
         "Remote work is allowed up to three days per week with manager approval. Marker HRDOC9202."),
    _doc(9203, 9101, "Congés", "fr",
         "Les salariés bénéficient de 27 jours de congés payés par an. Marqueur HRDOC9203."),
    _doc(9211, 9102, "Expense claims", "en",
         "Expense claims must be submitted within 30 days with receipts. Marker FINDOC9211.",
         "Travel by train is reimbursed in second class only. Marker FINDOC9211."),
    _doc(9212, 9102, "Budget 2026", "en",
         "The marketing budget for 2026 is 4.2 million euros. Marker FINDOC9212."),
    _doc(9221, 9103, "Contract signatures", "en",
         "Contracts above 50,000 euros need two signatures from the legal team. Marker LEGDOC9221."),
    _doc(9222, 9103, "Résiliation", "fr",
         "La résiliation d'un contrat fournisseur exige un préavis de trois mois. Marqueur LEGDOC9222."),
    _doc(9231, 9104, "Password rules", "en",
         "Passwords must have at least 14 characters and are rotated every year. Marker ITDOC9231.",
         "Multi-factor authentication is mandatory for the VPN. Marker ITDOC9231."),
    _doc(9232, 9104, "Laptop support", "en",
         "A broken laptop is replaced within two working days by the IT desk. Marker ITDOC9232."),
    # Indexed in the store but not current in the database: must never be returned.
    _doc(9241, 9101, "Old leave policy", "en",
         "Employees receive 20 days of paid annual leave per year. Marker STALEDOC9241.",
         status="deleted"),
    _doc(9242, 9104, "Failed upload", "en",
         "Passwords must have at least 8 characters. Marker FAILEDDOC9242.", status="failed"),
]  # fmt: skip
# A point whose chunk row does not exist at all (index ahead of the database).
ORPHAN_TEXT = "Employees receive 30 days of paid annual leave. Marker ORPHAN9299."

QUESTIONS = [
    "How many days of paid annual leave do employees get?",
    "Can I carry over unused leave days?",
    "How many days per week can I work remotely?",
    "Combien de jours de congés payés par an ?",
    "How long do I have to submit an expense claim?",
    "Is first class train travel reimbursed?",
    "What is the marketing budget for 2026?",
    "How many signatures does a large contract need?",
    "Quel préavis pour résilier un contrat fournisseur ?",
    "How long must a password be?",
    "Is multi-factor authentication required for the VPN?",
    "How fast is a broken laptop replaced?",
    "What is the capital of Australia?",
]


def point_id(doc_pk: int, index: int) -> str:
    return str(uuid.uuid5(POINT_NS, f"{doc_pk}:1:{index}"))


def chunk_pk(doc_pk: int, index: int) -> int:
    return doc_pk * 10 + index


def marker_of(doc: Doc) -> str:
    return doc.chunks[0].rsplit(" ", 1)[-1].rstrip(".")


@pytest.fixture(scope="session")
def chat_embedder():
    from assistant.backends.embedder import get_embedder

    return get_embedder()


@pytest.fixture(scope="module")
def synthetic_index(tmp_path_factory, chat_embedder) -> Path:
    """Index the corpus into a module-wide embedded store; returns its folder."""
    from assistant.backends.lexical import sparse_vector
    from assistant.backends.vectorstore import ChunkPoint, get_vector_store, reset_vector_store

    path = tmp_path_factory.mktemp("chat-qdrant")
    previous = django_settings.RAG_QDRANT_PATH
    django_settings.RAG_QDRANT_PATH = path
    try:
        reset_vector_store()
        store = get_vector_store()
        store.ensure_collection(
            embed_model=chat_embedder.model_name, dimension=chat_embedder.dimension
        )
        items = [
            (d.pk, d.collection_pk, i, text, d.lang)
            for d in DOCS
            for i, text in enumerate(d.chunks)
        ]
        items.append((9299, 9101, 0, ORPHAN_TEXT, "en"))
        vectors = chat_embedder.embed_documents([text for *_, text, _ in items])
        store.upsert(
            [
                ChunkPoint(
                    point_id=point_id(doc_pk, index),
                    dense=vector,
                    sparse=sparse_vector(text, lang=lang),
                    payload={
                        "collection_id": cpk,
                        "document_id": doc_pk,
                        "version": 1,
                        "chunk_index": index,
                        "chunk_id": chunk_pk(doc_pk, index),
                        "page_start": index + 1,
                        "page_end": index + 1,
                        "lang": lang,
                    },
                )
                for (doc_pk, cpk, index, text, lang), vector in zip(items, vectors, strict=True)
            ]
        )
    finally:
        django_settings.RAG_QDRANT_PATH = previous
    return path


@pytest.fixture
def corpus(db, settings, synthetic_index):
    """Database rows for the indexed corpus (fixed pks), and settings pointing at its store."""
    from ingestion.models import Chunk, Collection, Document

    settings.RAG_QDRANT_PATH = synthetic_index
    settings.RAG_LLM_BACKEND = "fake"
    settings.RAG_RATE_LIMIT_PER_MINUTE = 100000
    from assistant.backends.llm import reset_llm

    reset_llm()
    for pk, (slug, name) in COLLECTIONS.items():
        Collection.objects.create(pk=pk, slug=slug, name=name)
    for d in DOCS:
        doc = Document.objects.create(
            pk=d.pk, collection_id=d.collection_pk, title=d.title, original_name=f"{d.pk}.txt",
            file=f"documents/{d.pk}.txt", sha256="0" * 64, mime_type="text/plain", size=10,
            status=d.status, language=d.lang, page_count=len(d.chunks),
        )  # fmt: skip
        offset = 0
        for i, text in enumerate(d.chunks):
            Chunk.objects.create(
                pk=chunk_pk(d.pk, i), document=doc, version=1, index=i, text=text,
                page_start=i + 1, page_end=i + 1, char_start=offset,
                char_end=offset + len(text), token_count=len(text.split()),
                point_id=point_id(d.pk, i),
            )  # fmt: skip
            offset += len(text) + 1
    yield
    reset_llm()


@pytest.fixture
def chat_users(corpus):
    """Users with different grants: direct, through a group, several, none."""
    from django.contrib.auth.models import Group

    from ingestion.models import Collection

    def make(name: str) -> object:
        user, _ = user_create_or_update(username=name, roles=["employee"], password="pw-" + name)
        return user

    users = {
        "hana": make("hana"),  # hr
        "felix": make("felix"),  # finance through a group
        "lea": make("lea"),  # hr + legal
        "ivan": make("ivan"),  # it + finance
        "nora": make("nora"),  # nothing
    }
    collection_grant(collection_slug="hr", username="hana")
    group = Group.objects.create(name="finance-team")
    users["felix"].groups.add(group)  # type: ignore[attr-defined]
    Collection.objects.get(slug="finance").reader_groups.add(group)
    collection_grant(collection_slug="hr", username="lea")
    collection_grant(collection_slug="legal", username="lea")
    collection_grant(collection_slug="it", username="ivan")
    collection_grant(collection_slug="finance", username="ivan")
    return users
