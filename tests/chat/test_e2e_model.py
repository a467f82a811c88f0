"""End to end with the real SmolLM2 GGUF, the real embedder and store, through ingestion."""

from __future__ import annotations

import pytest

from assistant.chat.models import Exchange
from tests.chat.documents import EXPECTED, HANDBOOK, QUESTION, write_pdfs

pytestmark = pytest.mark.e2e


@pytest.fixture
def handbook(alice, collection_a, settings, tmp_path):
    from assistant.backends.llm_factory import reset_llm
    from assistant.backends.vectorstore_factory import reset_vector_store
    from ingestion.models import Document, IngestJob
    from ingestion.services import document_ingest, document_upload

    settings.RAG_LLM_BACKEND = "llamacpp"
    reset_llm()
    reset_vector_store()
    for path in write_pdfs(tmp_path / "docs", HANDBOOK):
        with path.open("rb") as handle:
            document_upload(
                collection=collection_a, file=handle, uploaded_by=None, original_name=path.name
            )
    for job in IngestJob.objects.filter(status=IngestJob.Status.QUEUED).order_by("pk"):
        document_ingest(job.pk, worker="test")
    assert Document.objects.filter(status=Document.Status.INDEXED).count() == len(HANDBOOK)
    yield
    reset_vector_store()


@pytest.mark.django_db
def test_answer_streams_and_cites_the_right_document_and_page(alice, handbook):
    from assistant.chat.services import create_exchange, stream_answer

    exchange = create_exchange(user=alice, question=QUESTION)
    tokens = [e.text for e in stream_answer(exchange) if e.kind == "token"]
    exchange.refresh_from_db()
    assert exchange.status == Exchange.Status.DONE, exchange.error_message
    # Only checked sentences are streamed (none when auto mode keeps them all for the end).
    assert bool(tokens) == ("first_shown_ms" in exchange.metrics)
    assert exchange.answer.strip()
    top = exchange.citations.get(number=1)
    assert (top.document_title, top.page) == (EXPECTED[0].removesuffix(".pdf"), EXPECTED[1])
    assert "145" in top.snippet
    assert exchange.model_id == "SmolLM2-135M-Instruct"
    assert (
        exchange.model_sha256 == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    )
    assert exchange.prompt_tokens > 100 and exchange.completion_tokens > 0


@pytest.mark.django_db
def test_sha256_mismatch_refuses_to_load(settings):
    from assistant.backends.llm import ModelIntegrityError
    from assistant.backends.llm_llamacpp import LlamaCppLLM
    from assistant.backends.model_registry import current_model_spec

    settings.RAG_MODEL_SHA256 = "0" * 64
    with pytest.raises(ModelIntegrityError, match="sha256 mismatch"):
        LlamaCppLLM(current_model_spec())
