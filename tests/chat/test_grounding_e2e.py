"""End to end with the real SmolLM2 GGUF in auto mode: English is generated or quoted with every
displayed sentence checked; French (the model is weak there) is quoted and cites the right file."""

from __future__ import annotations

import pytest

from assistant.chat.models import Exchange
from tests.chat.documents import HANDBOOK, write_pdfs

pytestmark = pytest.mark.e2e

FRENCH = {
    "frais-hotel.pdf": [
        "Hôtels. Le tarif maximum d'une nuit d'hôtel est de 145 euros à Paris et de 110 euros "
        "ailleurs en France. Le petit-déjeuner est compris dans le tarif."
    ],
}


@pytest.fixture
def documents(alice, collection_a, settings, tmp_path):
    from assistant.backends.llm_factory import reset_llm
    from assistant.backends.vectorstore_factory import reset_vector_store
    from ingestion.models import IngestJob
    from ingestion.services import document_ingest, document_upload

    settings.RAG_LLM_BACKEND = "llamacpp"
    reset_llm()
    reset_vector_store()
    for path in write_pdfs(tmp_path / "docs", {**HANDBOOK, **FRENCH}):
        with path.open("rb") as handle:
            document_upload(
                collection=collection_a, file=handle, uploaded_by=None, original_name=path.name
            )
    for job in IngestJob.objects.filter(status=IngestJob.Status.QUEUED).order_by("pk"):
        document_ingest(job.pk, worker="test")
    yield
    reset_vector_store()


@pytest.mark.django_db
def test_auto_mode_with_the_real_model_in_english_and_french(alice, documents, client_for):
    from assistant.chat.services import answer_question
    from assistant.chat.views import exchange_context

    english = answer_question(user=alice, question="What is the maximum hotel rate in Paris?")
    assert english.status == Exchange.Status.DONE, english.error_message
    assert english.answer_path in ("generated", "quote")
    assert english.metrics["path_reason"]
    sentences = english.metrics["verification"]["sentences"]
    assert sentences and all(s["status"] in ("supported", "weak", "unsupported") for s in sentences)
    html = str(exchange_context(english)["answer_html"])
    assert html.count('class="sentence ') == len(sentences)  # every checked sentence is shown
    if english.answer_path == "quote":
        assert english.metrics["supported_share"] == 1.0

    french = answer_question(
        user=alice, question="Quel est le tarif maximum d'une nuit d'hôtel à Paris ?"
    )
    assert french.status == Exchange.Status.DONE, french.error_message
    assert french.answer_path == "quote"
    assert "not reliable in French" in french.metrics["path_reason"]
    assert french.answer.startswith("D'après les documents")
    assert french.completion_tokens is None or french.completion_tokens == 0
    cited = [c for c in french.citations.all() if c.cited_in_answer]
    assert cited and cited[0].document_title in ("frais-hotel", "travel-policy")
    assert "145" in french.answer
