"""Ingest, chat and redaction with every non-loopback connection blocked (pytest-socket).

The parser child process is covered separately (tests/ingestion/pipeline/test_offline.py runs a
fresh interpreter that records every network attempt); this covers the worker and web process:
embedding, the embedded Qdrant engine, the real llama.cpp model, the audit trail and presidio.
"""

from __future__ import annotations

import pytest
import pytest_socket

from assistant.chat.models import Exchange
from tests.chat.documents import HANDBOOK, QUESTION, write_pdfs

pytestmark = pytest.mark.e2e


@pytest.fixture
def loopback_only():
    pytest_socket.socket_allow_hosts(["127.0.0.1", "::1", "localhost"], allow_unix_socket=True)
    yield
    pytest_socket.enable_socket()


def test_loopback_only_blocks_the_internet(loopback_only):
    import socket

    with pytest.raises(pytest_socket.SocketConnectBlockedError):
        socket.create_connection(("192.0.2.1", 443), timeout=1)  # TEST-NET-1, never routed


@pytest.mark.django_db
def test_ingest_chat_and_redaction_open_no_outside_connection(
    alice, collection_a, settings, tmp_path, loopback_only
):
    from assistant.backends.llm_factory import reset_llm
    from assistant.backends.vectorstore_factory import reset_vector_store
    from assistant.chat.services import create_exchange, stream_answer
    from ingestion.models import Document, IngestJob
    from ingestion.services import document_ingest, document_upload
    from privacy.models import AuditEvent
    from privacy.redaction import get_redactor

    settings.RAG_LLM_BACKEND = "llamacpp"
    reset_llm()
    reset_vector_store()
    try:
        for path in write_pdfs(tmp_path / "docs", HANDBOOK):
            with path.open("rb") as handle:
                document_upload(
                    collection=collection_a,
                    file=handle,
                    uploaded_by=alice,
                    original_name=path.name,
                )
        for job in IngestJob.objects.filter(status=IngestJob.Status.QUEUED).order_by("pk"):
            document_ingest(job.pk, worker="test")
        assert Document.objects.filter(status=Document.Status.INDEXED).count() == len(HANDBOOK)

        exchange = create_exchange(user=alice, question=QUESTION + " Write to jane@example.org")
        list(stream_answer(exchange))
        exchange.refresh_from_db()
        assert exchange.status in (Exchange.Status.DONE, Exchange.Status.REFUSED)
        assert AuditEvent.objects.filter(action__startswith="chat").exists()

        redacted = get_redactor().redact("Écrire à jean.dupont@exemple.fr", language="fr")
        assert "jean.dupont" not in redacted.text
    finally:
        reset_vector_store()
